// Pure query planning: which partitions, files, row groups and columns a statement must read.
// No I/O: inputs are catalog entries and Parquet footers, so every pruning rule is testable alone.
import type { FileMetaData, RowGroup, Statistics } from "hyparquet";
import type { FileEntry, PartitionEntry } from "../catalog/port.ts";
import type { Expr } from "../influxql/ast.ts";
import { mayMatch, type PruneSummary, passes, type TagTest, type TimeRange } from "./condition.ts";
import { DAY_NS, dayStartNs } from "./time.ts";

export interface PruneInput {
  readonly condition?: Expr;
  /** Already intersected with the statement's defaults (e.g. now() as the upper bound). */
  readonly range: TimeRange;
  readonly nowNs: bigint;
  readonly isTag: (name: string) => boolean;
}

const inRange = (range: TimeRange, min: bigint, max: bigint): boolean => range.min <= max && range.max >= min;

function test(input: PruneInput, summary: PruneSummary): boolean {
  return (
    inRange(input.range, summary.minTime, summary.maxTime) &&
    mayMatch(input.condition, summary, input.isTag, input.nowNs)
  );
}

/** A partition may match when its day overlaps the range and its tag parts agree with the condition. */
export function partitionMayMatch(p: PartitionEntry, input: PruneInput): boolean {
  const start = dayStartNs(p.day);
  if (start === undefined) return true;
  return test(input, {
    minTime: start,
    maxTime: start + DAY_NS - 1n,
    // Parts named after a tag hold that tag's value; other parts (e.g. hash buckets) cannot prune here.
    tagMay: (key, t) => {
      const v = p.parts[key];
      return v === undefined || passes(v, t);
    },
  });
}

export function fileMayMatch(f: FileEntry, input: PruneInput): boolean {
  return test(input, {
    minTime: f.minTimeNs,
    maxTime: f.maxTimeNs,
    tagMay: (key, t) => {
      const values = f.tagValues.get(key);
      return values === undefined || values.some((v) => passes(v, t));
    },
  });
}

export interface FilePlan {
  readonly partitionsConsidered: number;
  readonly partitionsChosen: number;
  readonly filesConsidered: number;
  readonly files: readonly FileEntry[];
  /**
   * The chosen files per partition. A series and time always land in the same partition (day and
   * tag parts derive from them), so only files of one partition can hold duplicates of each other.
   */
  readonly byPartition: readonly (readonly FileEntry[])[];
}

export function planFiles(partitions: readonly PartitionEntry[], input: PruneInput): FilePlan {
  let chosen = 0;
  let considered = 0;
  const files: FileEntry[] = [];
  const byPartition: FileEntry[][] = [];
  for (const p of partitions) {
    considered += p.files.length;
    if (!partitionMayMatch(p, input)) continue;
    chosen++;
    const kept = p.files.filter((f) => fileMayMatch(f, input));
    files.push(...kept);
    if (kept.length) byPartition.push(kept);
  }
  return {
    partitionsConsidered: partitions.length,
    partitionsChosen: chosen,
    filesConsidered: considered,
    files,
    byPartition,
  };
}

type MinMaxType = Statistics["min"];

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function statBigint(v: MinMaxType | undefined, scale: bigint): bigint | undefined {
  if (typeof v === "bigint") return v * scale;
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.trunc(v)) * scale;
  if (v instanceof Date) return BigInt(v.getTime()) * 1_000_000n;
  return undefined;
}

function statString(v: MinMaxType | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return decoder.decode(v);
  return undefined;
}

function chunkOf(rg: RowGroup, name: string) {
  return rg.columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data;
}

/** Time bounds of a row group from `time_ns` statistics, else from `time` (µs), else unbounded. */
export function rowGroupTimeBounds(rg: RowGroup): { min: bigint; max: bigint } | undefined {
  const ns = chunkOf(rg, "time_ns")?.statistics;
  const nsMin = statBigint(ns?.min_value ?? ns?.min, 1n);
  const nsMax = statBigint(ns?.max_value ?? ns?.max, 1n);
  if (nsMin !== undefined && nsMax !== undefined) return { min: nsMin, max: nsMax };
  const us = chunkOf(rg, "time")?.statistics;
  const usMin = statBigint(us?.min_value ?? us?.min, 1000n);
  const usMax = statBigint(us?.max_value ?? us?.max, 1000n);
  if (usMin !== undefined && usMax !== undefined) return { min: usMin, max: usMax + 999n };
  return undefined;
}

/** May a row group hold a value of `key` passing `t`? Uses min/max; a truncated max is treated as a prefix. */
function rowGroupTagMay(rg: RowGroup, hasColumn: boolean, key: string, t: TagTest): boolean {
  if (!hasColumn) return passes("", t);
  const meta = chunkOf(rg, key);
  const stats = meta?.statistics;
  if (!meta || !stats) return true;
  if (stats.null_count !== undefined && stats.null_count === meta.num_values && stats.null_count > 0n)
    return passes("", t);
  if (t.op !== "=") {
    // Grafana's multi-value variables become /^(a|b)$/: prune those like a set of equalities.
    const literals = literalAlternatives(t.re);
    return (
      literals === undefined ||
      literals.some((value) => rowGroupTagMay(rg, hasColumn, key, { op: "=", value }))
    );
  }
  return boundsTagMay(
    statString(stats.min_value ?? stats.min),
    statString(stats.max_value ?? stats.max),
    stats.is_max_value_exact === true,
    t.value,
  );
}

/** May a value equal to `value` lie within [min, max] of a row group or page? */
function boundsTagMay(
  min: string | undefined,
  max: string | undefined,
  exactMax: boolean,
  value: string,
): boolean {
  if (min === undefined || max === undefined) return true;
  // Statistics order by UTF-8 bytes; JS compares UTF-16 units. They agree except for astral characters
  // vs U+E000..U+FFFF, so do not prune on such values.
  if (NON_BMP_ORDER.test(value) || NON_BMP_ORDER.test(min) || NON_BMP_ORDER.test(max)) return true;
  if (value < min) return false;
  if (value <= max) return true;
  // A writer may truncate a long max (hyparquet-writer: 16 bytes) without rounding it up: then any
  // value starting with it may be in the group. Exact or short maxima are taken at their word.
  return !exactMax && encoder.encode(max).length >= 16 && value.startsWith(max);
}

const NON_BMP_ORDER = /[\ud800-\uffff]/;

/** `^a$`, `^(a|b)$`, `^(?:a|b\.c)$` -> the literals it matches exactly; undefined for anything else. */
export function literalAlternatives(re: RegExp): string[] | undefined {
  if (re.flags !== "") return undefined;
  const m = /^\^(?:\((?:\?:)?(.*)\)|(.*))\$$/s.exec(re.source);
  const body = m?.[1] ?? m?.[2];
  if (body === undefined) return undefined;
  const out: string[] = [];
  for (const part of body.split("|")) {
    if (!/^(?:[^\\^$.|?*+()[\]{}]|\\[^A-Za-z0-9])*$/.test(part)) return undefined;
    out.push(part.replace(/\\(.)/g, "$1"));
  }
  return out;
}

export interface RowGroupChoice {
  readonly index: number;
  readonly rowStart: number;
  readonly rowEnd: number;
}

/** Row groups of a file whose statistics may satisfy the statement. */
export function chooseRowGroups(metadata: FileMetaData, input: PruneInput): RowGroupChoice[] {
  const columns = new Set(metadata.schema.slice(1).map((s) => s.name));
  const out: RowGroupChoice[] = [];
  let rowStart = 0;
  metadata.row_groups.forEach((rg, index) => {
    const n = Number(rg.num_rows);
    const bounds = rowGroupTimeBounds(rg);
    const ok = test(input, {
      minTime: bounds?.min ?? input.range.min,
      maxTime: bounds?.max ?? input.range.max,
      tagMay: (key, t) => rowGroupTagMay(rg, columns.has(key), key, t),
    });
    if (ok && n > 0) out.push({ index, rowStart, rowEnd: rowStart + n });
    rowStart += n;
  });
  return out;
}

/** The subset of wanted columns present in the file, in file order (absent tags/fields read as null). */
export function columnsToRead(metadata: FileMetaData, wanted: ReadonlySet<string>): string[] {
  return metadata.schema
    .slice(1)
    .map((s) => s.name)
    .filter((n) => wanted.has(n));
}

/** Clusters of sources whose time ranges overlap (transitively); only these need the dedup merge. */
export function overlapClusters<T extends { minTimeNs: bigint; maxTimeNs: bigint }>(
  items: readonly T[],
): T[][] {
  const sorted = [...items].sort((a, b) =>
    a.minTimeNs < b.minTimeNs ? -1 : a.minTimeNs > b.minTimeNs ? 1 : 0,
  );
  const out: T[][] = [];
  let current: T[] = [];
  let currentMax = 0n;
  for (const it of sorted) {
    if (current.length > 0 && it.minTimeNs <= currentMax) {
      current.push(it);
      if (it.maxTimeNs > currentMax) currentMax = it.maxTimeNs;
    } else {
      if (current.length) out.push(current);
      current = [it];
      currentMax = it.maxTimeNs;
    }
  }
  if (current.length) out.push(current);
  return out;
}

/** One column's page index within a row group: first row, min and max, all-null flag of each page. */
export interface PageStats {
  readonly firstRows: readonly number[];
  readonly mins: readonly unknown[];
  readonly maxs: readonly unknown[];
  readonly nullPages: readonly boolean[];
}

/**
 * Row ranges (relative to the row group, end exclusive) of the pages that may hold a matching row,
 * from the page index of the time column and the condition's tag columns. Segments are cut at every
 * page boundary of any of those columns; a segment is dropped when its pages prove no row matches.
 */
export function choosePageRanges(
  rows: number,
  pages: ReadonlyMap<string, PageStats>,
  input: PruneInput,
): [number, number][] {
  const cuts = new Set<number>([0, rows]);
  for (const p of pages.values()) for (const r of p.firstRows) if (r > 0 && r < rows) cuts.add(r);
  const bounds = [...cuts].sort((a, b) => a - b);
  const cursor = new Map<string, number>([...pages.keys()].map((k) => [k, 0]));
  const pageAt = (name: string, row: number): number | undefined => {
    const p = pages.get(name);
    if (!p) return undefined;
    let i = cursor.get(name) ?? 0;
    while (i + 1 < p.firstRows.length && (p.firstRows[i + 1] as number) <= row) i++;
    cursor.set(name, i);
    return i;
  };
  const out: [number, number][] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const start = bounds[b] as number;
    const end = bounds[b + 1] as number;
    let minTime = input.range.min;
    let maxTime = input.range.max;
    const ns = pageAt("time_ns", start);
    const us = ns === undefined ? pageAt("time", start) : undefined;
    const tp = ns !== undefined ? pages.get("time_ns") : us !== undefined ? pages.get("time") : undefined;
    const ti = ns ?? us;
    if (tp && ti !== undefined && !tp.nullPages[ti]) {
      const scale = ns !== undefined ? 1n : 1000n;
      const lo = statBigint(tp.mins[ti] as MinMaxType, scale);
      const hi = statBigint(tp.maxs[ti] as MinMaxType, scale);
      if (lo !== undefined && hi !== undefined) {
        minTime = lo;
        maxTime = scale === 1n ? hi : hi + 999n;
      }
    }
    const ok = test(input, {
      minTime,
      maxTime,
      tagMay: (key, t) => {
        const i = pageAt(key, start);
        const p = pages.get(key);
        if (i === undefined || !p) return true;
        if (p.nullPages[i]) return passes("", t);
        if (t.op !== "=") {
          const literals = literalAlternatives(t.re);
          return (
            literals === undefined ||
            literals.some((v) =>
              boundsTagMay(
                statString(p.mins[i] as MinMaxType),
                statString(p.maxs[i] as MinMaxType),
                false,
                v,
              ),
            )
          );
        }
        return boundsTagMay(
          statString(p.mins[i] as MinMaxType),
          statString(p.maxs[i] as MinMaxType),
          false,
          t.value,
        );
      },
    });
    if (!ok) continue;
    const last = out[out.length - 1];
    if (last && last[1] === start) last[1] = end;
    else out.push([start, end]);
  }
  return out;
}
