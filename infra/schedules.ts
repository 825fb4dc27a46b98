// Scheduled maintenance: an EventBridge rule that runs the merge function every N minutes.
// Rollups (downsampled copies) will be further targets of rules built here, one per retention tier.
import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/** EventBridge retries delivering a tick this often before sending it to the dead-letter queue. */
export const MERGE_RETRY_ATTEMPTS = 2;

export interface SchedulesProps {
  readonly merge: lambda.IFunction;
  readonly mergeScheduleMinutes: number;
}

export class Schedules extends Construct {
  readonly mergeRule: events.Rule;
  /** Ticks EventBridge could not deliver to the merge function. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    // SQS-managed SSE: EventBridge can write to it without a key policy; it holds only schedule envelopes.
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.mergeRule = new events.Rule(this, "MergeRule", {
      description: "Sediment: merge small Parquet files",
      schedule: events.Schedule.rate(Duration.minutes(props.mergeScheduleMinutes)),
    });
    this.mergeRule.addTarget(
      new targets.LambdaFunction(props.merge, {
        retryAttempts: MERGE_RETRY_ATTEMPTS,
        // A tick older than its interval is superseded by the next one.
        maxEventAge: Duration.minutes(Math.max(1, props.mergeScheduleMinutes)),
        deadLetterQueue: this.deadLetterQueue,
      }),
    );
  }
}
