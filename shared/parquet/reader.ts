// Reads a Sediment measurement file back, keeping time_ns, _seq and integers exact: into rows (hyparquet), or
// into columns (parquet-wasm to Arrow: typed arrays and dictionary indices, several times faster).
import type { Data, Vector } from "apache-arrow";
import { tableFromIPC } from "apache-arrow";
import { parquetMetadata, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import * as pw from "parquet-wasm";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { FieldType, FieldValue } from "../lineprotocol/types.ts";
import type { ColumnarTable, FieldColumn, FieldValues } from "./columnar.ts";
import { allocFieldValues } from "./columnar.ts";
import { ParquetFormatError } from "./errors.ts";
import type { FieldDef, MeasurementTable, Row } from "./table.ts";
import { META } from "./table.ts";

export interface FileMetadata {
  readonly formatVersion: string;
  readonly level: number;
  readonly rowCount: number;
  readonly minTimeNs: bigint;
  readonly maxTimeNs: bigint;
  readonly minSeq: bigint;
  readonly maxSeq: bigint;
  /** Tag columns in file order (the sort-key order in files that have one). */
  readonly tagKeys: readonly string[];
  /** The tag keys rows are sorted by, most significant first; alphabetical for files older than the key. */
  readonly sortKey: readonly string[];
  readonly fields: readonly FieldDef[];
  /** Rows of each row group, in file order. */
  readonly rowGroupRows: readonly number[];
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function readFileMetadata(bytes: Uint8Array): FileMetadata {
  const meta = parquetMetadata(toArrayBuffer(bytes));
  const kv = new Map((meta.key_value_metadata ?? []).map((e) => [e.key, e.value ?? ""]));
  const need = (k: string) => {
    const v = kv.get(k);
    if (v === undefined) throw new ParquetFormatError(`not a Sediment file: missing metadata "${k}"`);
    return v;
  };
  try {
    const fields = JSON.parse(need(META.fields)) as Record<string, FieldType>;
    const tagKeys = JSON.parse(need(META.tags)) as string[];
    return {
      formatVersion: need(META.formatVersion),
      level: Number(need(META.level)),
      rowCount: Number(need(META.rowCount)),
      minTimeNs: BigInt(need(META.minTimeNs)),
      maxTimeNs: BigInt(need(META.maxTimeNs)),
      minSeq: BigInt(need(META.minSeq)),
      maxSeq: BigInt(need(META.maxSeq)),
      tagKeys,
      sortKey: fileSortKey(tagKeys, kv.get(META.sortKey)),
      fields: Object.entries(fields).map(([name, type]) => ({ name, type })),
      rowGroupRows: meta.row_groups.map((g) => Number(g.num_rows)),
    };
  } catch (cause) {
    if (cause instanceof ParquetFormatError) throw cause;
    throw new ParquetFormatError(`bad Sediment metadata: ${String(cause)}`, { cause });
  }
}

function fileSortKey(tagKeys: readonly string[], raw: string | undefined): string[] {
  if (raw === undefined) return [...tagKeys].sort(compareUtf8);
  const key = JSON.parse(raw) as unknown;
  if (
    !Array.isArray(key) ||
    key.length !== tagKeys.length ||
    !key.every((k, i) => typeof k === "string" && k === tagKeys[i])
  )
    throw new ParquetFormatError(
      `"${META.sortKey}" ${raw} does not match the tag columns ${JSON.stringify(tagKeys)}`,
    );
  return key as string[];
}

function fieldValue(type: FieldType, v: unknown): FieldValue | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "float":
      return Number(v);
    case "integer":
    case "unsigned":
      return typeof v === "bigint" ? v : BigInt(v as number);
    case "boolean":
      return Boolean(v);
    case "string":
      return String(v);
  }
}

/** Reads every row of a Sediment file (all columns except the derived `time`). */
export async function readMeasurementParquet(
  bytes: Uint8Array,
): Promise<MeasurementTable & { readonly meta: FileMetadata }> {
  const meta = readFileMetadata(bytes);
  const n = meta.rowCount;
  const columns = ["time_ns", "_seq", ...meta.tagKeys, ...meta.fields.map((f) => f.name)];
  const data = new Map<string, unknown[]>(columns.map((c) => [c, new Array(n).fill(null)]));
  await parquetRead({
    file: toArrayBuffer(bytes),
    columns,
    compressors,
    onChunk: (chunk) => {
      const target = data.get(chunk.columnName);
      if (!target) return;
      const src = chunk.columnData;
      for (let i = 0; i < src.length; i++) target[chunk.rowStart + i] = src[i];
    },
  });
  const col = (c: string) => data.get(c) as unknown[];
  const timeNs = col("time_ns");
  const seq = col("_seq");
  const tagCols = meta.tagKeys.map(col);
  const fieldCols = meta.fields.map((f) => col(f.name));
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = {
      tags: tagCols.map((c) => (c[i] ?? null) as string | null),
      timeNs: BigInt(timeNs[i] as bigint),
      seq: BigInt(seq[i] as bigint),
      values: fieldCols.map((c, f) => fieldValue((meta.fields[f] as FieldDef).type, c[i])),
    };
  }
  return { tagKeys: meta.tagKeys, fields: meta.fields, rows, meta };
}

/** Rows per Arrow batch when decoding with parquet-wasm: few batches, so few dictionary remaps. */
const READ_BATCH_ROWS = 65_536;

/** Interns strings into one dictionary shared by every batch of a column. */
class Interner {
  readonly dictionary: string[] = [];
  private readonly index = new Map<string, number>();
  id(v: string): number {
    let k = this.index.get(v);
    if (k === undefined) {
      k = this.dictionary.length;
      this.index.set(v, k);
      this.dictionary.push(v);
    }
    return k;
  }
}

function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return true;
  const j = data.offset + i;
  return ((bitmap[j >> 3] as number) & (1 << (j & 7))) !== 0;
}

/** Copies a string column (dictionary-encoded, or plain) into shared-dictionary indices from row `at`. */
function copyStrings(chunks: readonly Data[], at: number, intern: Interner, out: Int32Array): number {
  let row = at;
  for (const data of chunks) {
    const dict = data.dictionary as Vector | undefined;
    if (dict !== undefined) {
      const remap = new Int32Array(dict.length);
      for (let k = 0; k < dict.length; k++) {
        const v = dict.get(k) as string | null;
        remap[k] = v === null ? -1 : intern.id(v);
      }
      const keys = data.values as Int32Array;
      if (data.nullCount === 0)
        for (let i = 0; i < data.length; i++) out[row + i] = remap[keys[i] as number] as number;
      else
        for (let i = 0; i < data.length; i++)
          out[row + i] = isValid(data, i) ? (remap[keys[i] as number] as number) : -1;
    } else {
      for (let i = 0; i < data.length; i++) out[row + i] = isValid(data, i) ? intern.id(utf8At(data, i)) : -1;
    }
    row += data.length;
  }
  return row - at;
}

const utf8 = new TextDecoder();

/** Value i of a plain Utf8 column. */
function utf8At(data: Data, i: number): string {
  const offsets = data.valueOffsets as Int32Array;
  return utf8.decode((data.values as Uint8Array).subarray(offsets[i] as number, offsets[i + 1] as number));
}

/** A column being filled row group by row group (string fields go through dictionary indices first). */
interface FieldSink {
  readonly type: FieldType;
  readonly column: FieldColumn;
  readonly strings?: { readonly intern: Interner; readonly indices: Int32Array };
}

function fieldSink(type: FieldType, n: number): FieldSink {
  if (type === "string")
    return {
      type,
      column: { values: [], valid: new Uint8Array(n) },
      strings: { intern: new Interner(), indices: new Int32Array(n) },
    };
  return { type, column: { values: allocFieldValues(type, n), valid: new Uint8Array(n) } };
}

function copyField(sink: FieldSink, chunks: readonly Data[], at: number): void {
  const valid = sink.column.valid as Uint8Array;
  if (sink.strings !== undefined) {
    const copied = copyStrings(chunks, at, sink.strings.intern, sink.strings.indices);
    for (let i = at; i < at + copied; i++) valid[i] = (sink.strings.indices[i] as number) < 0 ? 0 : 1;
    return;
  }
  const values = sink.column.values as Exclude<FieldValues, unknown[]>;
  let row = at;
  for (const data of chunks) {
    if (sink.type === "boolean") {
      const bits = data.values as Uint8Array;
      for (let i = 0; i < data.length; i++) {
        const j = data.offset + i;
        values[row + i] = ((bits[j >> 3] as number) >> (j & 7)) & 1;
      }
    } else (values as Float64Array).set(data.values as Float64Array, row);
    if (data.nullCount === 0) valid.fill(1, row, row + data.length);
    else for (let i = 0; i < data.length; i++) valid[row + i] = isValid(data, i) ? 1 : 0;
    row += data.length;
  }
}

function finishField(sink: FieldSink, n: number): FieldColumn {
  if (sink.strings === undefined) return sink.column;
  const values = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const k = sink.strings.indices[i] as number;
    values[i] = k < 0 ? null : (sink.strings.intern.dictionary[k] as string);
  }
  return { values, valid: sink.column.valid };
}

/**
 * Rows decoded per parquet-wasm call. Each call copies the whole file into WebAssembly memory, so one call
 * per row group would copy a many-group file many times; one call for the file would hold all of it
 * decoded (WebAssembly memory never shrinks). Consecutive row groups are read together up to this.
 */
const READ_CALL_ROWS = 1_000_000;

/** Consecutive row-group runs of about READ_CALL_ROWS rows (at least one group each). */
export function readCalls(rowGroupRows: readonly number[], maxRows = READ_CALL_ROWS): number[][] {
  const calls: number[][] = [];
  let current: number[] = [];
  let rows = 0;
  rowGroupRows.forEach((n, g) => {
    if (current.length > 0 && rows + n > maxRows) {
      calls.push(current);
      current = [];
      rows = 0;
    }
    current.push(g);
    rows += n;
  });
  if (current.length > 0) calls.push(current);
  return calls;
}

/**
 * Reads every column of a Sediment file (except the derived `time`) into typed arrays, a run of row groups
 * at a time: decoding memory (WebAssembly and Arrow) is bounded by READ_CALL_ROWS, not by the file.
 */
export function readColumnarParquet(
  bytes: Uint8Array,
  rowsPerCall = READ_CALL_ROWS,
): ColumnarTable & { readonly meta: FileMetadata } {
  const meta = readFileMetadata(bytes);
  const n = meta.rowCount;
  const columns = ["time_ns", "_seq", ...meta.tagKeys, ...meta.fields.map((f) => f.name)];
  const timeNs = new BigInt64Array(n);
  const seq = new BigInt64Array(n);
  const tagSinks = meta.tagKeys.map(() => ({ intern: new Interner(), indices: new Int32Array(n) }));
  const fieldSinks = meta.fields.map((f) => fieldSink(f.type, n));
  let at = 0;
  for (const rowGroups of readCalls(meta.rowGroupRows, rowsPerCall)) {
    const arrow = tableFromIPC(
      pw.readParquet(bytes, { columns, rowGroups, batchSize: READ_BATCH_ROWS }).intoIPCStream(),
    );
    const rows = arrow.numRows;
    if (at + rows > n) throw new ParquetFormatError(`file holds more rows than its metadata's ${n}`);
    const chunks = (name: string): readonly Data[] => {
      const v = arrow.getChild(name);
      if (v === null) throw new ParquetFormatError(`missing column "${name}"`);
      return v.data;
    };
    const int64 = (name: string, out: BigInt64Array) => {
      let row = at;
      for (const d of chunks(name)) {
        out.set(d.values as BigInt64Array, row);
        row += d.length;
      }
    };
    int64("time_ns", timeNs);
    int64("_seq", seq);
    meta.tagKeys.forEach((key, t) => {
      const sink = tagSinks[t] as (typeof tagSinks)[number];
      copyStrings(chunks(key), at, sink.intern, sink.indices);
    });
    meta.fields.forEach((f, i) => {
      copyField(fieldSinks[i] as FieldSink, chunks(f.name), at);
    });
    at += rows;
  }
  if (at !== n) throw new ParquetFormatError(`file holds ${at} rows but its metadata says ${n}`);
  return {
    tagKeys: meta.tagKeys,
    fields: meta.fields,
    length: n,
    timeNs,
    seq,
    tags: tagSinks.map((s) => ({ dictionary: s.intern.dictionary, indices: s.indices })),
    values: fieldSinks.map((s) => finishField(s, n)),
    meta,
  };
}
