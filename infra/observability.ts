// Alarms on the signals that mean data is stuck or lost, published to one SNS topic.
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface ObservabilityProps {
  readonly queue: sqs.IQueue;
  /** Dead-letter queues whose every message is a failure someone must look at. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly walAgeAlarmSeconds: number;
  readonly alarmEmail: string | undefined;
}

const PERIOD = Duration.minutes(5);

export class Observability extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, "AlarmTopic", { displayName: "Sediment alarms", enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(a);
    };

    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}DeadLetters`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: "Maximum" }),
        0,
        `${name}: messages in the dead-letter queue (writes or ticks that repeatedly failed)`,
      );
    }
    alarm(
      "WalAge",
      props.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: "Maximum" }),
      props.walAgeAlarmSeconds,
      "WAL: the oldest write waiting for compaction is older than the threshold",
    );
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `${name}Errors`,
        fn.metricErrors({ period: PERIOD, statistic: "Sum" }),
        0,
        `${name}: function errors`,
      );
      alarm(
        `${name}Throttles`,
        fn.metricThrottles({ period: PERIOD, statistic: "Sum" }),
        0,
        `${name}: throttled invocations`,
      );
    }
  }
}
