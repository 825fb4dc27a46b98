// The columnar form of one measurement file: typed arrays and dictionary-encoded tags, the shape the compactor
// builds and the Parquet writer and reader exchange (no per-row objects).
import type { FieldType, FieldValue } from "../lineprotocol/types.ts";
import type { FieldDef, MeasurementTable, Row } from "./table.ts";

/** A tag column: `indices[i]` is the row's position in `dictionary`, or -1 when the row has no such tag. */
export interface TagColumn {
  readonly dictionary: readonly string[];
  readonly indices: Int32Array;
}

export type FieldValues = Float64Array | BigInt64Array | BigUint64Array | Uint8Array | (string | null)[];

/**
 * A field column. `values` by type: float Float64Array, integer BigInt64Array, unsigned BigUint64Array,
 * boolean Uint8Array (0/1), string array. `valid[i]` is 1 when row i has a value; null means every row does.
 */
export interface FieldColumn {
  readonly values: FieldValues;
  readonly valid: Uint8Array | null;
}

export interface ColumnarTable {
  /** In sort-key order: rows are sorted by these tags' values in this order, then by time. */
  readonly tagKeys: readonly string[];
  readonly fields: readonly FieldDef[];
  readonly length: number;
  readonly timeNs: BigInt64Array;
  readonly seq: BigInt64Array;
  /** One per tag key, same order. */
  readonly tags: readonly TagColumn[];
  /** One per field, same order. */
  readonly values: readonly FieldColumn[];
}

/** An empty value array of a field type, n rows long. */
export function allocFieldValues(type: FieldType, n: number): FieldValues {
  switch (type) {
    case "float":
      return new Float64Array(n);
    case "integer":
      return new BigInt64Array(n);
    case "unsigned":
      return new BigUint64Array(n);
    case "boolean":
      return new Uint8Array(n);
    case "string":
      return new Array<string | null>(n).fill(null);
  }
}

/** Row i's value of a field column (null when absent). */
export function fieldValueAt(type: FieldType, column: FieldColumn, i: number): FieldValue | null {
  if (column.valid !== null && column.valid[i] === 0) return null;
  const v = column.values[i];
  if (v === undefined || v === null) return null;
  return type === "boolean" ? v === 1 : v;
}

/** Stores a value (or null) at row i; `valid` must be non-null to store a null. */
export function setFieldValue(type: FieldType, column: FieldColumn, i: number, v: FieldValue | null): void {
  if (v === null) {
    if (column.valid === null) throw new RangeError("cannot store null in a column without validity");
    column.valid[i] = 0;
    return;
  }
  if (column.valid !== null) column.valid[i] = 1;
  if (type === "boolean") (column.values as Uint8Array)[i] = v === true ? 1 : 0;
  else (column.values as unknown as FieldValue[])[i] = v;
}

/** Converts rows into columns (tests, and callers that hold rows). */
export function columnarFromRows(table: MeasurementTable): ColumnarTable {
  const rows = table.rows;
  const n = rows.length;
  const timeNs = new BigInt64Array(n);
  const seq = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as Row;
    timeNs[i] = r.timeNs;
    seq[i] = r.seq;
  }
  const tags = table.tagKeys.map((_, t) => {
    const index = new Map<string, number>();
    const dictionary: string[] = [];
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = (rows[i] as Row).tags[t] ?? null;
      if (v === null) {
        indices[i] = -1;
        continue;
      }
      let k = index.get(v);
      if (k === undefined) {
        k = dictionary.length;
        index.set(v, k);
        dictionary.push(v);
      }
      indices[i] = k;
    }
    return { dictionary, indices };
  });
  const values = table.fields.map((def, f) => {
    const column: FieldColumn = { values: allocFieldValues(def.type, n), valid: new Uint8Array(n) };
    for (let i = 0; i < n; i++) setFieldValue(def.type, column, i, (rows[i] as Row).values[f] ?? null);
    return column;
  });
  return { tagKeys: table.tagKeys, fields: table.fields, length: n, timeNs, seq, tags, values };
}

/** Converts columns back into rows (tests and small tables only: one object per row). */
export function rowsFromColumnar(table: ColumnarTable): Row[] {
  const rows: Row[] = new Array(table.length);
  for (let i = 0; i < table.length; i++) {
    rows[i] = {
      tags: table.tags.map((c) => {
        const k = c.indices[i] as number;
        return k < 0 ? null : (c.dictionary[k] as string);
      }),
      timeNs: table.timeNs[i] as bigint,
      seq: table.seq[i] as bigint,
      values: table.fields.map((def, f) => fieldValueAt(def.type, table.values[f] as FieldColumn, i)),
    };
  }
  return rows;
}

/** True when rows i and j have the same tag values (same series). */
export function sameSeries(tags: readonly TagColumn[], i: number, j: number): boolean {
  for (const c of tags) if (c.indices[i] !== c.indices[j]) return false;
  return true;
}

/** Rows [start, end) as a table of their own, with dictionaries reduced to the values those rows use. */
export function sliceColumnar(table: ColumnarTable, start: number, end: number): ColumnarTable {
  const tags = table.tags.map((c) => {
    const src = c.indices.subarray(start, end);
    const remap = new Int32Array(c.dictionary.length).fill(-1);
    const dictionary: string[] = [];
    const indices = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const k = src[i] as number;
      if (k < 0) {
        indices[i] = -1;
        continue;
      }
      let m = remap[k] as number;
      if (m < 0) {
        m = dictionary.length;
        remap[k] = m;
        dictionary.push(c.dictionary[k] as string);
      }
      indices[i] = m;
    }
    return { dictionary, indices };
  });
  return {
    tagKeys: table.tagKeys,
    fields: table.fields,
    length: end - start,
    timeNs: table.timeNs.subarray(start, end),
    seq: table.seq.subarray(start, end),
    tags,
    values: table.values.map((c) => ({
      values: Array.isArray(c.values) ? c.values.slice(start, end) : c.values.subarray(start, end),
      valid: c.valid === null ? null : c.valid.subarray(start, end),
    })),
  };
}

// INT64 columns are handled through Int32 views (little-endian halves, as every JS engine stores typed
// arrays on the platforms we run on): reading a BigInt64Array element allocates a BigInt, and these loops
// run once per row.

/** The Int32 view of a BigInt64Array: element i is [2i] (low, unsigned bits) and [2i + 1] (high, signed). */
export function int32View(a: BigInt64Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** to[i] = from[src[i]] for every i, without creating BigInts. */
export function gatherInt64(from: BigInt64Array, src: Int32Array, to: BigInt64Array): void {
  const f = int32View(from);
  const t = int32View(to);
  for (let i = 0; i < src.length; i++) {
    const s = (src[i] as number) * 2;
    t[2 * i] = f[s] as number;
    t[2 * i + 1] = f[s + 1] as number;
  }
}

/** Compares elements a and b of an int64 array given as its int32View: -1, 0 or 1. */
export function compareInt64At(v: Int32Array, a: number, b: number): number {
  return compareInt64Across(v, a, v, b);
}

/** Compares element a of one int32View with element b of another: -1, 0 or 1. */
export function compareInt64Across(va: Int32Array, a: number, vb: Int32Array, b: number): number {
  const ha = va[2 * a + 1] as number;
  const hb = vb[2 * b + 1] as number;
  if (ha !== hb) return ha < hb ? -1 : 1;
  const la = (va[2 * a] as number) >>> 0;
  const lb = (vb[2 * b] as number) >>> 0;
  return la === lb ? 0 : la < lb ? -1 : 1;
}

/** Smallest and largest value of a non-empty array. */
export function int64Range(a: BigInt64Array): readonly [bigint, bigint] {
  const v = int32View(a);
  let min = 0;
  let max = 0;
  for (let i = 1; i < a.length; i++) {
    if (compareInt64At(v, i, min) < 0) min = i;
    else if (compareInt64At(v, i, max) > 0) max = i;
  }
  return [a[min] as bigint, a[max] as bigint];
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error("columnar INT64 helpers assume a little-endian platform");

const TWO_32 = 2 ** 32;

/**
 * to[i] = floor(from[i] / divisor) (rounding toward minus infinity), exactly, for 1 ≤ divisor ≤ 2^20:
 * high half first, then the remainder joined with the low half, which stays below 2^52.
 */
export function floorDivInt64(from: BigInt64Array, divisor: number, to: BigInt64Array): void {
  const f = int32View(from);
  const t = int32View(to);
  for (let i = 0; i < from.length; i++) {
    const hi = f[2 * i + 1] as number;
    const qHi = Math.floor(hi / divisor);
    const rest = (hi - qHi * divisor) * TWO_32 + ((f[2 * i] as number) >>> 0);
    const qLo = Math.floor(rest / divisor);
    t[2 * i] = qLo | 0;
    t[2 * i + 1] = qHi;
  }
}
