import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { logicalId, synthesize, TEST_CONFIG } from "./testing.ts";

describe("Wal", () => {
  const template = synthesize({
    ...TEST_CONFIG,
    batchSize: 1000,
    maxBatchingWindowSeconds: 30,
    maxConcurrency: 20,
    maxReceiveCount: 4,
    compactorTimeoutSeconds: 300,
    mergeScheduleMinutes: 15,
  });
  const dlq = logicalId(template, "AWS::SQS::Queue", "WalDeadLetterQueue");
  const queue = logicalId(template, "AWS::SQS::Queue", "WalQueue");

  it("encrypts both queues with SQS-managed keys and keeps messages the full 14 days", () => {
    const queues = template.findResources("AWS::SQS::Queue");
    for (const id of [queue, dlq]) {
      assert.equal(queues[id]?.Properties.SqsManagedSseEnabled, true, id);
      assert.equal(queues[id]?.Properties.MessageRetentionPeriod, 1_209_600, id);
    }
  });

  it("moves a message to the dead-letter queue after maxReceiveCount deliveries", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [dlq, "Arn"] }, maxReceiveCount: 4 },
    });
  });

  it("sets the visibility timeout to 6 × the compactor timeout plus the batching window", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: Match.anyValue(),
      VisibilityTimeout: 6 * 300 + 30,
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("compactor"),
      Timeout: 300,
    });
  });

  it("denies queue access without TLS", () => {
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ],
      },
    });
  });

  it("feeds the compactor with partial batch responses, batching and bounded concurrency", () => {
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 1);
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [queue, "Arn"] },
      FunctionName: { Ref: logicalId(template, "AWS::Lambda::Function", "FunctionsCompactor") },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 30,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });
});

describe("Wal with KMS", () => {
  const template = synthesize({ ...TEST_CONFIG, kms: true });

  it("encrypts both WAL queues with the stack's key", () => {
    const key = logicalId(template, "AWS::KMS::Key", "StorageKey");
    const queues = template.findResources("AWS::SQS::Queue");
    for (const prefix of ["WalQueue", "WalDeadLetterQueue"]) {
      const props = queues[logicalId(template, "AWS::SQS::Queue", prefix)]?.Properties;
      assert.deepEqual(props.KmsMasterKeyId, { "Fn::GetAtt": [key, "Arn"] }, prefix);
      assert.equal(props.SqsManagedSseEnabled, undefined, prefix);
    }
  });
});
