// Columnar ordering and last-write-wins deduplication: the typed-array form of rows.ts used by L0 compaction
// and merges. Rows are sorted through an index permutation (series rank, then time, sequence, input order);
// no per-row objects are created.
import type { ColumnarTable, FieldColumn, FieldValues, TagColumn } from "../parquet/columnar.ts";
import {
  allocFieldValues,
  compareInt64At,
  gatherInt64,
  int32View,
  sameSeries,
  sliceColumnar,
} from "../parquet/columnar.ts";
import type { FieldDef } from "../parquet/table.ts";
import { compareTags } from "./rows.ts";

/**
 * The keys of unsorted rows of one file to be: each row names a series by id (`series[id]` holds its tag
 * values), a time and a sequence. Input order is the final tie-break: for equal (series, time, seq) a later
 * row wins.
 */
export interface SortKeys {
  readonly tagKeys: readonly string[];
  readonly fields: readonly FieldDef[];
  /** Tag values of each series id, in tagKeys order (null = absent). */
  readonly series: readonly (readonly (string | null)[])[];
  readonly length: number;
  readonly seriesOf: Int32Array;
  readonly timeNs: BigInt64Array;
  readonly seq: BigInt64Array;
}

/** Where field values come from: columns (merges), or parsed points kept as they are (L0). */
export interface FieldSource {
  /** Whether input row `row` sets field `field` (asked only for rows that share a series and time). */
  has(field: number, row: number): boolean;
  /** Fills output columns (values and valid = 1) from input rows: output row i takes input row src[i]. */
  gather(src: Int32Array, out: readonly FieldColumn[]): void;
  /** Copies one field of input row `row` to output row i (the field is set in that row). */
  copy(field: number, row: number, out: FieldColumn, i: number): void;
}

/** Sort keys with their field values as columns. */
export interface SeriesColumns extends SortKeys {
  readonly values: readonly FieldColumn[];
}

/** Rank of each series id in series order (compareTags). */
function seriesRanks(series: SeriesColumns["series"]): Int32Array {
  const ids = Array.from(series, (_, i) => i).sort((a, b) => compareTags(series[a] ?? [], series[b] ?? []));
  const rank = new Int32Array(series.length);
  ids.forEach((id, r) => {
    rank[id] = r;
  });
  return rank;
}

/** Row indices in (series rank, time, seq, input) order. */
export function sortPermutation(input: SortKeys): Int32Array {
  const n = input.length;
  const rank = seriesRanks(input.series);
  const starts = new Int32Array(input.series.length + 1);
  for (let i = 0; i < n; i++) {
    const r = (rank[input.seriesOf[i] as number] as number) + 1;
    starts[r] = (starts[r] as number) + 1;
  }
  for (let r = 0; r < input.series.length; r++)
    starts[r + 1] = (starts[r + 1] as number) + (starts[r] as number);
  const next = starts.slice(0, input.series.length);
  const perm = new Int32Array(n);
  // Counting sort by series rank: stable, so input order survives within a series.
  for (let i = 0; i < n; i++) {
    const r = rank[input.seriesOf[i] as number] as number;
    const at = next[r] as number;
    perm[at] = i;
    next[r] = at + 1;
  }
  const time = int32View(input.timeNs);
  const seq = int32View(input.seq);
  const byTime = (a: number, b: number) => compareInt64At(time, a, b) || compareInt64At(seq, a, b) || a - b;
  for (let r = 0; r < input.series.length; r++) {
    const s = starts[r] as number;
    const e = starts[r + 1] as number;
    // Points of a series usually arrive in time order: check before sorting.
    let sorted = true;
    for (let k = s + 1; k < e; k++) {
      if (byTime(perm[k - 1] as number, perm[k] as number) > 0) {
        sorted = false;
        break;
      }
    }
    if (!sorted) perm.subarray(s, e).sort(byTime);
  }
  return perm;
}

function isSet(column: FieldColumn, i: number): boolean {
  return column.valid === null || column.valid[i] === 1;
}

function copyValue(from: FieldValues, i: number, to: FieldValues, j: number): void {
  (to as unknown as unknown[])[j] = (from as unknown as unknown[])[i];
}

/** Field values held in columns. */
export function columnSource(columns: readonly FieldColumn[]): FieldSource {
  return {
    has: (f, r) => isSet(columns[f] as FieldColumn, r),
    gather(src, out) {
      columns.forEach((from, f) => {
        const to = out[f] as FieldColumn;
        const valid = to.valid as Uint8Array;
        if (from.values instanceof Float64Array) gatherFloat(from, to.values as Float64Array, valid, src);
        else if (from.values instanceof BigInt64Array)
          gatherInt(from, to.values as BigInt64Array, valid, src);
        else {
          for (let i = 0; i < src.length; i++) {
            const s = src[i] as number;
            if (isSet(from, s)) {
              copyValue(from.values, s, to.values, i);
              valid[i] = 1;
            }
          }
        }
      });
    },
    copy(f, r, out, i) {
      copyValue((columns[f] as FieldColumn).values, r, out.values, i);
    },
  };
}

/** sortDedup over columns. */
export function sortDedupColumns(input: SeriesColumns): ColumnarTable {
  return sortDedup(input, columnSource(input.values));
}

/**
 * Sorts and deduplicates with the rule of rows.ts dedupSorted: for one (series, time) each field takes the
 * non-null value of the row with the highest sequence (ties: the later input row); exactly one output row
 * per key, carrying the highest sequence among the rows that won a field.
 */
export function sortDedup(input: SortKeys, source: FieldSource): ColumnarTable {
  const perm = sortPermutation(input);
  const n = input.length;
  const width = input.fields.length;
  const src = new Int32Array(n);
  /** Per output row that combines several writes: the source row of each field (-1 = null). */
  const combined = new Map<number, Int32Array>();
  const winner = new Int32Array(width);
  let m = 0;
  let i = 0;
  while (i < n) {
    const first = perm[i] as number;
    const series = input.seriesOf[first];
    const time = input.timeNs[first];
    let j = i + 1;
    while (j < n) {
      const r = perm[j] as number;
      if (input.timeNs[r] !== time || input.seriesOf[r] !== series) break;
      j++;
    }
    if (j === i + 1) {
      src[m++] = first;
    } else {
      winner.fill(-1);
      for (let k = i; k < j; k++) {
        const r = perm[k] as number;
        for (let f = 0; f < width; f++) if (source.has(f, r)) winner[f] = r;
      }
      // One row per key: each field from its winner; time, tags and `_seq` from the newest winner.
      const row = new Int32Array(width);
      let newest = perm[j - 1] as number;
      let newestSeq: bigint | undefined;
      for (let f = 0; f < width; f++) {
        const w = winner[f] as number;
        row[f] = w;
        if (w < 0) continue;
        const s = input.seq[w] as bigint;
        if (newestSeq === undefined || s > newestSeq) {
          newestSeq = s;
          newest = w;
        }
      }
      src[m] = newest;
      combined.set(m, row);
      m++;
    }
    i = j;
  }
  return gather(input, source, src.subarray(0, m), combined);
}

function gather(
  input: SortKeys,
  source: FieldSource,
  src: Int32Array,
  combined: ReadonlyMap<number, Int32Array>,
): ColumnarTable {
  const m = src.length;
  const timeNs = new BigInt64Array(m);
  const seq = new BigInt64Array(m);
  gatherInt64(input.timeNs, src, timeNs);
  gatherInt64(input.seq, src, seq);
  // Tag dictionaries hold only values of series that have output rows.
  const used = new Uint8Array(input.series.length);
  // Output rows come in runs of one series (they are sorted by it): tag indices are filled run by run.
  const runStarts: number[] = [];
  const runSeries: number[] = [];
  let previous = -1;
  for (let i = 0; i < m; i++) {
    const id = input.seriesOf[src[i] as number] as number;
    if (id === previous) continue;
    previous = id;
    used[id] = 1;
    runStarts.push(i);
    runSeries.push(id);
  }
  runStarts.push(m);
  const tags: TagColumn[] = input.tagKeys.map((_, t) => {
    const index = new Map<string, number>();
    const dictionary: string[] = [];
    const ofSeries = new Int32Array(input.series.length).fill(-1);
    input.series.forEach((values, id) => {
      const v = values[t] ?? null;
      if (used[id] === 0 || v === null) return;
      let k = index.get(v);
      if (k === undefined) {
        k = dictionary.length;
        index.set(v, k);
        dictionary.push(v);
      }
      ofSeries[id] = k;
    });
    const indices = new Int32Array(m);
    for (let r = 0; r < runSeries.length; r++)
      indices.fill(
        ofSeries[runSeries[r] as number] as number,
        runStarts[r] as number,
        runStarts[r + 1] as number,
      );
    return { dictionary, indices };
  });
  const values: FieldColumn[] = input.fields.map((def) => ({
    values: allocFieldValues(def.type, m),
    valid: new Uint8Array(m),
  }));
  source.gather(src, values);
  for (const [i, row] of combined) {
    values.forEach((to, f) => {
      const s = row[f] as number;
      (to.valid as Uint8Array)[i] = s < 0 ? 0 : 1;
      if (s >= 0) source.copy(f, s, to, i);
    });
  }
  return { tagKeys: input.tagKeys, fields: input.fields, length: m, timeNs, seq, tags, values };
}

function gatherFloat(from: FieldColumn, to: Float64Array, valid: Uint8Array, src: Int32Array): void {
  const values = from.values as Float64Array;
  const v = from.valid;
  for (let i = 0; i < src.length; i++) {
    const s = src[i] as number;
    to[i] = values[s] as number;
    valid[i] = v === null ? 1 : (v[s] as number);
  }
}

function gatherInt(from: FieldColumn, to: BigInt64Array, valid: Uint8Array, src: Int32Array): void {
  gatherInt64(from.values as BigInt64Array, src, to);
  const v = from.valid;
  for (let i = 0; i < src.length; i++) valid[i] = v === null ? 1 : (v[src[i] as number] as number);
}

/** Splits sorted columns into at most `parts` runs of similar size, cutting only where the series changes. */
export function splitColumnarAtSeries(table: ColumnarTable, parts: number): ColumnarTable[] {
  if (parts <= 1 || table.length === 0) return [table];
  const target = Math.ceil(table.length / parts);
  const out: ColumnarTable[] = [];
  let start = 0;
  while (start < table.length) {
    let cut = Math.min(table.length, start + target);
    while (cut < table.length && sameSeries(table.tags, cut - 1, cut)) cut++;
    out.push(sliceColumnar(table, start, cut));
    start = cut;
  }
  return out;
}

/** Distinct tag values per key, sorted; keys with more than `cap` values are left out (= any value). */
export function summariseTagColumns(table: ColumnarTable, cap: number): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  table.tagKeys.forEach((key, t) => {
    const column = table.tags[t] as TagColumn;
    const used = new Uint8Array(column.dictionary.length);
    let distinct = 0;
    // Stop once every dictionary value was seen (the usual case for low-cardinality tags, early on).
    const all = column.dictionary.length;
    for (let i = 0; i < table.length && distinct <= cap && distinct < all; i++) {
      const k = column.indices[i] as number;
      if (k >= 0 && used[k] === 0) {
        used[k] = 1;
        distinct++;
      }
    }
    if (distinct > cap) return;
    out.set(key, column.dictionary.filter((_, k) => used[k] === 1).sort(compareStrings));
  });
  return out;
}

function compareStrings(a: string, b: string): number {
  return compareTags([a], [b]);
}
