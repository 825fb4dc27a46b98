// Writes one measurement's sorted columns as Parquet (parquet-wasm, from Arrow data built straight from typed
// arrays and dictionary indices): dictionary tags, delta-encoded times, zstd, page statistics, contract metadata.
import {
  AsyncByteQueue,
  Bool,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Uint64,
  Utf8,
} from "apache-arrow";
import * as pw from "parquet-wasm";
import type { FieldType } from "../lineprotocol/types.ts";
import type { ColumnarTable, FieldColumn, TagColumn } from "./columnar.ts";
import { columnarFromRows, floorDivInt64, int64Range, sameSeries, sliceColumnar } from "./columnar.ts";
import { ParquetFormatError } from "./errors.ts";
import type { MeasurementTable, Row } from "./table.ts";
import { FORMAT_VERSION, META, RESERVED_COLUMNS } from "./table.ts";

export interface WriteOptions {
  /** 0 for L0 files, 1 for merged files. */
  readonly level: number;
  /** Rows per row group (pruning granularity). Default 100,000. */
  readonly rowGroupRows?: number;
  /** Integer fields: "delta" (default; 2.8 B/row on TSBS integers vs 7.1 with dictionaries) or "dictionary". */
  readonly integerEncoding?: "dictionary" | "delta";
  /** How float fields are encoded: "dictionary" (default) or "byte_stream_split". */
  readonly floatEncoding?: "dictionary" | "byte_stream_split";
}

export interface WrittenFile {
  readonly bytes: Uint8Array;
  readonly rowCount: number;
  readonly minTimeNs: bigint;
  readonly maxTimeNs: bigint;
  readonly minSeq: bigint;
  readonly maxSeq: bigint;
}

export const DEFAULT_ROW_GROUP_ROWS = 100_000;
const utf8 = new TextEncoder();

/** An Arrow validity bitmap from one byte per row (1 = present); null when every row is present. */
function bitmapOf(valid: Uint8Array | null, n: number): { bitmap: Uint8Array | null; nulls: number } {
  // Most columns have a value in every row: a native search says so without the per-row loop.
  if (valid === null || valid.subarray(0, n).indexOf(0) < 0) return { bitmap: null, nulls: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i] === 0) nulls++;
    else bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  }
  return { bitmap: nulls > 0 ? bitmap : null, nulls };
}

function utf8Data(values: readonly string[]) {
  const encoded = values.map((v) => utf8.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < encoded.length; i++) {
    total += (encoded[i] as Uint8Array).length;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < encoded.length; i++) data.set(encoded[i] as Uint8Array, offsets[i] as number);
  return makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data });
}

/** A dictionary-encoded string column straight from dictionary indices (-1 = null). */
function dictionaryData(column: TagColumn, n: number) {
  let nulls = 0;
  if (column.indices.subarray(0, n).indexOf(-1) >= 0)
    for (let i = 0; i < n; i++) if ((column.indices[i] as number) < 0) nulls++;
  let indices = column.indices;
  let nullBitmap: Uint8Array | null = null;
  if (nulls > 0) {
    indices = new Int32Array(n);
    nullBitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const k = column.indices[i] as number;
      if (k < 0) continue;
      indices[i] = k;
      nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) | (1 << (i & 7));
    }
  }
  return makeData({
    type: new Dictionary(new Utf8(), new Int32()),
    length: n,
    nullCount: nulls,
    nullBitmap,
    data: indices,
    dictionary: makeVector(utf8Data(column.dictionary)),
  });
}

/** A string field: dictionary-encoded like the tags (indices built here). */
function stringFieldData(values: readonly (string | null)[], valid: Uint8Array | null, n: number) {
  const index = new Map<string, number>();
  const dictionary: string[] = [];
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if ((valid !== null && valid[i] === 0) || v === null || v === undefined) {
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
  return dictionaryData({ dictionary, indices }, n);
}

function fieldData(type: FieldType, column: FieldColumn, n: number) {
  if (type === "string") return stringFieldData(column.values as (string | null)[], column.valid, n);
  const { bitmap: nullBitmap, nulls } = bitmapOf(column.valid, n);
  const base = { length: n, nullCount: nulls, nullBitmap };
  switch (type) {
    case "float":
      return makeData({ type: new Float64(), ...base, data: column.values as Float64Array });
    case "integer":
      return makeData({ type: new Int64(), ...base, data: column.values as BigInt64Array });
    case "unsigned":
      return makeData({ type: new Uint64(), ...base, data: column.values as BigUint64Array });
    case "boolean": {
      const bytes = column.values as Uint8Array;
      const data = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++)
        if (bytes[i] === 1) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
      return makeData({ type: new Bool(), ...base, data });
    }
  }
}

/** Builds the Arrow table of the contract's columns: time, time_ns, _seq, tags..., fields... */
export function columnarToArrow(table: ColumnarTable): Table {
  const n = table.length;
  const timeNs = table.timeNs.length === n ? table.timeNs : table.timeNs.subarray(0, n);
  const timeUs = new BigInt64Array(n);
  floorDivInt64(timeNs, 1000, timeUs);
  const fields: Field[] = [
    new Field("time", new TimestampMicrosecond("UTC"), false),
    new Field("time_ns", new Int64(), false),
    new Field("_seq", new Int64(), false),
  ];
  const children = [
    makeData({ type: new TimestampMicrosecond("UTC"), length: n, nullCount: 0, data: timeUs }),
    makeData({ type: new Int64(), length: n, nullCount: 0, data: timeNs }),
    makeData({ type: new Int64(), length: n, nullCount: 0, data: table.seq.subarray(0, n) }),
  ];
  const names = new Set<string>(RESERVED_COLUMNS);
  table.tagKeys.forEach((key, t) => {
    if (names.has(key)) throw new ParquetFormatError(`duplicate or reserved column name "${key}"`);
    names.add(key);
    const data = dictionaryData(table.tags[t] as TagColumn, n);
    fields.push(new Field(key, data.type, true));
    children.push(data as never);
  });
  table.fields.forEach((def, f) => {
    if (names.has(def.name)) throw new ParquetFormatError(`duplicate or reserved column name "${def.name}"`);
    names.add(def.name);
    const data = fieldData(def.type, table.values[f] as FieldColumn, n);
    fields.push(new Field(def.name, data.type, true));
    children.push(data as never);
  });
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/** The Arrow table of a row-form measurement table (see columnarToArrow). */
export function toArrow(table: MeasurementTable): Table {
  return columnarToArrow(columnarFromRows(table));
}

/**
 * The writer cuts row groups every N rows and cannot be told where. When every series has the same number
 * of rows L (regular metrics), choosing N as a multiple of L makes every cut fall between series, so a
 * row group's tag statistics name whole series. Otherwise the target is used as is.
 */
export function alignedRowGroupRows(rows: MeasurementTable["rows"], target: number): number {
  return alignedRuns(rows.length, target, (i, j) =>
    sameTagValues((rows[i] as Row).tags, (rows[j] as Row).tags),
  );
}

function sameTagValues(a: readonly (string | null)[], b: readonly (string | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function alignedRuns(n: number, target: number, same: (i: number, j: number) => boolean): number {
  let runLength = 0;
  let current = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && !same(i - 1, i)) {
      if (runLength === 0) runLength = current;
      else if (current !== runLength) return target;
      current = 0;
    }
    current++;
  }
  if (runLength === 0 || current > runLength || runLength > target) return target;
  return Math.floor(target / runLength) * runLength;
}

/** Collects the IPC writer's chunks synchronously (the writer accepts only this queue type as a sink). */
class ChunkSink extends AsyncByteQueue {
  readonly chunks: Uint8Array[] = [];
  override write(value: ArrayBufferView): void {
    this.chunks.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
}

/** IPC streams up to this size are joined into one reused buffer; larger ones get their own. */
const SCRATCH_MAX_BYTES = 64 * 1024 * 1024;
let scratch = new Uint8Array(0);

/**
 * The table as an Arrow IPC stream, valid only until the next call: parquet-wasm copies it into its own
 * memory at once. Reusing one buffer avoids touching fresh pages for every file, which costs more here
 * than the copy itself (first writes to new memory measured ~3.5 ms/MB, later ones ~0.1).
 */
function arrowStream(table: Table): Uint8Array {
  const sink = new ChunkSink();
  const writer = new RecordBatchStreamWriter();
  writer.reset(sink as never);
  writer.write(table);
  writer.finish();
  let total = 0;
  for (const c of sink.chunks) total += c.byteLength;
  let out = scratch;
  if (total > scratch.length) {
    if (total > SCRATCH_MAX_BYTES) out = new Uint8Array(total);
    else {
      scratch = new Uint8Array(Math.min(SCRATCH_MAX_BYTES, Math.max(total, scratch.length * 2)));
      out = scratch;
    }
  }
  let offset = 0;
  for (const c of sink.chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out.subarray(0, total);
}

/** Encodes a sorted, deduplicated measurement table as one Parquet file (see ARCHITECTURE.md). */
export function writeMeasurementParquet(table: MeasurementTable, options: WriteOptions): WrittenFile {
  if (table.rows.length === 0) throw new ParquetFormatError("refusing to write a Parquet file with no rows");
  return writeColumnarParquet(columnarFromRows(table), options);
}

/** Encodes sorted, deduplicated columns as one Parquet file (see ARCHITECTURE.md). */
export function writeColumnarParquet(table: ColumnarTable, options: WriteOptions): WrittenFile {
  const { summary, props } = prepare(table, options);
  const wasmTable = pw.Table.fromIPCStream(arrowStream(columnarToArrow(table)));
  return { bytes: pw.writeParquet(wasmTable, props), ...summary };
}

/**
 * writeColumnarParquet for large tables: hands the writer one Arrow batch at a time (by default one row
 * group: then the file is byte-for-byte the same size as writeColumnarParquet's; smaller batches cost
 * ~0.4% on TSBS integers), so only one batch, not the whole table, is ever copied into IPC form and into
 * WebAssembly memory. Same metadata and row groups.
 */
export async function writeColumnarParquetStreaming(
  table: ColumnarTable,
  options: WriteOptions,
  rowsPerBatch?: number,
): Promise<WrittenFile> {
  const { summary, props, rowGroupRows } = prepare(table, options);
  const batchRows = rowsPerBatch ?? rowGroupRows;
  let start = 0;
  const batches = new ReadableStream<pw.RecordBatch>({
    pull(controller) {
      if (start >= table.length) {
        controller.close();
        return;
      }
      const end = Math.min(table.length, start + batchRows);
      const wasmTable = pw.Table.fromIPCStream(
        arrowStream(columnarToArrow(sliceColumnar(table, start, end))),
      );
      start = end;
      const batch = wasmTable.recordBatch(0);
      wasmTable.free();
      if (batch === undefined) throw new ParquetFormatError("Arrow conversion produced no record batch");
      controller.enqueue(batch);
    },
  });
  const out = await pw.transformParquetStream(batches, props);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return { bytes, ...summary };
}

/** The file's summary (for metadata and the catalog) and the writer properties. */
function prepare(
  table: ColumnarTable,
  options: WriteOptions,
): { summary: Omit<WrittenFile, "bytes">; props: pw.WriterProperties; rowGroupRows: number } {
  const n = table.length;
  if (n === 0) throw new ParquetFormatError("refusing to write a Parquet file with no rows");
  const [minTimeNs, maxTimeNs] = int64Range(table.timeNs.subarray(0, n));
  const [minSeq, maxSeq] = int64Range(table.seq.subarray(0, n));
  const metadata = new Map<string, string>([
    [META.formatVersion, FORMAT_VERSION],
    [META.minTimeNs, minTimeNs.toString()],
    [META.maxTimeNs, maxTimeNs.toString()],
    [META.rowCount, String(n)],
    [META.minSeq, minSeq.toString()],
    [META.maxSeq, maxSeq.toString()],
    [META.level, String(options.level)],
    [META.tags, JSON.stringify(table.tagKeys)],
    [META.sortKey, JSON.stringify(table.tagKeys)],
    [META.fields, JSON.stringify(Object.fromEntries(table.fields.map((f) => [f.name, f.type])))],
  ]);
  const rowGroupRows = alignedRuns(n, options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS, (i, j) =>
    sameSeries(table.tags, i, j),
  );
  let props = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setDictionaryEnabled(true)
    .setStatisticsEnabled(pw.EnabledStatistics.Page)
    .setMaxRowGroupSize(rowGroupRows)
    .setKeyValueMetadata(metadata);
  for (const col of ["time", "time_ns", "_seq"]) {
    props = props
      .setColumnDictionaryEnabled(col, false)
      .setColumnEncoding(col, pw.Encoding.DELTA_BINARY_PACKED);
  }
  if (options.integerEncoding !== "dictionary") {
    for (const f of table.fields) {
      if (f.type === "integer" || f.type === "unsigned")
        props = props
          .setColumnDictionaryEnabled(f.name, false)
          .setColumnEncoding(f.name, pw.Encoding.DELTA_BINARY_PACKED);
    }
  }
  if (options.floatEncoding === "byte_stream_split") {
    for (const f of table.fields) {
      if (f.type === "float")
        props = props
          .setColumnDictionaryEnabled(f.name, false)
          .setColumnEncoding(f.name, pw.Encoding.BYTE_STREAM_SPLIT);
    }
  }
  return {
    summary: { rowCount: n, minTimeNs, maxTimeNs, minSeq, maxSeq },
    props: props.build(),
    rowGroupRows,
  };
}
