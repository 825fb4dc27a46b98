// Merge planning: a pure function from a measurement's catalog partitions to merge jobs (no I/O).
import type { CatalogPartition } from "../catalog/model.ts";
import type { FileEntry } from "../catalog/port.ts";

export interface MergePolicy {
  /** Merged files aim to be at least this big; partitions larger than it get several. Default 64 MiB. */
  readonly targetFileBytes: number;
  /** Merged files below this size are merged again with new L0 files. Default targetFileBytes / 2. */
  readonly smallFileBytes: number;
  /** Inputs a job gathers before the size caps may stop it (a lone level-0 file still gets a job). Default 2. */
  readonly minInputFiles: number;
  /** Cap on the input bytes of one job. Default 512 MiB. */
  readonly maxInputBytes: number;
  /**
   * Cap on the input rows of one job: merges hold every input row in typed columns (~250 B of RSS per
   * TSBS row, measured at 4M rows), so this, not maxInputBytes, bounds dense partitions. A merged file with at least
   * half this many rows counts as full even when smaller than smallFileBytes (dense integer data never
   * reaches it), so it is not rewritten again for every new L0 file. Default 8,000,000 (~2 GB).
   */
  readonly maxInputRows: number;
}

export const DEFAULT_MERGE_POLICY: MergePolicy = {
  targetFileBytes: 64 * 1024 * 1024,
  smallFileBytes: 32 * 1024 * 1024,
  minInputFiles: 2,
  maxInputBytes: 512 * 1024 * 1024,
  maxInputRows: 8_000_000,
};

export interface MergeJob {
  readonly database: string;
  readonly measurement: string;
  /** The partition's layout path (catalog identity). */
  readonly partitionPath: string;
  readonly partition: CatalogPartition["id"];
  /** Inputs in ascending (minSeq, key) order. */
  readonly inputs: readonly FileEntry[];
  /** Upper bound on output files (each ≥ targetFileBytes by input size, split between series). */
  readonly maxOutputs: number;
  /** The measurement's sort key (catalog schema); when absent the executor reads it from the catalog. */
  readonly sortKey?: readonly string[];
}

function byAge(a: FileEntry, b: FileEntry): number {
  if (a.minSeq !== b.minSeq) return a.minSeq < b.minSeq ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * One job per partition that holds L0 files: its L0 files and its small merged files (below smallFileBytes
 * and below half of maxInputRows), oldest first, up to maxInputBytes and maxInputRows. Large merged files are left alone (overlaps with them are resolved by query-time dedup).
 */
export function planMerges(
  database: string,
  measurement: string,
  partitions: readonly CatalogPartition[],
  policy: MergePolicy = DEFAULT_MERGE_POLICY,
): MergeJob[] {
  const jobs: MergeJob[] = [];
  const sorted = [...partitions].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const p of sorted) {
    const candidates = p.files
      .filter(
        (f) => f.level === 0 || (f.sizeBytes < policy.smallFileBytes && f.rowCount * 2 < policy.maxInputRows),
      )
      .sort(byAge);
    if (!candidates.some((f) => f.level === 0)) continue;
    const inputs: FileEntry[] = [];
    let bytes = 0;
    let rows = 0;
    for (const f of candidates) {
      const over = bytes + f.sizeBytes > policy.maxInputBytes || rows + f.rowCount > policy.maxInputRows;
      if (inputs.length >= policy.minInputFiles && over) break;
      inputs.push(f);
      bytes += f.sizeBytes;
      rows += f.rowCount;
    }
    // A lone level-0 file is promoted (rewritten as a merged file) all the same: Athena reads only merged
    // files, so a point must not stay in `_l0/` because no second file reached its partition.
    if (inputs.length < policy.minInputFiles && !inputs.some((f) => f.level === 0)) continue;
    jobs.push({
      database,
      measurement,
      partitionPath: p.path,
      partition: p.id,
      inputs,
      maxOutputs: Math.max(1, Math.floor(bytes / policy.targetFileBytes)),
    });
  }
  return jobs;
}
