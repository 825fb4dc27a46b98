// The local server's background work: the same compactor and merge code the Lambdas run, fed from the
// WAL source on a timer (local segment files, or SQS polled the way the event source mapping polls it).
import { sortKeyFor, templateFor } from "../shared/compactor/config.ts";
import type { CompactorDeps } from "../shared/compactor/l0.ts";
import { type MergeDeps, runMerges } from "../shared/compactor/merge.ts";
import { runCompactionOnce } from "../shared/compactor/runner.ts";
import type { Log } from "../shared/http/log.ts";
import type { AppParts } from "./app.ts";
import type { BackgroundJob } from "./jobs.ts";

/** Records taken from the WAL per compaction step (one L0 file per partition per step). */
const RECORDS_PER_STEP = 100;
/** Steps per job run before yielding to the timer, so shutdown is never blocked by a long backlog. */
const MAX_STEPS_PER_RUN = 50;

export function compactionJobs(parts: AppParts): BackgroundJob[] {
  const { config, platform, store, catalog, walSource } = parts;
  const jobs: BackgroundJob[] = [];
  if (walSource !== undefined) {
    const deps: CompactorDeps = {
      store,
      catalog,
      ids: platform.ids,
      parse: parts.parse,
      templateFor: templateFor(config.partitionTemplates),
      sortKeyFor: sortKeyFor(config.partitionTemplates),
    };
    jobs.push({
      name: "compact",
      intervalMs: config.compactIntervalMs,
      run: () => drain(walSource, deps, platform.log),
    });
  }
  const mergeDeps: MergeDeps = {
    store,
    catalog,
    ids: platform.ids,
    clock: platform.clock,
  };
  jobs.push({
    name: "merge",
    intervalMs: config.mergeIntervalMs,
    run: async () => {
      const report = await runMerges(mergeDeps);
      for (const failure of report.failed)
        platform.log.error("merge failed; it will be planned again", {
          job: failure.job,
          error: failure.error.message,
        });
      if (report.merged > 0 || report.orphansDeleted > 0)
        platform.log.info("merged", { merged: report.merged, orphansDeleted: report.orphansDeleted });
    },
  });
  return jobs;
}

async function drain(source: NonNullable<AppParts["walSource"]>, deps: CompactorDeps, log: Log) {
  for (let step = 0; step < MAX_STEPS_PER_RUN; step++) {
    const result = await runCompactionOnce(source, deps, RECORDS_PER_STEP);
    for (const failure of result.failed)
      log.error("WAL record not compacted; it will be retried", {
        id: failure.id,
        error: failure.error.message,
      });
    if (result.rejected.length > 0)
      log.error("points rejected by the compactor", {
        count: result.rejected.length,
        first: result.rejected.slice(0, 5),
      });
    if (result.received < RECORDS_PER_STEP) return;
  }
}
