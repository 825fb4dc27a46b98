// Reads points for the engine: chosen row groups and columns of Parquet files (hyparquet over ranged
// ObjectStore reads, with a per-file range cache) and, in local mode, the WAL tail's pending records.
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  readColumnIndex,
  readOffsetIndex,
} from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { FileEntry } from "../catalog/port.ts";
import type { ParseOptions, ParseResult } from "../lineprotocol/types.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { WalRecord } from "../wal/port.ts";
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
  /** Receives each row group's rows as they are decoded (memory stays at one row group). */
  readonly onRows: (rows: Row[]) => void;
}

export async function readFile(o: FileReadOptions): Promise<void> {
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
  const defaultSeq = o.file.maxSeq;
  const tagTest = rowTagTest(o.prune, tagNames);
  const pageIndex = await loadPageIndex(buffer, metadata, groups, columns, pageColumns(o.prune, columns));
  for (const g of groups) {
    const ranges = pageIndex
      ? choosePageRanges(g.rowEnd - g.rowStart, pageIndex.get(g.index) ?? new Map(), o.prune)
      : [[0, g.rowEnd - g.rowStart] as [number, number]];
    for (const [from, to] of ranges) await readRange(g.rowStart + from, g.rowStart + to);
  }

  async function readRange(rowStart: number, rowEnd: number): Promise<void> {
    // Columnar decode: hyparquet hands over each column's pages (with the offset index, only those
    // overlapping the range); rows are built once, here, and only for rows that may match.
    const n = rowEnd - rowStart;
    const cols = new Map<string, unknown[]>();
    await parquetRead({
      file: buffer,
      metadata: metadata as FileMetaData,
      columns,
      rowStart,
      rowEnd,
      useOffsetIndex: true,
      compressors,
      parsers: rawInt,
      onChunk: (chunk) => {
        let arr = cols.get(chunk.columnName);
        // The usual case: one chunk holds the column for the whole range; use it as it is.
        if (!arr && chunk.rowStart === rowStart && chunk.columnData.length === n) {
          cols.set(chunk.columnName, chunk.columnData as unknown[]);
          return;
        }
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
    o.stats.rowsScanned += n;
    const times = cols.get(timeName) ?? [];
    const seqs = cols.get("_seq");
    const tagCols = tagNames.map((t) => cols.get(t));
    const fieldCols = fieldNames.map((f) => cols.get(f));
    const out: Row[] = [];
    const { min, max } = o.prune.range;
    for (let r = 0; r < n; r++) {
      const t = times[r];
      const time = typeof t === "bigint" ? (hasNs ? t : t * 1000n) : BigInt(Number(t ?? 0));
      // Rows that cannot match are dropped before a Row is built; the engine still applies the full
      // predicate to the rest. Time and tags are equal across duplicates, so this is safe before dedup.
      if (time < min || time > max) continue;
      if (tagTest && !tagTest(tagCols, r)) continue;
      const tags: (string | null)[] = new Array(tagCols.length);
      for (let i = 0; i < tagCols.length; i++)
        tags[i] = (tagCols[i]?.[r] as string | null | undefined) ?? null;
      const values: Value[] = new Array(fieldCols.length);
      for (let i = 0; i < fieldCols.length; i++) values[i] = (fieldCols[i]?.[r] as Value | undefined) ?? null;
      const s = seqs?.[r];
      out.push({ time, tags, values, seq: typeof s === "bigint" ? s : defaultSeq });
    }
    o.onRows(out);
  }
}

/** Columns whose page index can narrow the rows read: the time column and the condition's `=`/`=~` tags. */
function pageColumns(prune: PruneInput, columns: readonly string[]): string[] {
  const tags = prunableTags(prune.condition, prune.isTag);
  return columns.filter((c) => c === "time_ns" || c === "time" || tags.has(c));
}

/**
 * Page statistics of `tested` columns per chosen row group, or undefined when the file has no page
 * index for them. One ranged read covers the column and offset indexes of every column read, so the
 * offset indexes hyparquet then asks for are served from memory.
 */
async function loadPageIndex(
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  groups: readonly RowGroupChoice[],
  columns: readonly string[],
  tested: readonly string[],
): Promise<Map<number, Map<string, PageStats>> | undefined> {
  const indexed = groups.some((g) =>
    metadata.row_groups[g.index]?.columns.some(
      (c) => c.column_index_length && tested.includes(c.meta_data?.path_in_schema[0] ?? ""),
    ),
  );
  if (!indexed) return undefined;
  const read = new Set(columns);
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const g of groups) {
    for (const c of metadata.row_groups[g.index]?.columns ?? []) {
      if (!read.has(c.meta_data?.path_in_schema[0] ?? "")) continue;
      for (const [off, len] of [
        [c.column_index_offset, c.column_index_length],
        [c.offset_index_offset, c.offset_index_length],
      ] as const) {
        if (off === undefined || len === undefined) continue;
        lo = Math.min(lo, Number(off));
        hi = Math.max(hi, Number(off) + len);
      }
    }
  }
  if (!(lo < hi)) return undefined;
  const region = await buffer.slice(lo, hi);
  const schema = new Map(metadata.schema.map((e) => [e.name, e]));
  const out = new Map<number, Map<string, PageStats>>();
  for (const g of groups) {
    const pages = new Map<string, PageStats>();
    for (const c of metadata.row_groups[g.index]?.columns ?? []) {
      const name = c.meta_data?.path_in_schema[0] ?? "";
      const element = schema.get(name);
      if (!tested.includes(name) || !element) continue;
      const ci = c.column_index_offset;
      const oi = c.offset_index_offset;
      if (ci === undefined || oi === undefined || !c.column_index_length || !c.offset_index_length) continue;
      const index = readColumnIndex(
        { view: new DataView(region, Number(ci) - lo, c.column_index_length), offset: 0 },
        element,
        rawInt,
      );
      const offsets = readOffsetIndex({
        view: new DataView(region, Number(oi) - lo, c.offset_index_length),
        offset: 0,
      });
      pages.set(name, {
        firstRows: offsets.page_locations.map((p) => Number(p.first_row_index)),
        mins: index.min_values,
        maxs: index.max_values,
        nullPages: index.null_pages,
      });
    }
    out.set(g.index, pages);
  }
  return out;
}

/**
 * A conservative per-row test of the condition's `=` / `=~` tag comparisons over decoded tag columns:
 * false only when the row's tag values cannot satisfy the condition. Rows arrive sorted by series, so
 * the verdict is kept while the tested values repeat. Undefined when the condition tests no tag.
 */
export function rowTagTest(
  prune: PruneInput,
  tagNames: readonly string[],
): ((tagCols: readonly (unknown[] | undefined)[], r: number) => boolean) | undefined {
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
      const v = j < 0 ? null : ((tagCols[j]?.[r] as string | null | undefined) ?? null);
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
