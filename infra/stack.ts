// SedimentStack: composes storage, WAL, functions, API, schedules, analytics and alarms, and names the outputs.
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { Analytics } from "./analytics.ts";
import { Api } from "./api.ts";
import type { SedimentConfig } from "./config.ts";
import { Functions } from "./functions.ts";
import { Observability } from "./observability.ts";
import { Schedules } from "./schedules.ts";
import { Storage } from "./storage.ts";
import { Wal } from "./wal.ts";

export interface SedimentStackProps extends StackProps {
  readonly config: SedimentConfig;
  /** Repository root (functions/, node_modules/, package-lock.json). */
  readonly projectRoot: string;
}

export class SedimentStack extends Stack {
  constructor(scope: Construct, id: string, props: SedimentStackProps) {
    super(scope, id, props);
    const { config } = props;
    const storage = new Storage(this, "Storage", {
      kms: config.kms,
      retentionDays: config.retentionDays,
      claimExpiryDays: config.claimExpiryDays,
      retainData: config.retainData,
    });
    const wal = new Wal(this, "Wal", {
      compactorTimeoutSeconds: config.compactorTimeoutSeconds,
      maxBatchingWindowSeconds: config.maxBatchingWindowSeconds,
      maxReceiveCount: config.maxReceiveCount,
      key: storage.key,
    });
    const functions = new Functions(this, "Functions", {
      config,
      bucket: storage.bucket,
      key: storage.key,
      queue: wal.queue,
      projectRoot: props.projectRoot,
    });
    wal.attachConsumer(functions.compactor, {
      batchSize: config.batchSize,
      maxBatchingWindowSeconds: config.maxBatchingWindowSeconds,
      maxConcurrency: config.maxConcurrency,
    });
    const api = new Api(this, "Api", {
      writer: functions.writer,
      query: functions.query,
      authorizer: functions.authorizer,
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      authorizerCacheSeconds: config.authorizerCacheSeconds,
      queryStringAuth: config.queryStringAuth,
      logRetentionDays: config.logRetentionDays,
    });
    const schedules = new Schedules(this, "Schedules", {
      merge: functions.merge,
      mergeScheduleMinutes: config.mergeScheduleMinutes,
    });
    const analytics = new Analytics(this, "Analytics", { config, bucket: storage.bucket });
    const fns = functions.all();
    const observability = new Observability(this, "Observability", {
      queue: wal.queue,
      deadLetterQueues: { Wal: wal.deadLetterQueue, MergeSchedule: schedules.deadLetterQueue },
      functions: {
        Writer: fns.writer,
        Query: fns.query,
        Compactor: fns.compactor,
        Merge: fns.merge,
        Authorizer: fns.authorizer,
      },
      walAgeAlarmSeconds: config.walAgeAlarmSeconds,
      alarmEmail: config.alarmEmail,
    });

    new CfnOutput(this, "ApiUrl", { value: api.url, description: "InfluxDB-compatible endpoint" });
    new CfnOutput(this, "BucketName", { value: storage.bucket.bucketName });
    new CfnOutput(this, "QueueUrl", { value: wal.queue.queueUrl });
    new CfnOutput(this, "GlueDatabase", { value: analytics.databaseName });
    new CfnOutput(this, "AlarmTopicArn", { value: observability.topic.topicArn });
  }
}
