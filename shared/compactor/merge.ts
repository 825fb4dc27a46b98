// Merge execution: read a job's inputs, k-way-equivalent sort + dedup, write merged files, make them
// catalog-visible in the same commit that drops the inputs, and only then delete the inputs.
import type { ObjectStoreCatalog } from "../catalog/catalog.ts";
import type { FileEntry } from "../catalog/port.ts";
import type { Clock, IdSource } from "../core/clock.ts";
import { measurementPrefix, mergedFileKey, parseDataFileKey } from "../layout/keys.ts";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import { readMeasurementParquet } from "../parquet/reader.ts";
import type { FieldDef, MeasurementTable, Row } from "../parquet/table.ts";
import { writeMeasurementParquet } from "../parquet/writer.ts";
import { CompactionError } from "./errors.ts";
import { summariseTags } from "./l0.ts";
import type { MergeJob, MergePolicy } from "./plan.ts";
import { DEFAULT_MERGE_POLICY, planMerges } from "./plan.ts";
import { compareRows, dedupSorted, remapRows, splitAtSeries } from "./rows.ts";

export interface MergeDeps {
  readonly store: ObjectStore;
  readonly catalog: ObjectStoreCatalog;
  readonly ids: IdSource;
  readonly policy?: MergePolicy;
  readonly rowGroupRows?: number;
  readonly tagValueSummaryCap?: number;
  /** For orphan collection: unlisted files younger than orphanGraceMs are left alone. */
  readonly clock?: Clock;
  readonly orphanGraceMs?: number;
}

export type MergeOutcome =
  | {
      readonly status: "merged";
      readonly inputs: readonly string[];
      readonly outputs: readonly FileEntry[];
      /** Inputs whose delete failed after the commit: unreachable garbage for collectOrphans. */
      readonly orphaned: readonly string[];
    }
  /** Another merge got there first (inputs gone or no longer listed): nothing of ours stays visible. */
  | { readonly status: "lost-race"; readonly missing: readonly string[] };

export async function executeMerge(job: MergeJob, deps: MergeDeps): Promise<MergeOutcome> {
  // 1. Read every input. A missing one means a concurrent merge already replaced it.
  const tables: MeasurementTable[] = [];
  for (const f of job.inputs) {
    const bytes = await deps.store.get(f.key);
    if (bytes === undefined) return { status: "lost-race", missing: [f.key] };
    tables.push(await readMeasurementParquet(bytes));
  }
  // 2. Union schema, sort (stable: inputs are in sequence order), dedup.
  const tagKeys = [...new Set(tables.flatMap((t) => t.tagKeys))].sort(compareUtf8);
  const fieldTypes = new Map<string, FieldDef>();
  for (const t of tables)
    for (const f of t.fields) {
      const seen = fieldTypes.get(f.name);
      if (seen && seen.type !== f.type)
        throw new CompactionError(`field "${f.name}" is ${seen.type} in one input and ${f.type} in another`);
      fieldTypes.set(f.name, f);
    }
  const fields = [...fieldTypes.values()].sort((a, b) => compareUtf8(a.name, b.name));
  const all: Row[] = [];
  for (const t of tables) for (const r of remapRows(t, tagKeys, fields)) all.push(r);
  all.sort(compareRows);
  const rows = dedupSorted(all);
  // 3. Write outputs (invisible until the catalog commit).
  const outputs: { file: FileEntry }[] = [];
  const written: string[] = [];
  let committed = false;
  try {
    for (const part of splitAtSeries(rows, job.maxOutputs)) {
      if (part.length === 0) continue;
      const table = { tagKeys, fields, rows: part };
      const w = writeMeasurementParquet(table, { level: 1, rowGroupRows: deps.rowGroupRows });
      const key = mergedFileKey(
        job.database,
        job.measurement,
        job.partition,
        w.minSeq,
        w.maxSeq,
        deps.ids.next(),
      );
      written.push(key);
      const put = await deps.store.put(key, w.bytes, { contentType: "application/vnd.apache.parquet" });
      if (!put.ok) throw new CompactionError(`unconditional put of ${key} was refused (${put.reason})`);
      outputs.push({
        file: {
          key,
          level: 1,
          sizeBytes: w.bytes.length,
          rowCount: w.rowCount,
          minTimeNs: w.minTimeNs,
          maxTimeNs: w.maxTimeNs,
          minSeq: w.minSeq,
          maxSeq: w.maxSeq,
          tagValues: summariseTags(table, deps.tagValueSummaryCap ?? 64),
        },
      });
    }
    // 4. One catalog commit swaps inputs for outputs, only if every input is still listed.
    const inputs = job.inputs.map((f) => f.key);
    // From here a failure is ambiguous (the commit may have landed): outputs are left for collectOrphans.
    committed = true;
    const commit = await deps.catalog.commitFiles(job.database, job.measurement, {
      add: outputs.map((o) => ({ partition: job.partition, file: o.file })),
      remove: inputs,
      requireRemovedPresent: true,
    });
    if (!commit.ok) {
      await deps.store.delete(written).catch(() => undefined);
      return { status: "lost-race", missing: commit.missing };
    }
    // 5. Inputs are unreachable now; a failed delete leaves harmless orphans (see collectOrphans).
    let orphaned: readonly string[] = [];
    try {
      await deps.store.delete(inputs);
    } catch {
      orphaned = inputs;
    }
    return { status: "merged", inputs, outputs: outputs.map((o) => o.file), orphaned };
  } catch (cause) {
    if (committed) throw cause;
    // Best effort: outputs not committed are invisible anyway.
    await deps.store.delete(written).catch(() => undefined);
    throw cause;
  }
}

export interface MergeRunReport {
  readonly merged: number;
  readonly orphansDeleted: number;
  readonly lostRaces: number;
  readonly failed: { readonly job: string; readonly error: Error }[];
}

export interface RunMergesOptions {
  /** Only these databases (default: every database in the catalog). */
  readonly databases?: readonly string[];
  /** Start no new job after this time (deps.clock milliseconds), e.g. before a Lambda timeout. */
  readonly stopAtMs?: number;
}

/** Plans and runs merges for every measurement of every database (or the given ones). */
export async function runMerges(deps: MergeDeps, options: RunMergesOptions = {}): Promise<MergeRunReport> {
  const timeLeft = () =>
    options.stopAtMs === undefined || !deps.clock || deps.clock.nowMs() < options.stopAtMs;
  let merged = 0;
  let lostRaces = 0;
  let orphansDeleted = 0;
  const failed: { job: string; error: Error }[] = [];
  for (const database of options.databases ?? (await deps.catalog.databases())) {
    for (const m of await deps.catalog.measurements(database)) {
      if (!timeLeft()) break;
      const partitions = await deps.catalog.catalogPartitions(database, m.name);
      for (const job of planMerges(database, m.name, partitions, deps.policy ?? DEFAULT_MERGE_POLICY)) {
        if (!timeLeft()) break;
        try {
          const outcome = await executeMerge(job, deps);
          if (outcome.status === "merged") merged++;
          else lostRaces++;
        } catch (cause) {
          failed.push({
            job: `${database}/${m.name}/${job.partitionPath}`,
            error: cause instanceof Error ? cause : new Error(String(cause)),
          });
        }
      }
      try {
        orphansDeleted += (await collectOrphans(deps, database, m.name)).length;
      } catch (cause) {
        failed.push({
          job: `orphans ${database}/${m.name}`,
          error: cause instanceof Error ? cause : new Error(String(cause)),
        });
      }
    }
  }
  return { merged, orphansDeleted, lostRaces, failed };
}

/**
 * Deletes data files of a measurement that the catalog does not list and that are older than the grace
 * period: outputs of merges that died before their commit, inputs whose delete failed, L0 files of
 * compactions that died before theirs (their records were not acknowledged and come back).
 */
export async function collectOrphans(
  deps: MergeDeps,
  database: string,
  measurement: string,
): Promise<string[]> {
  if (!deps.clock) return [];
  const graceMs = deps.orphanGraceMs ?? 6 * 3_600_000;
  const now = deps.clock.nowMs();
  // List first: a file committed after this listing is younger than the grace period anyway.
  const objects = await deps.store.list(measurementPrefix(database, measurement));
  const listed = new Set<string>();
  for (const p of await deps.catalog.catalogPartitions(database, measurement))
    for (const f of p.files) listed.add(f.key);
  const orphans = objects
    .filter((o) => parseDataFileKey(o.key) !== undefined && !listed.has(o.key))
    .filter((o) => o.lastModifiedMs !== undefined && now - o.lastModifiedMs > graceMs)
    .map((o) => o.key);
  if (orphans.length > 0) await deps.store.delete(orphans);
  return orphans;
}
