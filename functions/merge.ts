// Lambda handler run on a schedule (EventBridge): plans and runs merges of L0 files for every database,
// then collects orphaned files. Configuration and AWS clients are built once per cold start.
import { Logger } from "@aws-lambda-powertools/logger";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context, ScheduledEvent } from "aws-lambda";
import { ObjectStoreCatalog } from "../shared/catalog/catalog.ts";
import { type CompactorConfig, loadCompactorConfig } from "../shared/compactor/config.ts";
import { type MergeDeps, type MergeRunReport, runMerges } from "../shared/compactor/merge.ts";
import { randomIds, systemClock } from "../shared/core/clock.ts";
import { S3ObjectStore } from "../shared/objectstore/s3.ts";

const config: CompactorConfig = loadCompactorConfig(process.env);
const logger = new Logger({ serviceName: "sediment-merge" });
const store = new S3ObjectStore({
  client: new S3Client(config.awsEndpoint ? { endpoint: config.awsEndpoint, forcePathStyle: true } : {}),
  bucket: config.bucket,
  conditionalWrites: config.conditionalWrites,
});
const deps: MergeDeps = {
  store,
  catalog: new ObjectStoreCatalog({ store, clock: systemClock, ids: randomIds }),
  ids: randomIds,
  policy: config.merge,
  rowGroupRows: config.rowGroupRows,
  clock: systemClock,
  orphanGraceMs: config.orphanGraceMs,
};

/** Stop starting merges this long before the Lambda timeout (one job's worst case). */
const SAFETY_MS = 120_000;

export async function handler(
  _event: ScheduledEvent,
  context?: Context,
): Promise<{ merged: number; lostRaces: number; failed: number }> {
  const remaining = context?.getRemainingTimeInMillis();
  const stopAtMs = remaining === undefined ? undefined : systemClock.nowMs() + remaining - SAFETY_MS;
  const report: MergeRunReport = await runMerges(deps, { stopAtMs });
  for (const f of report.failed)
    logger.error("merge failed; it will be planned again", { job: f.job, error: f.error.message });
  logger.info("merge run finished", {
    merged: report.merged,
    lostRaces: report.lostRaces,
    orphansDeleted: report.orphansDeleted,
  });
  return { merged: report.merged, lostRaces: report.lostRaces, failed: report.failed.length };
}
