// Lambda handler for the WAL queue (SQS event source with ReportBatchItemFailures): decode, compact, and
// return the messages to retry. Configuration and AWS clients are built once per cold start.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ObjectStoreCatalog } from "../shared/catalog/catalog.ts";
import {
  type CompactorConfig,
  loadCompactorConfig,
  sortKeyFor,
  templateFor,
} from "../shared/compactor/config.ts";
import type { CompactorDeps } from "../shared/compactor/l0.ts";
import { compactSqsBatch } from "../shared/compactor/sqs.ts";
import { randomIds, systemClock } from "../shared/core/clock.ts";
import { parseLineProtocol } from "../shared/lineprotocol/parse.ts";
import { S3ObjectStore } from "../shared/objectstore/s3.ts";
import { decodeWalMessage } from "../shared/wal/sqs.ts";

const config: CompactorConfig = loadCompactorConfig(process.env);
const logger = new Logger({ serviceName: "sediment-compactor" });
// CloudWatch embedded-metric-format lines in the log: no extra API calls, no extra permissions.
const metrics = new Metrics({ namespace: "Sediment", serviceName: "sediment-compactor" });
const store = new S3ObjectStore({
  client: new S3Client(config.awsEndpoint ? { endpoint: config.awsEndpoint, forcePathStyle: true } : {}),
  bucket: config.bucket,
  conditionalWrites: config.conditionalWrites,
});
const deps: CompactorDeps = {
  store,
  catalog: new ObjectStoreCatalog({ store, clock: systemClock, ids: randomIds }),
  ids: randomIds,
  parse: parseLineProtocol,
  templateFor: templateFor(config.templates),
  sortKeyFor: sortKeyFor(config.templates),
  rowGroupRows: config.rowGroupRows,
};

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const messages = (event.Records ?? []).map((r) => ({ messageId: r.messageId, body: r.body }));
  return compactSqsBatch(messages, decodeWalMessage, deps, {
    error: (message, details) => logger.error(message, details),
    warn: (message, details) => logger.warn(message, details),
    summary: (counts) => {
      metrics.addMetric("WalRecordsCompacted", MetricUnit.Count, counts.messages - counts.failed);
      metrics.addMetric("WalRecordsFailed", MetricUnit.Count, counts.failed);
      metrics.addMetric("PointsCompacted", MetricUnit.Count, counts.points);
      metrics.addMetric("PointsRejected", MetricUnit.Count, counts.rejectedPoints);
      metrics.addMetric("FilesWritten", MetricUnit.Count, counts.files);
      metrics.publishStoredMetrics();
    },
  });
}
