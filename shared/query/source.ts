// Reads points for the engine: chosen row groups, pages and columns of Parquet files as column batches
// (columns.ts decodes our files; hyparquet reads the rest), footers cached, and the WAL tail's records.
import {
  type AsyncBuffer,
  type ColumnChunk,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  readColumnIndex,
  readOffsetIndex,
  type SchemaElement,
} from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { FileEntry } from "../catalog/port.ts";
import type { ParseOptions, ParseResult } from "../lineprotocol/types.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { WalRecord } from "../wal/port.ts";
import {
  type CodedColumn,
  type ColumnBatch,
  columnSlices,
  type DecodedColumn,
  decodableColumns,
  type FieldColumn,
  fieldValue,
  NULL_COLUMN,
  type PageLocation,
  readColumnRange,
  tagValue,
  timeOffsets,
} from "./columns.ts";
import { mayMatch, type PruneSummary, passes, prunableTags, type Row, type Value } from "./condition.ts";
import {
  choosePageRanges,
  chooseRowGroups,
  columnsToRead,
  type PageStats,
  type PruneInput,
  type RowGroupChoice,
} from "./planner.ts";
import { MAX_TIME, MIN_TIME } from "./time.ts";

/** What was considered vs read, for logs and `explain=true`. */
export interface IoStats {
  partitionsConsidered: number;
  partitionsRead: number;
  filesConsidered: number;
  filesRead: number;
  rowGroupsConsidered: number;
  rowGroupsRead: number;
  requests: number;
  bytes: number;
  rowsScanned: number;
  walRecords: number;
  walPoints: number;
  footerCacheHits: number;
  /** Rows that went through the dedup merge (overlapping files, level-0 files, WAL). */
  mergedRows: number;
}

export const emptyStats = (): IoStats => ({
  partitionsConsidered: 0,
  partitionsRead: 0,
  filesConsidered: 0,
  filesRead: 0,
  rowGroupsConsidered: 0,
  rowGroupsRead: 0,
  requests: 0,
  bytes: 0,
  rowsScanned: 0,
  walRecords: 0,
  walPoints: 0,
  footerCacheHits: 0,
  mergedRows: 0,
});

/**
 * An AsyncBuffer over one object. Ranges already fetched are served from memory (the footer fetch
 * usually covers a small file entirely); reads closer than `gap` bytes to a fetched range are widened
 * to join it, trading a few bytes for a request.
 */
export function objectBuffer(
  store: ObjectStore,
  key: string,
  size: number,
  stats: IoStats,
  gap = 8192,
): AsyncBuffer {
  const chunks: { start: number; end: number; data: Promise<Uint8Array> }[] = [];
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      for (const c of chunks) {
        if (c.start <= start && end <= c.end) {
          const d = await c.data;
          return copy(d, start - c.start, end - c.start);
        }
      }
      let s = start;
      let e = end;
      for (const c of chunks) {
        if (c.end <= s && s - c.end < gap) s = Math.max(c.end, s - gap);
        if (c.start >= e && c.start - e < gap) e = c.start;
      }
      stats.requests++;
      stats.bytes += e - s;
      const data = store.getRange(key, s, e);
      chunks.push({ start: s, end: e, data });
      const d = await data;
      return copy(d, start - s, end - s);
    },
  };
}

function copy(d: Uint8Array, from: number, to: number): ArrayBuffer {
  const out = new Uint8Array(to - from);
  out.set(d.subarray(from, to));
  return out.buffer;
}

/** Which tags and fields the query needs, by position in Row. */
export interface Projection {
  readonly tagNames: readonly string[];
  readonly fieldNames: readonly string[];
  /** Read `_seq` (needed only when rows from overlapping sources are merged). */
  readonly seq: boolean;
}

const rawInt = { timestampFromMicroseconds: (v: bigint) => v, timestampFromNanoseconds: (v: bigint) => v };

export interface FileReadOptions {
  readonly store: ObjectStore;
  readonly file: FileEntry;
  readonly prune: PruneInput;
  readonly projection: Projection;
  readonly stats: IoStats;
  readonly footerBytes: number;
  /** Parsed footers by object key: data files are immutable, so a footer never goes stale. */
  readonly footers?: FooterCache;
}

/**
 * Reads the chosen row groups and pages of a file as column batches (memory stays at one page
 * range). Batches hold every row of the pages read; `selectRows` applies the range and tag tests.
 */
export async function readFileBatches(
  o: FileReadOptions & { readonly onBatch: (batch: ColumnBatch) => void },
): Promise<void> {
  const buffer = objectBuffer(o.store, o.file.key, o.file.sizeBytes, o.stats);
  let metadata = o.footers?.get(o.file.key);
  if (!metadata) {
    metadata = await parquetMetadataAsync(buffer, { initialFetchSize: o.footerBytes, parsers: rawInt });
    o.footers?.set(o.file.key, metadata);
  } else {
    o.stats.footerCacheHits++;
  }
  const groups = chooseRowGroups(metadata, o.prune);
  o.stats.filesRead++;
  o.stats.rowGroupsConsidered += metadata.row_groups.length;
  o.stats.rowGroupsRead += groups.length;
  if (groups.length === 0) return;
  const { tagNames, fieldNames } = o.projection;
  const wanted = new Set<string>(["time_ns", ...tagNames, ...fieldNames]);
  if (o.projection.seq) wanted.add("_seq");
  let columns = columnsToRead(metadata, wanted);
  const hasNs = columns.includes("time_ns");
  if (!hasNs) columns = ["time", ...columns];
  const timeName = hasNs ? "time_ns" : "time";
  const index = await loadPageIndex(buffer, metadata, groups, columns, pageColumns(o.prune, columns));
  const specs = decodableColumns(
    metadata,
    columns,
    groups.map((g) => g.index),
  );
  const meta = metadata;
  const kinds = new Map<string, FieldColumn["kind"]>();
  for (const e of meta.schema.slice(1)) kinds.set(e.name, fieldKind(e));
  for (const g of groups) {
    const ranges = index
      ? choosePageRanges(g.rowEnd - g.rowStart, index.stats.get(g.index) ?? new Map(), o.prune)
      : [[0, g.rowEnd - g.rowStart] as [number, number]];
    const dictionaries = new Map<ColumnChunk, unknown>();
    for (const [from, to] of ranges) {
      const cols = specs
        ? await decodeRange(g, from, to, dictionaries)
        : await hyparquetRange(g.rowStart + from, g.rowStart + to);
      o.stats.rowsScanned += to - from;
      o.onBatch(toBatch(cols, to - from));
    }
  }

  async function decodeRange(
    g: RowGroupChoice,
    from: number,
    to: number,
    dictionaries: Map<ColumnChunk, unknown>,
  ): Promise<Map<string, DecodedColumn>> {
    const chunks = new Map(
      (meta.row_groups[g.index]?.columns ?? []).map((c) => [c.meta_data?.path_in_schema[0] ?? "", c]),
    );
    // One request per run of nearby column ranges (on S3 a request costs more than some unused bytes);
    // the column reads below are then served from the buffer's fetched ranges.
    const wantedRanges: (readonly [number, number])[] = [];
    for (const name of columns) {
      const chunk = chunks.get(name);
      if (!chunk) continue;
      const pages = index?.pages.get(g.index)?.get(name);
      const plan = columnSlices(chunk, pages, g.rowEnd - g.rowStart, from, to, dictionaries.has(chunk));
      if (plan.dict) wantedRanges.push(plan.dict);
      if (plan.data) wantedRanges.push(plan.data);
    }
    await Promise.all(coalesce(wantedRanges, PREFETCH_GAP).map(([s, e]) => buffer.slice(s, e)));
    const decoded = await Promise.all(
      columns.map((name) => {
        const chunk = chunks.get(name);
        const spec = specs?.get(name);
        if (!chunk || !spec) throw new Error(`${o.file.key}: column ${name} missing in row group ${g.index}`);
        return readColumnRange(
          buffer,
          chunk,
          spec,
          index?.pages.get(g.index)?.get(name),
          g.rowEnd - g.rowStart,
          from,
          to,
          dictionaries,
        );
      }),
    );
    return new Map(columns.map((name, i) => [name, decoded[i] as DecodedColumn]));
  }

  async function hyparquetRange(rowStart: number, rowEnd: number): Promise<Map<string, DecodedColumn>> {
    // Files this decoder cannot read (other writers' encodings or types) go through hyparquet.
    const n = rowEnd - rowStart;
    const cols = new Map<string, unknown[]>();
    await parquetRead({
      file: buffer,
      metadata: meta,
      columns,
      rowStart,
      rowEnd,
      useOffsetIndex: true,
      compressors,
      parsers: rawInt,
      onChunk: (chunk) => {
        let arr = cols.get(chunk.columnName);
        if (!arr) {
          arr = new Array(n).fill(null);
          cols.set(chunk.columnName, arr);
        }
        const data = chunk.columnData;
        const off = chunk.rowStart - rowStart;
        const from = Math.max(0, -off);
        const to = Math.min(data.length, n - off);
        for (let i = from; i < to; i++) arr[off + i] = data[i];
      },
    });
    const out = new Map<string, DecodedColumn>();
    for (const name of columns)
      out.set(name, fromValues(cols.get(name) ?? new Array(n).fill(null), kinds.get(name)));
    return out;
  }

  function toBatch(cols: Map<string, DecodedColumn>, n: number): ColumnBatch {
    const t = cols.get(timeName);
    let time = t?.kind === "i64" ? t.data : new BigInt64Array(n);
    if (!hasNs) time = time.map((v) => v * 1000n);
    const s = cols.get("_seq");
    const { base, off, offExact, span } = timeOffsets(time);
    return {
      n,
      time,
      base,
      off,
      offExact,
      span,
      seq: s?.kind === "i64" ? s.data : undefined,
      defaultSeq: o.file.maxSeq,
      tags: tagNames.map((name) => {
        const c = cols.get(name);
        return c?.kind === "str" ? { kind: "string", codes: c.codes, dict: c.dict } : undefined;
      }),
      fields: fieldNames.map((name) => asField(cols.get(name), kinds.get(name))),
    };
  }
}

/** Byte ranges closer than this are fetched as one (measured on TSBS: fewer requests and bytes than 0 or 32 KiB). */
const PREFETCH_GAP = 8 * 1024;

/** Sorted ranges with gaps below `gap` joined. */
export function coalesce(ranges: readonly (readonly [number, number])[], gap: number): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s - last[1] < gap) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function fieldKind(e: SchemaElement): FieldColumn["kind"] {
  switch (e.type) {
    case "DOUBLE":
    case "FLOAT":
      return "float";
    case "BOOLEAN":
      return "boolean";
    case "INT64":
    case "INT32":
      return e.converted_type === "UINT_64" ||
        (e.logical_type?.type === "INTEGER" && e.logical_type.bitWidth === 64 && !e.logical_type.isSigned)
        ? "unsigned"
        : "integer";
    case "BYTE_ARRAY":
      return "string";
    default:
      return "null";
  }
}

function asField(c: DecodedColumn | undefined, kind: FieldColumn["kind"] | undefined): FieldColumn {
  if (!c) return NULL_COLUMN;
  switch (c.kind) {
    case "f64":
      return { kind: "float", data: c.data, valid: c.valid };
    case "i64":
      return { kind: kind === "unsigned" ? "unsigned" : "integer", data: c.data, valid: c.valid };
    case "bool":
      return { kind: "boolean", data: c.data, valid: c.valid };
    case "str":
      return { kind: "string", codes: c.codes, dict: c.dict };
  }
}

/** hyparquet's values (one per row, null for null) as a decoded column of the schema's kind. */
function fromValues(values: ArrayLike<unknown>, kind: FieldColumn["kind"] | undefined): DecodedColumn {
  const n = values.length;
  let valid: Uint8Array | undefined;
  const mark = (i: number, ok: boolean): void => {
    if (!ok && !valid) valid = new Uint8Array(n).fill(1);
    if (valid) valid[i] = ok ? 1 : 0;
  };
  switch (kind) {
    case "float": {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        mark(i, v !== null && v !== undefined);
        data[i] = typeof v === "number" ? v : 0;
      }
      return { kind: "f64", data, valid };
    }
    case "boolean": {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        mark(i, v !== null && v !== undefined);
        data[i] = v === true ? 1 : 0;
      }
      return { kind: "bool", data, valid };
    }
    case "integer":
    case "unsigned": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        mark(i, v !== null && v !== undefined);
        data[i] = typeof v === "bigint" ? BigInt.asIntN(64, v) : typeof v === "number" ? BigInt(v) : 0n;
      }
      return { kind: "i64", data, valid };
    }
    default: {
      const codes = new Int32Array(n);
      const dict: string[] = [];
      const intern = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== "string") {
          codes[i] = -1;
          continue;
        }
        let k = intern.get(v);
        if (k === undefined) {
          k = dict.length;
          dict.push(v);
          intern.set(v, k);
        }
        codes[i] = k;
      }
      return { kind: "str", codes, dict };
    }
  }
}

/**
 * Indexes of the batch's rows that may match: inside the time range and passing the condition's
 * `=`/`=~` tag tests. Rows that fail cannot match, and time and tags are equal across duplicates, so
 * dropping them is safe before dedup too.
 */
export function selectRows(batch: ColumnBatch, prune: PruneInput, tagNames: readonly string[]): Int32Array {
  const { n, time } = batch;
  const { min, max } = prune.range;
  const tagTest = rowTagTest(prune, tagNames);
  const out = new Int32Array(n);
  let k = 0;
  const lo = relativeBound(min, batch.base);
  const hi = relativeBound(max, batch.base);
  const off = batch.off;
  for (let r = 0; r < n; r++) {
    if (batch.offExact) {
      const x = off[r] as number;
      if (x < lo || x > hi) continue;
    } else {
      const t = time[r] as bigint;
      if (t < min || t > max) continue;
    }
    if (tagTest && !tagTest(batch.tags, r)) continue;
    out[k++] = r;
  }
  return out.subarray(0, k);
}

/** `t - base` as a number, clamped to ±2^53 so that comparing it with exact offsets stays exact. */
export function relativeBound(t: bigint, base: bigint): number {
  const d = t - base;
  const lim = 9_007_199_254_740_992n;
  return Number(d < -lim ? -lim : d > lim ? lim : d);
}

/** Rows of a batch (only `rows`), as the row engine consumes them. */
export function batchRows(batch: ColumnBatch, rows: Int32Array): Row[] {
  const out: Row[] = new Array(rows.length);
  const { tags, fields, seq, time } = batch;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k] as number;
    const t: (string | null)[] = new Array(tags.length);
    for (let i = 0; i < tags.length; i++) t[i] = tagValue(tags[i], r);
    const values: Value[] = new Array(fields.length);
    for (let i = 0; i < fields.length; i++) values[i] = fieldValue(fields[i] as FieldColumn, r);
    out[k] = { time: time[r] as bigint, tags: t, values, seq: seq ? (seq[r] as bigint) : batch.defaultSeq };
  }
  return out;
}

/** Row-at-a-time reading (the dedup merge's input): batches turned into rows that may match. */
export async function readFile(
  o: FileReadOptions & { readonly onRows: (rows: Row[]) => void },
): Promise<void> {
  await readFileBatches({
    ...o,
    onBatch: (b) => o.onRows(batchRows(b, selectRows(b, o.prune, o.projection.tagNames))),
  });
}

/** Columns whose page index can narrow the rows read: the time column and the condition's `=`/`=~` tags. */
function pageColumns(prune: PruneInput, columns: readonly string[]): string[] {
  const tags = prunableTags(prune.condition, prune.isTag);
  return columns.filter((c) => c === "time_ns" || c === "time" || tags.has(c));
}

/**
 * Per chosen row group: page statistics of the `tested` columns and page locations of every column
 * read; undefined when the file has no page index. One ranged read covers the column and offset
 * indexes of every column read.
 */
async function loadPageIndex(
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  groups: readonly RowGroupChoice[],
  columns: readonly string[],
  tested: readonly string[],
): Promise<
  | {
      stats: Map<number, Map<string, PageStats>>;
      pages: Map<number, Map<string, PageLocation[]>>;
    }
  | undefined
> {
  const read = new Set(columns);
  const indexed = groups.some((g) =>
    metadata.row_groups[g.index]?.columns.some(
      (c) => c.offset_index_length && read.has(c.meta_data?.path_in_schema[0] ?? ""),
    ),
  );
  if (!indexed) return undefined;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const g of groups) {
    for (const c of metadata.row_groups[g.index]?.columns ?? []) {
      const name = c.meta_data?.path_in_schema[0] ?? "";
      if (!read.has(name)) continue;
      const ranges: [bigint | undefined, number | undefined][] = [
        [c.offset_index_offset, c.offset_index_length],
      ];
      if (tested.includes(name)) ranges.push([c.column_index_offset, c.column_index_length]);
      for (const [off, len] of ranges) {
        if (off === undefined || !len) continue;
        lo = Math.min(lo, Number(off));
        hi = Math.max(hi, Number(off) + len);
      }
    }
  }
  if (!(lo < hi)) return undefined;
  const region = await buffer.slice(lo, hi);
  const schema = new Map(metadata.schema.map((e) => [e.name, e]));
  const stats = new Map<number, Map<string, PageStats>>();
  const pages = new Map<number, Map<string, PageLocation[]>>();
  for (const g of groups) {
    const groupStats = new Map<string, PageStats>();
    const groupPages = new Map<string, PageLocation[]>();
    for (const c of metadata.row_groups[g.index]?.columns ?? []) {
      const name = c.meta_data?.path_in_schema[0] ?? "";
      const element = schema.get(name);
      const oi = c.offset_index_offset;
      if (!read.has(name) || !element || oi === undefined || !c.offset_index_length) continue;
      const offsets = readOffsetIndex({
        view: new DataView(region, Number(oi) - lo, c.offset_index_length),
        offset: 0,
      });
      const firstRows = offsets.page_locations.map((p) => Number(p.first_row_index));
      groupPages.set(
        name,
        offsets.page_locations.map((p) => ({
          offset: Number(p.offset),
          size: p.compressed_page_size,
          firstRow: Number(p.first_row_index),
        })),
      );
      const ci = c.column_index_offset;
      if (!tested.includes(name) || ci === undefined || !c.column_index_length) continue;
      const index = readColumnIndex(
        { view: new DataView(region, Number(ci) - lo, c.column_index_length), offset: 0 },
        element,
        rawInt,
      );
      groupStats.set(name, {
        firstRows,
        mins: index.min_values,
        maxs: index.max_values,
        nullPages: index.null_pages,
      });
    }
    stats.set(g.index, groupStats);
    pages.set(g.index, groupPages);
  }
  return { stats, pages };
}

/**
 * A conservative per-row test of the condition's `=` / `=~` tag comparisons over decoded tag columns:
 * false only when the row's tag values cannot satisfy the condition. Rows arrive sorted by series, so
 * the verdict is kept while the tested values repeat. Undefined when the condition tests no tag.
 */
export function rowTagTest(
  prune: PruneInput,
  tagNames: readonly string[],
): ((tagCols: readonly (CodedColumn | undefined)[], r: number) => boolean) | undefined {
  const tested = [...prunableTags(prune.condition, prune.isTag)];
  if (tested.length === 0) return undefined;
  const idx = tested.map((t) => tagNames.indexOf(t));
  const pos = new Map(tested.map((t, i) => [t, i]));
  const current: (string | null)[] = new Array(tested.length).fill(null);
  const summary: PruneSummary = {
    minTime: MIN_TIME,
    maxTime: MAX_TIME,
    tagMay: (key, t) => {
      const i = pos.get(key);
      if (i === undefined || (idx[i] as number) < 0) return true;
      return passes(current[i] ?? "", t);
    },
  };
  let primed = false;
  let verdict = true;
  return (tagCols, r) => {
    let same = primed;
    for (let i = 0; i < idx.length; i++) {
      const j = idx[i] as number;
      const v = j < 0 ? null : tagValue(tagCols[j], r);
      if (v !== current[i]) {
        current[i] = v;
        same = false;
      }
    }
    if (!same) {
      verdict = mayMatch(prune.condition, summary, prune.isTag, prune.nowNs);
      primed = true;
    }
    return verdict;
  };
}

/** A small LRU of parsed Parquet footers. */
export class FooterCache {
  private readonly entries = new Map<string, FileMetaData>();
  constructor(private readonly capacity = 512) {}
  get(key: string): FileMetaData | undefined {
    const v = this.entries.get(key);
    if (v) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }
  set(key: string, value: FileMetaData): void {
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
  }
}

export type LineParser = (body: Uint8Array, options: ParseOptions) => ParseResult;

/** Points of one measurement from pending WAL records, each stamped with its record's sequence. */
export function walRows(
  records: readonly WalRecord[],
  measurement: string,
  parse: LineParser,
  projection: Projection,
  stats: IoStats,
): Row[] {
  const out: Row[] = [];
  for (const rec of records) {
    stats.walRecords++;
    const { points } = parse(rec.body, { precision: rec.precision, defaultTime: rec.receivedAtNs });
    for (const p of points) {
      if (p.measurement !== measurement) continue;
      stats.walPoints++;
      const tags = projection.tagNames.map((t) => {
        const i = p.tagKeys.indexOf(t);
        return i < 0 ? null : (p.tagValues[i] ?? null);
      });
      const values = projection.fieldNames.map((f) => {
        const i = p.fieldKeys.indexOf(f);
        return i < 0 ? null : (p.fieldValues[i] ?? null);
      });
      out.push({ time: p.time, tags, values, seq: rec.sequence });
    }
  }
  return out;
}

/**
 * The dedup rule: rows with the same series (all tags) and time combine field by field, the non-null
 * value from the highest `_seq` winning. Needs every tag in the projection.
 */
export class DedupMerger {
  private readonly rows = new Map<string, { row: Row; seqs: (bigint | null)[] }>();

  add(rows: readonly Row[]): void {
    for (const row of rows) {
      const key = `${row.tags.map((t) => (t === null ? "\u0000" : `\u0001${t}`)).join("\u0002")}\u0003${row.time}`;
      const cur = this.rows.get(key);
      if (!cur) {
        this.rows.set(key, {
          row: { ...row, values: [...row.values] },
          seqs: row.values.map((v) => (v === null ? null : row.seq)),
        });
        continue;
      }
      row.values.forEach((v, i) => {
        if (v === null) return;
        const s = cur.seqs[i];
        if (s === null || s === undefined || row.seq >= s) {
          cur.row.values[i] = v;
          cur.seqs[i] = row.seq;
        }
      });
      if (row.seq > cur.row.seq) cur.row.seq = row.seq;
    }
  }

  get size(): number {
    return this.rows.size;
  }

  drain(): Row[] {
    const out = [...this.rows.values()].map((e) => e.row);
    this.rows.clear();
    return out;
  }
}
