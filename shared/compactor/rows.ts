// Ordering and last-write-wins deduplication of rows: the series order (compareTags) used everywhere, and
// the row-form reference of the dedup rule that the columnar implementation (columns.ts) is tested against.
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { FieldValue } from "../lineprotocol/types.ts";
import type { FieldDef, MeasurementTable, Row } from "../parquet/table.ts";

/** Series order: tag values in tag-key order, an absent tag (null) before any value. */
export function compareTags(a: readonly (string | null)[], b: readonly (string | null)[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return compareUtf8(x, y);
  }
  return 0;
}

/** Series, then time, then sequence. Ties keep input order (Array.prototype.sort is stable). */
export function compareRows(a: Row, b: Row): number {
  const t = compareTags(a.tags, b.tags);
  if (t !== 0) return t;
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/**
 * Deduplicates rows sorted by compareRows. For one (series, time) key each field takes the non-null value of
 * the row with the highest sequence (equal sequences: the later row, i.e. the later line of one write).
 * The result has exactly one row per key, so Athena and DuckDB never see a point twice; its `_seq` is the
 * highest sequence among the writes that won a field. (A later-arriving write with a lower sequence than
 * that row then loses every field the row holds - see ARCHITECTURE.md, "Dedup rule".)
 */
export function dedupSorted(rows: readonly Row[]): Row[] {
  const out: Row[] = [];
  let i = 0;
  while (i < rows.length) {
    const first = rows[i] as Row;
    let j = i + 1;
    while (j < rows.length) {
      const r = rows[j] as Row;
      if (r.timeNs !== first.timeNs || compareTags(r.tags, first.tags) !== 0) break;
      j++;
    }
    if (j === i + 1) out.push(first);
    else combine(rows, i, j, out);
    i = j;
  }
  return out;
}

function combine(rows: readonly Row[], start: number, end: number, out: Row[]): void {
  const width = (rows[start] as Row).values.length;
  // Winner per field: last row in [start, end) with a non-null value (rows are in ascending seq order).
  const winner = new Array<number>(width).fill(-1);
  for (let r = start; r < end; r++) {
    const values = (rows[r] as Row).values;
    for (let f = 0; f < width; f++) if ((values[f] ?? null) !== null) winner[f] = r;
  }
  const values = new Array<FieldValue | null>(width).fill(null);
  let seq: bigint | undefined;
  for (let f = 0; f < width; f++) {
    const w = winner[f] as number;
    if (w < 0) continue;
    const row = rows[w] as Row;
    values[f] = row.values[f] ?? null;
    if (seq === undefined || row.seq > seq) seq = row.seq;
  }
  const first = rows[start] as Row;
  out.push({ tags: first.tags, timeNs: first.timeNs, seq: seq ?? (rows[end - 1] as Row).seq, values });
}

/** Sorts then deduplicates (a copy; the input is not modified). */
export function sortAndDedup(rows: readonly Row[]): Row[] {
  return dedupSorted([...rows].sort(compareRows));
}

/** Rewrites a table's rows onto a wider column set (tag keys and fields it lacks become null). */
export function remapRows(
  table: MeasurementTable,
  tagKeys: readonly string[],
  fields: readonly FieldDef[],
): Row[] {
  const sameTags = table.tagKeys.length === tagKeys.length && table.tagKeys.every((k, i) => k === tagKeys[i]);
  const sameFields =
    table.fields.length === fields.length && table.fields.every((f, i) => f.name === fields[i]?.name);
  if (sameTags && sameFields) return [...table.rows];
  const tagIndex = tagKeys.map((k) => table.tagKeys.indexOf(k));
  const fieldIndex = fields.map((f) => table.fields.findIndex((g) => g.name === f.name));
  return table.rows.map((r) => ({
    tags: sameTags ? r.tags : tagIndex.map((i) => (i < 0 ? null : (r.tags[i] ?? null))),
    timeNs: r.timeNs,
    seq: r.seq,
    values: sameFields ? r.values : fieldIndex.map((i) => (i < 0 ? null : (r.values[i] ?? null))),
  }));
}

/** Splits sorted rows into at most `parts` runs of similar size, cutting only where the series changes. */
export function splitAtSeries(rows: readonly Row[], parts: number): Row[][] {
  if (parts <= 1 || rows.length === 0) return [rows.slice()];
  const target = Math.ceil(rows.length / parts);
  const out: Row[][] = [];
  let start = 0;
  while (start < rows.length) {
    let cut = Math.min(rows.length, start + target);
    while (cut < rows.length && compareTags((rows[cut - 1] as Row).tags, (rows[cut] as Row).tags) === 0)
      cut++;
    out.push(rows.slice(start, cut));
    start = cut;
  }
  return out;
}
