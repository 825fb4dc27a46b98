// The one S3 bucket: WAL claim checks, the catalog and compacted Parquet, under the keys of ARCHITECTURE.md.
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

/** Top-level prefixes of the storage contract; grants and lifecycle rules are scoped by them. */
export const PREFIX = { data: "data/", catalog: "catalog/", claims: "wal/claims/" } as const;

export interface StorageProps {
  /** Create a customer-managed KMS key instead of SSE-S3. */
  readonly kms: boolean;
  /** Expire `data/` objects after this many days; undefined keeps them. */
  readonly retentionDays: number | undefined;
  readonly claimExpiryDays: number;
  /** RETAIN (default) keeps the bucket when the stack is deleted; false empties and deletes it. */
  readonly retainData: boolean;
}

export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  /** Set when `kms` is on: the WAL queue is encrypted with it too. */
  readonly key: kms.Key | undefined;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.key = props.kms
      ? new kms.Key(this, "Key", {
          enableKeyRotation: true,
          description: "Sediment data and WAL",
          removalPolicy,
        })
      : undefined;

    const lifecycleRules: s3.LifecycleRule[] = [
      // Multipart uploads (lib-storage for large Parquet) that a crashed Lambda left open cost storage.
      { id: "abort-incomplete-multipart", abortIncompleteMultipartUploadAfter: Duration.days(1) },
      // A claim check is read by the compactor within the WAL's retention; after that it is garbage.
      { id: "expire-wal-claims", prefix: PREFIX.claims, expiration: Duration.days(props.claimExpiryDays) },
    ];
    if (props.retentionDays !== undefined) {
      lifecycleRules.push({
        id: "data-retention",
        prefix: PREFIX.data,
        expiration: Duration.days(props.retentionDays),
      });
    }

    this.bucket = new s3.Bucket(this, "Bucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: this.key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      ...(this.key ? { encryptionKey: this.key, bucketKeyEnabled: true } : {}),
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules,
      removalPolicy,
      autoDeleteObjects: !props.retainData,
    });
  }
}
