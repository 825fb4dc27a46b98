// The write-ahead log on AWS: an SQS queue with a dead-letter queue, drained by the compactor.
import { Duration } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/** AWS's advice for SQS event sources: visibility ≥ 6 × function timeout (+ the batching window). */
export const VISIBILITY_FACTOR = 6;

export interface WalProps {
  readonly compactorTimeoutSeconds: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxReceiveCount: number;
  /** KMS key for both queues; SQS-managed SSE when undefined. */
  readonly key: kms.IKey | undefined;
}

export interface ConsumerOptions {
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxConcurrency: number;
}

export class Wal extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WalProps) {
    super(scope, id);
    const encryption = props.key
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.key }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    // The longest SQS allows: a WAL message is the only copy of a write until it is compacted.
    const retentionPeriod = Duration.days(14);
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      ...encryption,
      enforceSSL: true,
      retentionPeriod,
    });
    this.queue = new sqs.Queue(this, "Queue", {
      ...encryption,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout: Duration.seconds(
        VISIBILITY_FACTOR * props.compactorTimeoutSeconds + props.maxBatchingWindowSeconds,
      ),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }

  /** Feed the queue to the compactor; it reports failed records individually so the rest are deleted. */
  attachConsumer(fn: lambda.IFunction, options: ConsumerOptions): void {
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: options.batchSize,
        maxBatchingWindow: Duration.seconds(options.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: options.maxConcurrency,
      }),
    );
  }
}
