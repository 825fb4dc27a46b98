import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { synthesize, TEST_CONFIG } from "./testing.ts";

describe("Storage (SSE-S3, retention on)", () => {
  const template = synthesize();

  it("blocks public access and owns every object", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
    });
  });

  it("encrypts with SSE-S3 and keeps versioning off", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      VersioningConfiguration: Match.absent(),
    });
    template.resourceCountIs("AWS::KMS::Key", 0);
  });

  it("denies requests without TLS", () => {
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("aborts multipart uploads, expires claim checks and applies data retention", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [
          {
            Id: "abort-incomplete-multipart",
            Status: "Enabled",
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
          { Id: "expire-wal-claims", Status: "Enabled", Prefix: "wal/claims/", ExpirationInDays: 15 },
          {
            Id: "data-retention",
            Status: "Enabled",
            Prefix: "data/",
            ExpirationInDays: TEST_CONFIG.retentionDays,
          },
        ],
      },
    });
  });

  it("is retained when the stack is deleted", () => {
    template.hasResource("AWS::S3::Bucket", { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    assert.equal(Object.keys(template.findResources("Custom::S3AutoDeleteObjects")).length, 0);
  });
});

describe("Storage (KMS, no retention, not retained)", () => {
  const { retentionDays: _, ...rest } = TEST_CONFIG;
  const template = synthesize({ ...rest, kms: true, retainData: false, claimExpiryDays: 20 });

  it("encrypts with a rotating customer-managed key and an S3 bucket key", () => {
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: Match.anyValue() },
          },
        ],
      },
    });
  });

  it("has no data expiry rule when no retention is configured", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Id: "abort-incomplete-multipart" }),
          Match.objectLike({ Id: "expire-wal-claims", ExpirationInDays: 20 }),
        ],
      },
    });
  });

  it("is deleted with its objects when retainData is false", () => {
    template.hasResource("AWS::S3::Bucket", { DeletionPolicy: "Delete" });
    template.resourceCountIs("Custom::S3AutoDeleteObjects", 1);
  });
});
