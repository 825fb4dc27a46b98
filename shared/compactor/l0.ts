// Level-0 compaction: WAL records -> one sorted, deduplicated Parquet file per partition, then the catalog.
// A record succeeds only when every file holding its points and the catalog entries naming them are durable.
// Each record's points are copied into per-measurement columns (batch.ts) right after it is parsed.
import type { ObjectStoreCatalog, SchemaProposal } from "../catalog/catalog.ts";
import type { FileEntry } from "../catalog/port.ts";
import type { IdSource } from "../core/clock.ts";
import { l0FileKey } from "../layout/keys.ts";
import type { PartitionId, PartitionTemplate } from "../layout/partition.ts";
import { dayOf, dayRangeNs, partitionOf, partitionPath } from "../layout/partition.ts";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { FieldType, ParseOptions, ParseResult } from "../lineprotocol/types.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import { compareInt64Across, gatherInt64, int32View } from "../parquet/columnar.ts";
import type { FieldDef } from "../parquet/table.ts";
import { RESERVED_COLUMNS } from "../parquet/table.ts";
import { writeColumnarParquet } from "../parquet/writer.ts";
import type { WalRecord } from "../wal/port.ts";
import type { BatchColumn, BatchSeries, Layout } from "./batch.ts";
import { MeasurementBatch } from "./batch.ts";
import type { FieldSource, SortKeys } from "./columns.ts";
import { columnSource, sortDedup, summariseTagColumns } from "./columns.ts";
import { RecordParseError } from "./errors.ts";
import { chooseSortKey, DistinctTagValues, orderBySortKey } from "./sortkey.ts";

export interface CompactorDeps {
  readonly store: ObjectStore;
  readonly catalog: ObjectStoreCatalog;
  readonly ids: IdSource;
  readonly parse: (body: Uint8Array, options: ParseOptions) => ParseResult;
  /** Partition template for a measurement seen for the first time (default: day only). */
  readonly templateFor?: (database: string, measurement: string) => PartitionTemplate;
  /** Tag keys that lead the sort key of a measurement seen for the first time (configured override). */
  readonly sortKeyFor?: (database: string, measurement: string) => readonly string[] | undefined;
  readonly rowGroupRows?: number;
  /** Distinct tag values summarised per tag key in a file entry before giving up on that key. Default 64. */
  readonly tagValueSummaryCap?: number;
}

export interface PointRejection {
  /** The WAL delivery id of the record holding the point. */
  readonly id: string;
  readonly database: string;
  readonly measurement: string;
  readonly line: number;
  readonly message: string;
}

export interface CompactResult {
  readonly succeeded: string[];
  readonly failed: { readonly id: string; readonly error: Error }[];
  /** Points not written (field type conflicts, reserved or clashing names, unparsable lines). */
  readonly rejected: PointRejection[];
  readonly files: FileEntry[];
  readonly points: number;
}

interface Delivery {
  readonly id: string;
  readonly record: WalRecord;
}

/** Compacts a batch of WAL records. Never throws for one record's or one database's failure. */
export async function compactRecords(
  records: readonly Delivery[],
  deps: CompactorDeps,
): Promise<CompactResult> {
  const failed: { id: string; error: Error }[] = [];
  const rejected: PointRejection[] = [];
  const files: FileEntry[] = [];
  const byDb = new Map<string, Map<string, MeasurementBatch>>();
  const idsByDb = new Map<string, Set<string>>();
  const failedIds = new Set<string>();
  let points = 0;

  // Sequence order, so that "first seen" field types follow write order.
  const ordered = [...records].sort((a, b) =>
    a.record.sequence < b.record.sequence ? -1 : a.record.sequence > b.record.sequence ? 1 : 0,
  );
  ordered.forEach(({ id, record }, r) => {
    let parsed: ParseResult;
    try {
      parsed = deps.parse(record.body, { precision: record.precision, defaultTime: record.receivedAtNs });
    } catch (cause) {
      failed.push({ id, error: new RecordParseError(id, cause) });
      failedIds.add(id);
      return;
    }
    for (const e of parsed.errors)
      rejected.push({ id, database: record.database, measurement: "", line: e.line, message: e.message });
    let measurements = byDb.get(record.database);
    if (!measurements) {
      measurements = new Map();
      byDb.set(record.database, measurements);
      idsByDb.set(record.database, new Set());
    }
    idsByDb.get(record.database)?.add(id);
    const begun = new Set<MeasurementBatch>();
    let last: MeasurementBatch | undefined;
    let lastName = "";
    for (const point of parsed.points) {
      if (last === undefined || point.measurement !== lastName) {
        lastName = point.measurement;
        last = measurements.get(lastName);
        if (!last) {
          last = new MeasurementBatch();
          measurements.set(lastName, last);
        }
        if (!begun.has(last)) {
          begun.add(last);
          last.beginParse(parsed.points.length, ordered.length - r);
        }
      }
      last.add(point, r);
    }
    points += parsed.points.length;
  });

  for (const [database, measurements] of byDb) {
    try {
      files.push(...(await compactDatabase(database, measurements, ordered, deps, rejected)));
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      for (const id of idsByDb.get(database) ?? []) {
        failed.push({ id, error });
        failedIds.add(id);
      }
    }
  }
  const succeeded = records.map((r) => r.id).filter((id) => !failedIds.has(id));
  return { succeeded, failed, rejected, files, points };
}

/**
 * Drops the rows of a batch whose layout `problem` objects to (reporting each as a rejected point) from
 * `accepted`. Verdicts are made once per layout (distinct tag keys, field keys and field types).
 */
function rejectLayouts(
  batch: MeasurementBatch,
  accepted: Uint8Array,
  problem: (layout: Layout) => string | undefined,
  reject: (row: number, message: string) => void,
): void {
  const verdicts = batch.layouts.map(problem);
  if (verdicts.every((v) => v === undefined)) return;
  for (let i = 0; i < batch.length; i++) {
    if (accepted[i] === 0) continue;
    const v = verdicts[batch.layoutOf[i] as number];
    if (v === undefined) continue;
    accepted[i] = 0;
    reject(i, v);
  }
}

async function compactDatabase(
  database: string,
  measurements: Map<string, MeasurementBatch>,
  batch: readonly Delivery[],
  deps: CompactorDeps,
  rejected: PointRejection[],
): Promise<FileEntry[]> {
  const rejecter = (measurement: string, b: MeasurementBatch) => (row: number, message: string) =>
    rejected.push({
      id: (batch[b.recordOf[row] as number] as Delivery).id,
      database,
      measurement,
      line: b.lineOf[row] as number,
      message,
    });
  // 1. Names that cannot become columns are rejected before anything is proposed to the schema.
  const proposals = new Map<string, SchemaProposal>();
  const accepted = new Map<string, Uint8Array>();
  for (const [measurement, b] of measurements) {
    const ok = new Uint8Array(b.length).fill(1);
    accepted.set(measurement, ok);
    const bad = (l: Layout) => {
      const name =
        l.tagKeys.find((k) => RESERVED_COLUMNS.has(k)) ??
        l.fieldKeys.find((k) => RESERVED_COLUMNS.has(k) || l.tagKeys.includes(k));
      return name === undefined
        ? undefined
        : `"${name}" cannot be used as a tag or field key here (reserved or both)`;
    };
    rejectLayouts(b, ok, bad, rejecter(measurement, b));
    // Layouts are numbered in order of first appearance, so the first good layout naming a field has the
    // type of the first accepted point that wrote it.
    const tagKeys = new Set<string>();
    const fields = new Map<string, FieldType>();
    const good = b.layouts.map((l) => bad(l) === undefined);
    b.layouts.forEach((l, i) => {
      if (!good[i]) return;
      for (const k of l.tagKeys) tagKeys.add(k);
      l.fieldKeys.forEach((k, f) => {
        if (!fields.has(k)) fields.set(k, l.fieldTypes[f] as FieldType);
      });
    });
    let sortKey: readonly string[] | undefined;
    const override = deps.sortKeyFor?.(database, measurement);
    proposals.set(measurement, {
      tagKeys,
      fields,
      // Asked only when the measurement is new: counting distinct values costs a pass over the series.
      sortKey: () => {
        if (sortKey === undefined) {
          const used = new Uint8Array(b.series.length);
          for (let i = 0; i < b.length; i++) if (ok[i] === 1) used[b.seriesOf[i] as number] = 1;
          const distinct = new DistinctTagValues();
          b.series.forEach((s, i) => {
            if (used[i] === 1) distinct.add(s.tagKeys, s.tagValues);
          });
          sortKey = chooseSortKey(distinct.counts(), override);
        }
        return sortKey;
      },
    });
  }
  // 2. Fix field types (first writer wins across compactors, by the catalog's optimistic concurrency).
  const schema = await deps.catalog.ensureSchema(database, proposals, (m) =>
    deps.templateFor ? deps.templateFor(database, m) : { parts: [] },
  );
  const out: FileEntry[] = [];
  for (const [measurement, b] of measurements) {
    const m = schema.measurements.get(measurement);
    const ok = accepted.get(measurement) as Uint8Array;
    if (!m) continue;
    rejectLayouts(b, ok, (l) => schemaProblem(measurement, l, m), rejecter(measurement, b));
    if (!ok.includes(1)) continue;
    out.push(...(await compactMeasurement(database, measurement, b, ok, batch, m, deps)));
  }
  return out;
}

function schemaProblem(
  measurement: string,
  l: Layout,
  m: { readonly tagKeys: readonly string[]; readonly fields: ReadonlyMap<string, FieldType> },
): string | undefined {
  for (let i = 0; i < l.fieldKeys.length; i++) {
    const k = l.fieldKeys[i] as string;
    const fixed = m.fields.get(k);
    if (fixed === undefined) return `field "${k}" is already a tag key of measurement "${measurement}"`;
    if (fixed !== l.fieldTypes[i]) return `field type conflict: "${k}" is ${fixed}, got ${l.fieldTypes[i]}`;
  }
  const tag = l.tagKeys.find((k) => !m.tagKeys.includes(k));
  if (tag !== undefined) return `tag "${tag}" is already a field key of measurement "${measurement}"`;
  return undefined;
}

/** The partition of a series' points of one day: its template parts, and the group of the last day seen. */
interface SeriesDay {
  parts: PartitionId["parts"] | undefined;
  group: number;
}

interface Group {
  readonly id: PartitionId;
  /** Rows of the batch. */
  rows: Int32Array;
  length: number;
}

async function compactMeasurement(
  database: string,
  measurement: string,
  b: MeasurementBatch,
  accepted: Uint8Array,
  batch: readonly Delivery[],
  m: {
    readonly template: PartitionTemplate;
    readonly fields: ReadonlyMap<string, FieldType>;
    readonly sortKey: readonly string[];
  },
  deps: CompactorDeps,
): Promise<FileEntry[]> {
  const days: SeriesDay[] = b.series.map(() => ({ parts: undefined, group: -1 }));
  // [start, end) of each series' last day (none yet: [1, 0)), compared through Int32 views: no BigInt per row.
  const bounds = new BigInt64Array(2 * b.series.length);
  for (let s = 0; s < b.series.length; s++) bounds[2 * s] = 1n;
  const boundsView = int32View(bounds);
  const timeView = int32View(b.timeNs);
  const groups: Group[] = [];
  const groupByPath = new Map<string, number>();
  for (let i = 0; i < b.length; i++) {
    if (accepted[i] === 0) continue;
    const s = b.seriesOf[i] as number;
    const info = days[s] as SeriesDay;
    if (
      compareInt64Across(timeView, i, boundsView, 2 * s) < 0 ||
      compareInt64Across(timeView, i, boundsView, 2 * s + 1) >= 0
    ) {
      const time = b.timeNs[i] as bigint;
      if (info.parts === undefined) {
        const series = b.series[s] as BatchSeries;
        info.parts = partitionOf(m.template, 0n, (tag) => {
          const k = series.tagKeys.indexOf(tag);
          return k < 0 ? null : (series.tagValues[k] as string);
        }).parts;
      }
      const day = dayOf(time);
      const [start, end] = dayRangeNs(day);
      const id: PartitionId = { day, parts: info.parts };
      const path = partitionPath(id);
      let g = groupByPath.get(path);
      if (g === undefined) {
        g = groups.length;
        groupByPath.set(path, g);
        groups.push({ id, rows: new Int32Array(16), length: 0 });
      }
      bounds[2 * s] = start;
      bounds[2 * s + 1] = end;
      info.group = g;
    }
    const group = groups[info.group] as Group;
    if (group.length === group.rows.length) {
      const rows = new Int32Array(Math.min(b.length, group.rows.length * 2));
      rows.set(group.rows);
      group.rows = rows;
    }
    group.rows[group.length++] = i;
  }
  const seqOfRecord = batch.map((d) => d.record.sequence);
  const added: { partition: PartitionId; file: FileEntry }[] = [];
  for (const g of groups) {
    const rows = g.rows.subarray(0, g.length);
    const { keys, columns } = groupKeys(b, rows, seqOfRecord, m);
    const table = sortDedup(keys, rowsSource(columnSource(columns), rows));
    const written = writeColumnarParquet(table, { level: 0, rowGroupRows: deps.rowGroupRows });
    const key = l0FileKey(database, measurement, g.id, written.minSeq, deps.ids.next());
    const put = await deps.store.put(key, written.bytes, { contentType: "application/vnd.apache.parquet" });
    if (!put.ok) throw new Error(`unconditional put of ${key} was refused (${put.reason})`);
    added.push({
      partition: g.id,
      file: {
        key,
        level: 0,
        sizeBytes: written.bytes.length,
        rowCount: written.rowCount,
        minTimeNs: written.minTimeNs,
        maxTimeNs: written.maxTimeNs,
        minSeq: written.minSeq,
        maxSeq: written.maxSeq,
        tagValues: summariseTagColumns(table, deps.tagValueSummaryCap ?? 64),
      },
    });
  }
  await deps.catalog.commitFiles(database, measurement, { add: added, remove: [] });
  return added.map((a) => a.file);
}

/**
 * The sort keys of one partition's rows, over the union of their tag keys (in sort-key order) and fields,
 * with the batch columns holding those fields.
 */
function groupKeys(
  b: MeasurementBatch,
  rows: Int32Array,
  seqOfRecord: readonly bigint[],
  m: { readonly fields: ReadonlyMap<string, FieldType>; readonly sortKey: readonly string[] },
): { keys: SortKeys; columns: BatchColumn[] } {
  const n = rows.length;
  // Local series ids, and the layouts used (for the union of tag keys and fields).
  const local = new Int32Array(b.series.length).fill(-1);
  const members: BatchSeries[] = [];
  const seriesOf = new Int32Array(n);
  const timeNs = new BigInt64Array(n);
  const seq = new BigInt64Array(n);
  const usedLayouts = new Uint8Array(b.layouts.length);
  for (let i = 0; i < n; i++) {
    const row = rows[i] as number;
    const s = b.seriesOf[row] as number;
    let l = local[s] as number;
    if (l < 0) {
      l = members.length;
      local[s] = l;
      members.push(b.series[s] as BatchSeries);
    }
    seriesOf[i] = l;
    seq[i] = seqOfRecord[b.recordOf[row] as number] as bigint;
    usedLayouts[b.layoutOf[row] as number] = 1;
  }
  gatherInt64(b.timeNs, rows, timeNs);
  const tagSet = new Set<string>();
  const fieldSet = new Set<string>();
  b.layouts.forEach((l, i) => {
    if (usedLayouts[i] === 0) return;
    for (const k of l.tagKeys) tagSet.add(k);
    for (const k of l.fieldKeys) fieldSet.add(k);
  });
  const tagKeys = orderBySortKey(tagSet, m.sortKey);
  const tagIndex = new Map(tagKeys.map((k, i) => [k, i]));
  const seriesTags = members.map((info) => {
    const values = new Array<string | null>(tagKeys.length).fill(null);
    info.tagKeys.forEach((k, i) => {
      values[tagIndex.get(k) as number] = info.tagValues[i] as string;
    });
    return values;
  });
  const fields: FieldDef[] = [...fieldSet].sort(compareUtf8).map((name) => ({
    name,
    type: m.fields.get(name) as FieldType,
  }));
  // Accepted rows wrote each field with its schema type, so that column holds all of their values.
  const columns = fields.map((f) => b.columns[b.column(f.name, f.type) as number] as BatchColumn);
  return { keys: { tagKeys, fields, series: seriesTags, length: n, seriesOf, timeNs, seq }, columns };
}

/** A source over the batch's columns for a group whose input row r is batch row rows[r]. */
function rowsSource(source: FieldSource, rows: Int32Array): FieldSource {
  return {
    has: (f, r) => source.has(f, rows[r] as number),
    copy: (f, r, out, i) => source.copy(f, rows[r] as number, out, i),
    gather(src, out) {
      const mapped = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) mapped[i] = rows[src[i] as number] as number;
      source.gather(mapped, out);
    },
  };
}
