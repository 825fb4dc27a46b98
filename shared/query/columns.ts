// Columnar batches for the engine: a direct page decoder for the flat columns our files hold (typed
// arrays and dictionary codes, no per-row objects) and the batch type every Parquet read produces.
import type { AsyncBuffer, ColumnChunk, FileMetaData, PageHeader, SchemaElement } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { decompressPage } from "hyparquet/src/datapage.js";
import { deltaBinaryUnpack } from "hyparquet/src/delta.js";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { compressors } from "hyparquet-compressors";
import type { Value } from "./condition.ts";

/** A string column as codes into a dictionary; -1 is null. Codes are comparable within one batch. */
export interface CodedColumn {
  readonly kind: "string";
  readonly codes: Int32Array;
  readonly dict: readonly string[];
}

/** One field's values for a batch; `valid` is undefined when no value is null. */
export type FieldColumn =
  | { readonly kind: "float"; readonly data: Float64Array; readonly valid: Uint8Array | undefined }
  | {
      readonly kind: "integer" | "unsigned";
      readonly data: BigInt64Array;
      readonly valid: Uint8Array | undefined;
    }
  | { readonly kind: "boolean"; readonly data: Uint8Array; readonly valid: Uint8Array | undefined }
  | CodedColumn
  | { readonly kind: "null" };

/**
 * Consecutive rows of one file, in file order. Times are exact in `time`; `off` holds them as
 * numbers relative to `base` (exact while `offExact`: the batch spans less than 2^53 ns, ~104 days).
 */
export interface ColumnBatch {
  readonly n: number;
  readonly time: BigInt64Array;
  readonly base: bigint;
  readonly off: Float64Array;
  readonly offExact: boolean;
  /** The largest offset (the batch's time span). */
  readonly span: number;
  readonly seq: BigInt64Array | undefined;
  /** The sequence of rows when `_seq` was not read (the file's newest). */
  readonly defaultSeq: bigint;
  /** By projection tag index; undefined when the file has no such column (every value null). */
  readonly tags: readonly (CodedColumn | undefined)[];
  /** By projection field index. */
  readonly fields: readonly FieldColumn[];
}

export const NULL_COLUMN: FieldColumn = { kind: "null" };

/** The value of row `i` as the row engine sees it. */
export function fieldValue(c: FieldColumn, i: number): Value {
  switch (c.kind) {
    case "float":
      return c.valid && !c.valid[i] ? null : (c.data[i] as number);
    case "integer":
      return c.valid && !c.valid[i] ? null : (c.data[i] as bigint);
    case "unsigned":
      return c.valid && !c.valid[i] ? null : BigInt.asUintN(64, c.data[i] as bigint);
    case "boolean":
      return c.valid && !c.valid[i] ? null : c.data[i] === 1;
    case "string": {
      const k = c.codes[i] as number;
      return k < 0 ? null : (c.dict[k] as string);
    }
    default:
      return null;
  }
}

export function tagValue(c: CodedColumn | undefined, i: number): string | null {
  if (!c) return null;
  const k = c.codes[i] as number;
  return k < 0 ? null : (c.dict[k] as string);
}

/** Whether row `i` of a field holds a value. */
export function isValid(c: FieldColumn, i: number): boolean {
  if (c.kind === "null") return false;
  if (c.kind === "string") return (c.codes[i] as number) >= 0;
  return !c.valid || c.valid[i] === 1;
}

const TWO32 = 4294967296;
const EXACT_SPAN = 2 ** 53;

/**
 * Builds the exact number offsets of `time` from its minimum. Works on the 32-bit halves, so no BigInt
 * is made per row (and Node 20's optimizer, which has crashed on BigInt phis here, is not involved).
 */
export function timeOffsets(time: BigInt64Array): {
  base: bigint;
  off: Float64Array;
  offExact: boolean;
  span: number;
} {
  const n = time.length;
  const off = new Float64Array(n);
  if (n === 0) return { base: 0n, off, offExact: true, span: 0 };
  // Little-endian halves: t = hi * 2^32 + lo with hi signed and lo unsigned.
  const words = new Int32Array(time.buffer, time.byteOffset, n * 2);
  const lows = new Uint32Array(time.buffer, time.byteOffset, n * 2);
  let minI = 0;
  let maxI = 0;
  for (let i = 1; i < n; i++) {
    const h = words[2 * i + 1] as number;
    const l = lows[2 * i] as number;
    const mh = words[2 * minI + 1] as number;
    if (h < mh || (h === mh && l < (lows[2 * minI] as number))) minI = i;
    const xh = words[2 * maxI + 1] as number;
    if (h > xh || (h === xh && l > (lows[2 * maxI] as number))) maxI = i;
  }
  const baseHi = words[2 * minI + 1] as number;
  const baseLo = lows[2 * minI] as number;
  for (let i = 0; i < n; i++) {
    off[i] = ((words[2 * i + 1] as number) - baseHi) * TWO32 + ((lows[2 * i] as number) - baseLo);
  }
  // Rounding is monotonic and 2^53 is representable, so this test is right even when inexact.
  const offExact = (off[maxI] as number) < EXACT_SPAN;
  return { base: time[minI] as bigint, off, offExact, span: off[maxI] as number };
}

/** The per-column facts the decoder needs, from the file schema. */
interface ColumnSpec {
  readonly name: string;
  readonly type: SchemaElement["type"];
  readonly optional: boolean;
  readonly unsigned: boolean;
}

const SUPPORTED_ENCODINGS = new Set([
  "PLAIN",
  "PLAIN_DICTIONARY",
  "RLE",
  "RLE_DICTIONARY",
  "DELTA_BINARY_PACKED",
  "BYTE_STREAM_SPLIT",
]);
const SUPPORTED_TYPES = new Set(["BOOLEAN", "INT64", "DOUBLE", "BYTE_ARRAY"]);

/**
 * The specs of `columns` when this decoder can read them in every chosen row group: flat (required or
 * optional) BOOLEAN/INT64/DOUBLE/BYTE_ARRAY columns with encodings and codecs it knows. Undefined
 * sends the file through hyparquet's general reader instead.
 */
export function decodableColumns(
  metadata: FileMetaData,
  columns: readonly string[],
  groups: readonly number[],
): Map<string, ColumnSpec> | undefined {
  const schema = new Map(metadata.schema.slice(1).map((e) => [e.name, e]));
  const out = new Map<string, ColumnSpec>();
  for (const name of columns) {
    const e = schema.get(name);
    if (!e || e.num_children || !SUPPORTED_TYPES.has(e.type ?? "")) return undefined;
    if (e.repetition_type === "REPEATED") return undefined;
    const logical = e.logical_type;
    out.set(name, {
      name,
      type: e.type,
      optional: e.repetition_type === "OPTIONAL",
      unsigned:
        e.converted_type === "UINT_64" ||
        (logical?.type === "INTEGER" && logical.bitWidth === 64 && !logical.isSigned),
    });
  }
  for (const g of groups) {
    for (const c of metadata.row_groups[g]?.columns ?? []) {
      const meta = c.meta_data;
      if (!meta || !out.has(meta.path_in_schema[0] ?? "")) continue;
      if (meta.path_in_schema.length !== 1) return undefined;
      if (!meta.encodings.every((enc) => SUPPORTED_ENCODINGS.has(enc))) return undefined;
      if (meta.codec !== "UNCOMPRESSED" && meta.codec !== "SNAPPY" && !compressors[meta.codec])
        return undefined;
    }
  }
  return out;
}

/** Raw decoded column of a row range: numbers/bigints/booleans in a typed array, strings as codes. */
export type DecodedColumn =
  | { readonly kind: "f64"; readonly data: Float64Array; readonly valid: Uint8Array | undefined }
  | { readonly kind: "i64"; readonly data: BigInt64Array; readonly valid: Uint8Array | undefined }
  | { readonly kind: "bool"; readonly data: Uint8Array; readonly valid: Uint8Array | undefined }
  | { readonly kind: "str"; readonly codes: Int32Array; readonly dict: string[] };

/** A page's location from the offset index (or found by walking headers). */
export interface PageLocation {
  readonly offset: number;
  readonly size: number;
  readonly firstRow: number;
}

const textDecoder = new TextDecoder();

/** Byte ranges a column read needs: the dictionary page (unless cached) and the data pages. */
export interface ColumnSlices {
  readonly chunkStart: number;
  readonly dictOffset: number | undefined;
  readonly dict: readonly [number, number] | undefined;
  readonly data: readonly [number, number] | undefined;
  /** Data pages overlapping the rows; empty without an offset index (the whole chunk is read). */
  readonly selected: PageLocation[];
}

export function columnSlices(
  chunk: ColumnChunk,
  pages: readonly PageLocation[] | undefined,
  groupRows: number,
  from: number,
  to: number,
  haveDict: boolean,
): ColumnSlices {
  const meta = chunk.meta_data;
  if (!meta) throw new Error(`column ${chunk.file_path ?? ""} has no metadata`);
  const dictOffset =
    meta.dictionary_page_offset !== undefined ? Number(meta.dictionary_page_offset) : undefined;
  const dataOffset = Number(meta.data_page_offset);
  const hasDict = dictOffset !== undefined && dictOffset < dataOffset;
  const chunkStart = hasDict ? dictOffset : dataOffset;
  const chunkEnd = chunkStart + Number(meta.total_compressed_size);
  if (!pages || pages.length === 0) {
    return { chunkStart, dictOffset, dict: undefined, data: [chunkStart, chunkEnd], selected: [] };
  }
  const selected: PageLocation[] = [];
  for (let p = 0; p < pages.length; p++) {
    const start = (pages[p] as PageLocation).firstRow;
    const end = p + 1 < pages.length ? (pages[p + 1] as PageLocation).firstRow : groupRows;
    if (end > from && start < to) selected.push(pages[p] as PageLocation);
  }
  const first = selected[0];
  const last = selected[selected.length - 1];
  // Data pages are contiguous: one range for the selected ones, one for the dictionary page.
  return {
    chunkStart,
    dictOffset,
    dict: hasDict && !haveDict ? [chunkStart, (pages[0] as PageLocation).offset] : undefined,
    data: first && last ? [first.offset, last.offset + last.size] : undefined,
    selected,
  };
}

/**
 * Reads rows [from, to) (relative to the row group) of one column chunk: fetches the dictionary page
 * and only the data pages overlapping the range (with an offset index), decodes them into a typed
 * array. `dictionaries` caches a chunk's decoded dictionary across ranges of the same group.
 */
export async function readColumnRange(
  buffer: AsyncBuffer,
  chunk: ColumnChunk,
  spec: ColumnSpec,
  pages: readonly PageLocation[] | undefined,
  groupRows: number,
  from: number,
  to: number,
  dictionaries: Map<ColumnChunk, unknown>,
): Promise<DecodedColumn> {
  const meta = chunk.meta_data;
  if (!meta) throw new Error(`column ${spec.name} has no metadata`);
  const n = to - from;
  const out = allocate(spec, n);
  let dictionary = dictionaries.get(chunk) as
    | Float64Array
    | BigInt64Array
    | Uint8Array
    | string[]
    | undefined;
  const plan = columnSlices(chunk, pages, groupRows, from, to, dictionary !== undefined);
  const { chunkStart, dictOffset, selected } = plan;
  const needDict = plan.dict !== undefined;
  if (!plan.data) return finish(out, spec, dictionary);
  const [d, b] = await Promise.all([
    plan.dict ? buffer.slice(plan.dict[0], plan.dict[1]) : undefined,
    buffer.slice(plan.data[0], plan.data[1]),
  ]);
  const bytes = new Uint8Array(b);
  const bytesStart = plan.data[0];
  const dictBytes = d ? new Uint8Array(d) : undefined;

  if (needDict && dictBytes) {
    const view = new DataView(dictBytes.buffer, dictBytes.byteOffset, dictBytes.byteLength);
    const reader = { view, offset: (dictOffset as number) - (plan.dict?.[0] ?? chunkStart) };
    const header = parquetHeader(reader);
    if (header.type !== "DICTIONARY_PAGE" || !header.dictionary_page_header)
      throw new Error(`column ${spec.name}: expected a dictionary page at ${dictOffset}`);
    const page = pageBody(dictBytes, reader.offset, header, meta.codec);
    dictionary = readPlainValues(spec, page, 0, header.dictionary_page_header.num_values).values;
    dictionaries.set(chunk, dictionary);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const decodePageAt = (at: number, firstRow: number): number => {
    out.dictLen = Array.isArray(dictionary) ? dictionary.length : 0;
    const reader = { view, offset: at };
    const header = parquetHeader(reader);
    const bodyStart = reader.offset;
    if (header.type === "DICTIONARY_PAGE") {
      if (dictionary === undefined) {
        const page = pageBody(bytes, bodyStart, header, meta.codec);
        dictionary = readPlainValues(spec, page, 0, header.dictionary_page_header?.num_values ?? 0).values;
        dictionaries.set(chunk, dictionary);
      }
      return -1;
    }
    return decodeDataPage(bytes, bodyStart, header, meta.codec, spec, dictionary, out, firstRow - from, n);
  };

  if (selected.length > 0) {
    for (const p of selected) decodePageAt(p.offset - bytesStart, p.firstRow);
  } else {
    // No offset index: walk the chunk's page headers, decoding only pages that overlap the range.
    let at = 0;
    let row = 0;
    while (at < bytes.length && row < to) {
      const reader = { view, offset: at };
      const header = parquetHeader(reader);
      const next = reader.offset + header.compressed_page_size;
      const pageRows = header.data_page_header?.num_values ?? header.data_page_header_v2?.num_rows;
      if (header.type === "DICTIONARY_PAGE" || pageRows === undefined) decodePageAt(at, row);
      else {
        if (row + pageRows > from) decodePageAt(at, row);
        row += pageRows;
      }
      at = next;
    }
  }
  return finish(out, spec, dictionary);
}

interface Output {
  data: Float64Array | BigInt64Array | Uint8Array | Int32Array;
  valid: Uint8Array | undefined;
  /** Strings read from PLAIN pages are appended after the dictionary's `dictLen` entries (interned). */
  extra: string[] | undefined;
  intern: Map<string, number> | undefined;
  dictLen: number;
}

function allocate(spec: ColumnSpec, n: number): Output {
  switch (spec.type) {
    case "DOUBLE":
      return { data: new Float64Array(n), valid: undefined, extra: undefined, intern: undefined, dictLen: 0 };
    case "INT64":
      return {
        data: new BigInt64Array(n),
        valid: undefined,
        extra: undefined,
        intern: undefined,
        dictLen: 0,
      };
    case "BOOLEAN":
      return { data: new Uint8Array(n), valid: undefined, extra: undefined, intern: undefined, dictLen: 0 };
    default:
      return {
        data: new Int32Array(n).fill(-1),
        valid: undefined,
        extra: undefined,
        intern: undefined,
        dictLen: 0,
      };
  }
}

function finish(out: Output, spec: ColumnSpec, dictionary: unknown): DecodedColumn {
  switch (spec.type) {
    case "DOUBLE":
      return { kind: "f64", data: out.data as Float64Array, valid: out.valid };
    case "INT64":
      return { kind: "i64", data: out.data as BigInt64Array, valid: out.valid };
    case "BOOLEAN":
      return { kind: "bool", data: out.data as Uint8Array, valid: out.valid };
    default: {
      const base = (dictionary as string[] | undefined) ?? [];
      return { kind: "str", codes: out.data as Int32Array, dict: out.extra ? [...base, ...out.extra] : base };
    }
  }
}

function pageBody(bytes: Uint8Array, start: number, header: PageHeader, codec: string): Uint8Array {
  const compressed = bytes.subarray(start, start + header.compressed_page_size);
  return decompressPage(
    compressed,
    Number(header.uncompressed_page_size),
    codec as Parameters<typeof decompressPage>[2],
    compressors,
  );
}

/**
 * Decodes one data page (v1 or v2) into `out` at row `at` (relative to the output; rows outside
 * [0, n) are dropped). Returns the page's row count.
 */
function decodeDataPage(
  bytes: Uint8Array,
  bodyStart: number,
  header: PageHeader,
  codec: string,
  spec: ColumnSpec,
  dictionary: Float64Array | BigInt64Array | Uint8Array | string[] | undefined,
  out: Output,
  at: number,
  n: number,
): number {
  let rows: number;
  let encoding: string;
  let page: Uint8Array;
  let pos = 0;
  let defs: Uint8Array | undefined;
  let nulls = 0;
  if (header.type === "DATA_PAGE" && header.data_page_header) {
    const h = header.data_page_header;
    rows = h.num_values;
    encoding = h.encoding;
    page = pageBody(bytes, bodyStart, header, codec);
    if (spec.optional) {
      // v1 levels: a 4-byte little-endian length, then the RLE/bit-packed runs.
      const len =
        (page[0] as number) |
        ((page[1] as number) << 8) |
        ((page[2] as number) << 16) |
        ((page[3] as number) << 24);
      defs = scratchDefs(rows);
      unpackHybrid(page, 4, 4 + len, 1, defs);
      pos = 4 + len;
    }
  } else if (header.type === "DATA_PAGE_V2" && header.data_page_header_v2) {
    const h = header.data_page_header_v2;
    rows = h.num_rows;
    encoding = h.encoding;
    const levels = h.repetition_levels_byte_length + h.definition_levels_byte_length;
    if (h.repetition_levels_byte_length) throw new Error(`column ${spec.name}: unexpected repetition levels`);
    if (spec.optional && h.definition_levels_byte_length) {
      defs = scratchDefs(rows);
      unpackHybrid(bytes, bodyStart, bodyStart + h.definition_levels_byte_length, 1, defs);
    }
    const values = bytes.subarray(bodyStart + levels, bodyStart + header.compressed_page_size);
    page =
      h.is_compressed === false
        ? values
        : decompressPage(
            values,
            header.uncompressed_page_size - levels,
            codec as Parameters<typeof decompressPage>[2],
            compressors,
          );
  } else {
    throw new Error(`column ${spec.name}: unsupported page type ${header.type}`);
  }
  if (defs) for (let i = 0; i < rows; i++) if (defs[i] === 0) nulls++;
  // Optional columns without nulls in this page take the plain copy path below.
  if (nulls === 0) defs = undefined;
  const count = rows - nulls;
  let values: Float64Array | BigInt64Array | Uint8Array | Int32Array | string[];
  if (encoding === "PLAIN_DICTIONARY" || encoding === "RLE_DICTIONARY") {
    if (dictionary === undefined) throw new Error(`column ${spec.name}: dictionary page missing`);
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const width = view.getUint8(pos);
    const idx = scratchIndexes(count);
    if (width > 24) readRleBitPackedHybrid({ view, offset: pos + 1 }, width, idx, page.byteLength - pos - 1);
    else if (width > 0 && count > 0) unpackHybrid(page, pos + 1, page.byteLength, width, idx);
    else idx.fill(0);
    if (spec.type === "BYTE_ARRAY") values = idx;
    else if (!defs && (dictionary instanceof Float64Array || dictionary instanceof BigInt64Array)) {
      // No nulls: look the values up straight into the output.
      const lo = Math.max(0, -at);
      const hi = Math.min(rows, n - at);
      const data = out.data as Float64Array;
      const dict = dictionary as unknown as Float64Array;
      for (let i = lo; i < hi; i++) data[at + i] = dict[idx[i] as number] as number;
      if (out.valid && lo < hi) out.valid.fill(1, at + lo, at + hi);
      return rows;
    } else values = gather(dictionary as Float64Array | BigInt64Array | Uint8Array, idx);
  } else if (encoding === "PLAIN") {
    values = readPlainValues(spec, page, pos, count).values;
  } else if (encoding === "DELTA_BINARY_PACKED" && spec.type === "INT64") {
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    values = new BigInt64Array(count);
    if (count > 0) deltaBinaryUnpack({ view, offset: pos }, count, values);
  } else if (encoding === "RLE" && spec.type === "BOOLEAN") {
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    values = new Uint8Array(count);
    if (count > 0) readRleBitPackedHybrid({ view, offset: pos }, 1, values);
  } else if (encoding === "BYTE_STREAM_SPLIT" && spec.type === "DOUBLE") {
    const data = new Uint8Array(count * 8);
    for (let b = 0; b < 8; b++) {
      const stream = page.subarray(pos + b * count, pos + (b + 1) * count);
      for (let i = 0; i < count; i++) data[i * 8 + b] = stream[i] as number;
    }
    values = new Float64Array(data.buffer);
  } else {
    throw new Error(`column ${spec.name}: unsupported encoding ${encoding}`);
  }
  scatter(values, defs, rows, at, n, out, spec);
  return rows;
}

/**
 * The RLE / bit-packed hybrid (levels, dictionary indexes) for widths up to 24 bits, reading bytes
 * straight from the array: hyparquet's general version goes through a DataView per byte.
 */
export function unpackHybrid(
  src: Uint8Array,
  start: number,
  end: number,
  width: number,
  out: Uint8Array | Int32Array,
): void {
  const n = out.length;
  const mask = (1 << width) - 1;
  const valueBytes = (width + 7) >> 3;
  let pos = start;
  let seen = 0;
  while (seen < n && pos < end) {
    let header = 0;
    let shift = 0;
    let b: number;
    do {
      b = src[pos++] as number;
      header |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (header & 1) {
      // Bit-packed groups of 8 values, least significant bits first; exactly width bytes per group.
      const count = (header >>> 1) * 8;
      const stop = Math.min(n, seen + count);
      const next = pos + (count / 8) * width;
      let acc = 0;
      let bits = 0;
      for (let i = seen; i < stop; i++) {
        while (bits < width) {
          acc |= ((src[pos++] as number) | 0) << bits;
          bits += 8;
        }
        out[i] = acc & mask;
        acc >>>= width;
        bits -= width;
      }
      // Values past the output (padding of the last group) are skipped with their bytes.
      pos = next;
      seen = stop;
    } else {
      const count = header >>> 1;
      let v = 0;
      for (let i = 0; i < valueBytes; i++) v |= (src[pos++] as number) << (8 * i);
      const stop = Math.min(n, seen + count);
      out.fill(v, seen, stop);
      seen = stop;
    }
  }
}

let defsScratch = new Uint8Array(0);
let indexScratch = new Int32Array(0);

/** Per-page temporaries reused across pages (decoding is synchronous, so one of each is enough). */
function scratchDefs(n: number): Uint8Array {
  if (defsScratch.length < n) defsScratch = new Uint8Array(Math.max(n, 2 * defsScratch.length));
  return defsScratch.subarray(0, n);
}

function scratchIndexes(n: number): Int32Array {
  if (indexScratch.length < n) indexScratch = new Int32Array(Math.max(n, 2 * indexScratch.length));
  return indexScratch.subarray(0, n);
}

function gather(
  dict: Float64Array | BigInt64Array | Uint8Array,
  idx: Int32Array,
): Float64Array | BigInt64Array | Uint8Array {
  if (dict instanceof Float64Array) {
    const out = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = dict[idx[i] as number] as number;
    return out;
  }
  if (dict instanceof BigInt64Array) {
    const out = new BigInt64Array(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = dict[idx[i] as number] as bigint;
    return out;
  }
  const out = new Uint8Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = dict[idx[i] as number] as number;
  return out;
}

/** Copies a page's non-null values into the output rows, marking nulls. */
function scatter(
  values: Float64Array | BigInt64Array | Uint8Array | Int32Array | string[],
  defs: Uint8Array | undefined,
  rows: number,
  at: number,
  n: number,
  out: Output,
  spec: ColumnSpec,
): void {
  const lo = Math.max(0, -at);
  const hi = Math.min(rows, n - at);
  if (lo >= hi) return;
  if (Array.isArray(values)) {
    // PLAIN strings (a writer's fallback when the dictionary grew too big): intern after its entries.
    out.intern ??= new Map();
    out.extra ??= [];
    const codes = out.data as Int32Array;
    let j = 0;
    for (let i = 0; i < hi; i++) {
      if (defs && defs[i] === 0) continue;
      const v = values[j++] as string;
      if (i < lo) continue;
      let k = out.intern.get(v);
      if (k === undefined) {
        k = out.dictLen + out.extra.length;
        out.extra.push(v);
        out.intern.set(v, k);
      }
      codes[at + i] = k;
    }
    return;
  }
  const data = out.data;
  if (!defs) {
    (data as Float64Array).set((values as Float64Array).subarray(lo, hi), at + lo);
    out.valid?.fill(1, at + lo, at + hi);
    return;
  }
  if (spec.type !== "BYTE_ARRAY" && !out.valid) {
    out.valid = new Uint8Array(n);
    // Rows decoded before this page were all valid.
    out.valid.fill(1, 0, Math.max(0, at + lo));
  }
  const valid = out.valid;
  let j = 0;
  for (let i = 0; i < hi; i++) {
    if (defs[i] === 0) continue;
    if (i >= lo) {
      (data as Float64Array)[at + i] = (values as Float64Array)[j] as number;
      if (valid) valid[at + i] = 1;
    }
    j++;
  }
}

/** PLAIN values: numbers, bigints and booleans in typed arrays, byte arrays as strings. */
function readPlainValues(
  spec: ColumnSpec,
  page: Uint8Array,
  pos: number,
  count: number,
): { values: Float64Array | BigInt64Array | Uint8Array | string[] } {
  switch (spec.type) {
    case "DOUBLE": {
      const data = new Uint8Array(count * 8);
      data.set(page.subarray(pos, pos + count * 8));
      return { values: new Float64Array(data.buffer) };
    }
    case "INT64": {
      const data = new Uint8Array(count * 8);
      data.set(page.subarray(pos, pos + count * 8));
      return { values: new BigInt64Array(data.buffer) };
    }
    case "BOOLEAN": {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = ((page[pos + (i >> 3)] as number) >> (i & 7)) & 1;
      return { values: out };
    }
    default: {
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      const out: string[] = new Array(count);
      let at = pos;
      for (let i = 0; i < count; i++) {
        const len = view.getUint32(at, true);
        at += 4;
        out[i] = textDecoder.decode(page.subarray(at, at + len));
        at += len;
      }
      return { values: out };
    }
  }
}
