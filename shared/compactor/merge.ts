// Merge execution: read a job's inputs into typed columns, sort + dedup through an index permutation, write
// merged files, make them catalog-visible in the same commit that drops the inputs, then delete the inputs.
import type { ObjectStoreCatalog } from "../catalog/catalog.ts";
import type { FileEntry } from "../catalog/port.ts";
import type { Clock, IdSource } from "../core/clock.ts";
import { measurementPrefix, mergedFileKey, parseDataFileKey } from "../layout/keys.ts";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { ColumnarTable, FieldColumn, FieldValues } from "../parquet/columnar.ts";
import { allocFieldValues, sameSeries } from "../parquet/columnar.ts";
import type { FileMetadata } from "../parquet/reader.ts";
import { readColumnarParquet, readFileMetadata } from "../parquet/reader.ts";
import type { FieldDef } from "../parquet/table.ts";
import { writeColumnarParquetStreaming } from "../parquet/writer.ts";
import type { SeriesColumns } from "./columns.ts";
import { sortDedupColumns, splitColumnarAtSeries, summariseTagColumns } from "./columns.ts";
import { CompactionError } from "./errors.ts";
import type { MergeJob, MergePolicy } from "./plan.ts";
import { DEFAULT_MERGE_POLICY, planMerges } from "./plan.ts";
import { orderBySortKey } from "./sortkey.ts";

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
  // 1. Fetch every input (compressed). A missing one means a concurrent merge already replaced it.
  const inputs: { bytes: Uint8Array; meta: FileMetadata }[] = [];
  for (const f of job.inputs) {
    const bytes = await deps.store.get(f.key);
    if (bytes === undefined) return { status: "lost-race", missing: [f.key] };
    inputs.push({ bytes, meta: readFileMetadata(bytes) });
  }
  // 2. Decode, sort and dedup; only the merged columns outlive this call. Inputs written under another sort
  // key (older files: alphabetical) are re-sorted like the rest, since every row is ranked anew.
  const sortKey =
    job.sortKey ?? (await deps.catalog.schema(job.database)).measurements.get(job.measurement)?.sortKey ?? [];
  const merged = mergeInputs(inputs, sortKey);
  // 3. Write outputs (invisible until the catalog commit).
  const outputs: { file: FileEntry }[] = [];
  const written: string[] = [];
  let committed = false;
  try {
    for (const table of splitColumnarAtSeries(merged, job.maxOutputs)) {
      if (table.length === 0) continue;
      const w = await writeColumnarParquetStreaming(table, { level: 1, rowGroupRows: deps.rowGroupRows });
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
          tagValues: summariseTagColumns(table, deps.tagValueSummaryCap ?? 64),
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
    const schema = await deps.catalog.schema(database);
    for (const m of [...schema.measurements.values()].sort((a, b) => compareUtf8(a.name, b.name))) {
      if (!timeLeft()) break;
      const partitions = await deps.catalog.catalogPartitions(database, m.name);
      for (const job of planMerges(database, m.name, partitions, deps.policy ?? DEFAULT_MERGE_POLICY)) {
        if (!timeLeft()) break;
        try {
          const outcome = await executeMerge({ ...job, sortKey: m.sortKey }, deps);
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

/**
 * Union schema, then each input decoded in turn (its compressed bytes dropped once decoded) into shared
 * columns, then one sort + dedup by index permutation.
 */
function mergeInputs(
  inputs: { bytes: Uint8Array; meta: FileMetadata }[],
  sortKey: readonly string[],
): ColumnarTable {
  const tagKeys = orderBySortKey(
    inputs.flatMap((t) => t.meta.tagKeys),
    sortKey,
  );
  const fieldTypes = new Map<string, FieldDef>();
  for (const t of inputs)
    for (const f of t.meta.fields) {
      const seen = fieldTypes.get(f.name);
      if (seen && seen.type !== f.type)
        throw new CompactionError(`field "${f.name}" is ${seen.type} in one input and ${f.type} in another`);
      fieldTypes.set(f.name, f);
    }
  const fields = [...fieldTypes.values()].sort((a, b) => compareUtf8(a.name, b.name));
  const builder = new MergeInput(
    tagKeys,
    fields,
    inputs.reduce((n, t) => n + t.meta.rowCount, 0),
  );
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as (typeof inputs)[number];
    builder.append(readColumnarParquet(input.bytes));
    inputs[i] = { bytes: new Uint8Array(0), meta: input.meta };
  }
  return sortDedupColumns(builder.finish());
}

/** Accumulates decoded inputs over the union schema, giving each distinct tag-value tuple one series id. */
class MergeInput {
  private readonly series: (string | null)[][] = [];
  private readonly seriesIds = new Map<string, number>();
  private readonly seriesOf: Int32Array;
  private readonly timeNs: BigInt64Array;
  private readonly seq: BigInt64Array;
  private readonly values: FieldColumn[];
  private length = 0;

  constructor(
    private readonly tagKeys: readonly string[],
    private readonly fields: readonly FieldDef[],
    capacity: number,
  ) {
    this.seriesOf = new Int32Array(capacity);
    this.timeNs = new BigInt64Array(capacity);
    this.seq = new BigInt64Array(capacity);
    this.values = fields.map((f) => ({
      values: allocFieldValues(f.type, capacity),
      valid: new Uint8Array(capacity),
    }));
  }

  append(t: ColumnarTable): void {
    const n = t.length;
    const at = this.length;
    if (at + n > this.timeNs.length)
      throw new CompactionError(`merge inputs hold more rows than their metadata's ${this.timeNs.length}`);
    this.timeNs.set(t.timeNs, at);
    this.seq.set(t.seq, at);
    // Series: look up a tuple only where the (sorted) input changes series.
    const position = this.tagKeys.map((k) => t.tagKeys.indexOf(k));
    let id = -1;
    for (let i = 0; i < n; i++) {
      if (i === 0 || !sameSeries(t.tags, i - 1, i)) {
        const values = position.map((p) => {
          if (p < 0) return null;
          const c = t.tags[p] as ColumnarTable["tags"][number];
          const k = c.indices[i] as number;
          return k < 0 ? null : (c.dictionary[k] as string);
        });
        const key = JSON.stringify(values);
        const known = this.seriesIds.get(key);
        if (known === undefined) {
          id = this.series.length;
          this.seriesIds.set(key, id);
          this.series.push(values);
        } else id = known;
      }
      this.seriesOf[at + i] = id;
    }
    this.fields.forEach((f, i) => {
      const to = this.values[i] as FieldColumn;
      const p = t.fields.findIndex((g) => g.name === f.name);
      if (p < 0) return; // valid stays 0: the input has no such field
      const from = t.values[p] as FieldColumn;
      if (Array.isArray(from.values)) {
        const dst = to.values as (string | null)[];
        for (let j = 0; j < n; j++) dst[at + j] = (from.values[j] as string | null) ?? null;
      } else (to.values as Exclude<FieldValues, unknown[]>).set(from.values as never, at);
      if (from.valid === null) (to.valid as Uint8Array).fill(1, at, at + n);
      else (to.valid as Uint8Array).set(from.valid, at);
    });
    this.length += n;
  }

  finish(): SeriesColumns {
    const n = this.length;
    return {
      tagKeys: this.tagKeys,
      fields: this.fields,
      series: this.series,
      length: n,
      seriesOf: this.seriesOf.subarray(0, n),
      timeNs: this.timeNs.subarray(0, n),
      seq: this.seq.subarray(0, n),
      values: this.values.map((c) => ({
        values: Array.isArray(c.values) ? c.values.slice(0, n) : c.values.subarray(0, n),
        valid: (c.valid as Uint8Array).subarray(0, n),
      })),
    };
  }
}
