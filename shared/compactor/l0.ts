// Level-0 compaction: WAL records -> one sorted, deduplicated Parquet file per partition, then the catalog.
// A record succeeds only when every file holding its points and the catalog entries naming them are durable.
import type { ObjectStoreCatalog, SchemaProposal } from "../catalog/catalog.ts";
import type { FileEntry } from "../catalog/port.ts";
import type { IdSource } from "../core/clock.ts";
import { l0FileKey } from "../layout/keys.ts";
import type { PartitionId, PartitionTemplate } from "../layout/partition.ts";
import { dayOf, dayRangeNs, partitionOf, partitionPath } from "../layout/partition.ts";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { FieldType, FieldValue, ParseOptions, ParseResult, Point } from "../lineprotocol/types.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { FieldColumn, FieldValues } from "../parquet/columnar.ts";
import type { FieldDef } from "../parquet/table.ts";
import { RESERVED_COLUMNS } from "../parquet/table.ts";
import { writeColumnarParquet } from "../parquet/writer.ts";
import type { WalRecord } from "../wal/port.ts";
import type { FieldSource, SortKeys } from "./columns.ts";
import { sortDedup, summariseTagColumns } from "./columns.ts";
import { RecordParseError } from "./errors.ts";

export interface CompactorDeps {
  readonly store: ObjectStore;
  readonly catalog: ObjectStoreCatalog;
  readonly ids: IdSource;
  readonly parse: (body: Uint8Array, options: ParseOptions) => ParseResult;
  /** Partition template for a measurement seen for the first time (default: day only). */
  readonly templateFor?: (database: string, measurement: string) => PartitionTemplate;
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

/** A measurement's points from one batch, with the index (into the batch, sequence order) of each one's record. */
interface Collected {
  points: Point[];
  records: number[];
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
  const byDb = new Map<string, Map<string, Collected>>();
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
    let last: Collected | undefined;
    let lastName = "";
    for (const point of parsed.points) {
      if (last === undefined || point.measurement !== lastName) {
        lastName = point.measurement;
        last = measurements.get(lastName);
        if (!last) {
          last = { points: [], records: [] };
          measurements.set(lastName, last);
        }
      }
      last.points.push(point);
      last.records.push(r);
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
 * Keeps the points for which `problem` returns undefined and rejects the others. Points of one parse share
 * their key and type arrays, so the verdict is computed once per distinct (tagKeys, fieldKeys, fieldTypes).
 */
function keepPoints(
  c: Collected,
  problem: (p: Point) => string | undefined,
  reject: (p: Point, record: number, message: string) => void,
): Collected {
  let lastTags: readonly string[] | undefined;
  let lastFields: readonly string[] | undefined;
  let lastTypes: readonly FieldType[] | undefined;
  let verdict: string | undefined;
  let kept: Collected | undefined;
  for (let i = 0; i < c.points.length; i++) {
    const p = c.points[i] as Point;
    if (p.tagKeys !== lastTags || p.fieldKeys !== lastFields || p.fieldTypes !== lastTypes) {
      lastTags = p.tagKeys;
      lastFields = p.fieldKeys;
      lastTypes = p.fieldTypes;
      verdict = problem(p);
    }
    if (verdict === undefined) {
      kept?.points.push(p);
      kept?.records.push(c.records[i] as number);
      continue;
    }
    reject(p, c.records[i] as number, verdict);
    // First rejection: copy what was kept so far.
    kept ??= { points: c.points.slice(0, i), records: c.records.slice(0, i) };
  }
  return kept ?? c;
}

async function compactDatabase(
  database: string,
  measurements: Map<string, Collected>,
  batch: readonly Delivery[],
  deps: CompactorDeps,
  rejected: PointRejection[],
): Promise<FileEntry[]> {
  const reject = (p: Point, record: number, message: string) =>
    rejected.push({
      id: (batch[record] as Delivery).id,
      database,
      measurement: p.measurement,
      line: p.line,
      message,
    });
  // 1. Names that cannot become columns are rejected before anything is proposed to the schema.
  const proposals = new Map<string, SchemaProposal>();
  for (const [measurement, collected] of measurements) {
    const tagKeys = new Set<string>();
    const fields = new Map<string, FieldType>();
    const kept = keepPoints(
      collected,
      (p) => {
        const bad =
          p.tagKeys.find((k) => RESERVED_COLUMNS.has(k)) ??
          p.fieldKeys.find((k) => RESERVED_COLUMNS.has(k) || p.tagKeys.includes(k));
        if (bad !== undefined) return `"${bad}" cannot be used as a tag or field key here (reserved or both)`;
        for (const k of p.tagKeys) tagKeys.add(k);
        p.fieldKeys.forEach((k, i) => {
          if (!fields.has(k)) fields.set(k, p.fieldTypes[i] as FieldType);
        });
        return undefined;
      },
      reject,
    );
    measurements.set(measurement, kept);
    proposals.set(measurement, { tagKeys, fields });
  }
  // 2. Fix field types (first writer wins across compactors, by the catalog's optimistic concurrency).
  const schema = await deps.catalog.ensureSchema(database, proposals, (m) =>
    deps.templateFor ? deps.templateFor(database, m) : { parts: [] },
  );
  const out: FileEntry[] = [];
  for (const [measurement, collected] of measurements) {
    const m = schema.measurements.get(measurement);
    if (!m) continue;
    const accepted = keepPoints(collected, (p) => schemaProblem(measurement, p, m), reject);
    if (accepted.points.length === 0) continue;
    out.push(...(await compactMeasurement(database, measurement, accepted, batch, m, deps)));
  }
  return out;
}

function schemaProblem(
  measurement: string,
  p: Point,
  m: { readonly tagKeys: readonly string[]; readonly fields: ReadonlyMap<string, FieldType> },
): string | undefined {
  for (let i = 0; i < p.fieldKeys.length; i++) {
    const k = p.fieldKeys[i] as string;
    const fixed = m.fields.get(k);
    if (fixed === undefined) return `field "${k}" is already a tag key of measurement "${measurement}"`;
    if (fixed !== p.fieldTypes[i]) return `field type conflict: "${k}" is ${fixed}, got ${p.fieldTypes[i]}`;
  }
  const tag = p.tagKeys.find((k) => !m.tagKeys.includes(k));
  if (tag !== undefined) return `tag "${tag}" is already a field key of measurement "${measurement}"`;
  return undefined;
}

/** A distinct series of the batch: its tag set, and the partition its points of one day go to. */
interface SeriesInfo {
  readonly tagKeys: readonly string[];
  readonly tagValues: readonly string[];
  /** Template parts of this series (they depend on tags only). */
  readonly parts: PartitionId["parts"];
  /** The last day seen: [dayStart, dayEnd) in ns and its group. */
  dayStart: bigint;
  dayEnd: bigint;
  group: number;
}

interface Group {
  readonly id: PartitionId;
  /** Indices into the measurement's points. */
  readonly points: number[];
}

async function compactMeasurement(
  database: string,
  measurement: string,
  collected: Collected,
  batch: readonly Delivery[],
  m: { readonly template: PartitionTemplate; readonly fields: ReadonlyMap<string, FieldType> },
  deps: CompactorDeps,
): Promise<FileEntry[]> {
  // Series by identity of the parser's shared tag-value arrays, then by content across parses.
  const seriesByArray = new Map<readonly string[], number>();
  const seriesByKey = new Map<string, number>();
  const series: SeriesInfo[] = [];
  const seriesOfPoint = new Int32Array(collected.points.length);
  const groups: Group[] = [];
  const groupByPath = new Map<string, number>();
  collected.points.forEach((p, i) => {
    let s = seriesByArray.get(p.tagValues);
    if (s === undefined) {
      const key = JSON.stringify([p.tagKeys, p.tagValues]);
      s = seriesByKey.get(key);
      if (s === undefined) {
        s = series.length;
        seriesByKey.set(key, s);
        const id = partitionOf(m.template, 0n, (tag) => {
          const k = p.tagKeys.indexOf(tag);
          return k < 0 ? null : (p.tagValues[k] as string);
        });
        series.push({
          tagKeys: p.tagKeys,
          tagValues: p.tagValues,
          parts: id.parts,
          dayStart: 1n,
          dayEnd: 0n,
          group: -1,
        });
      }
      seriesByArray.set(p.tagValues, s);
    }
    seriesOfPoint[i] = s;
    const info = series[s] as SeriesInfo;
    if (p.time < info.dayStart || p.time >= info.dayEnd) {
      const day = dayOf(p.time);
      const [start, end] = dayRangeNs(day);
      const id: PartitionId = { day, parts: info.parts };
      const path = partitionPath(id);
      let g = groupByPath.get(path);
      if (g === undefined) {
        g = groups.length;
        groupByPath.set(path, g);
        groups.push({ id, points: [] });
      }
      info.dayStart = start;
      info.dayEnd = end;
      info.group = g;
    }
    (groups[info.group] as Group).points.push(i);
  });
  const seqOfRecord = batch.map((d) => d.record.sequence);
  const added: { partition: PartitionId; file: FileEntry }[] = [];
  for (const g of groups) {
    const input = groupKeys(collected, g.points, seriesOfPoint, series, seqOfRecord, m.fields);
    const table = sortDedup(input, pointSource(collected.points, g.points, input.fields));
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

/** The sort keys of one partition's points, over the union of their tag keys and fields. */
function groupKeys(
  collected: Collected,
  indices: readonly number[],
  seriesOfPoint: Int32Array,
  series: readonly SeriesInfo[],
  seqOfRecord: readonly bigint[],
  types: ReadonlyMap<string, FieldType>,
): SortKeys {
  const n = indices.length;
  // Local series ids and the union of tag keys.
  const local = new Int32Array(series.length).fill(-1);
  const members: SeriesInfo[] = [];
  const seriesOf = new Int32Array(n);
  const timeNs = new BigInt64Array(n);
  const seq = new BigInt64Array(n);
  const tagSet = new Set<string>();
  const fieldSet = new Set<string>();
  let lastFieldKeys: readonly string[] | undefined;
  for (let i = 0; i < n; i++) {
    const pi = indices[i] as number;
    const s = seriesOfPoint[pi] as number;
    let l = local[s] as number;
    if (l < 0) {
      l = members.length;
      local[s] = l;
      const info = series[s] as SeriesInfo;
      members.push(info);
      for (const k of info.tagKeys) tagSet.add(k);
    }
    seriesOf[i] = l;
    const p = collected.points[pi] as Point;
    timeNs[i] = p.time;
    seq[i] = seqOfRecord[collected.records[pi] as number] as bigint;
    if (p.fieldKeys !== lastFieldKeys) {
      lastFieldKeys = p.fieldKeys;
      for (const k of p.fieldKeys) fieldSet.add(k);
    }
  }
  const tagKeys = [...tagSet].sort(compareUtf8);
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
    type: types.get(name) as FieldType,
  }));
  return { tagKeys, fields, series: seriesTags, length: n, seriesOf, timeNs, seq };
}

/**
 * Field values read straight from the parsed points (input row r is points[indices[r]]): the sorted output
 * columns are the only copy made. Slots (field position per key of a point) are cached per key array, which
 * the parser shares between points.
 */
function pointSource(
  points: readonly Point[],
  indices: readonly number[],
  fields: readonly FieldDef[],
): FieldSource {
  const fieldIndex = new Map(fields.map((f, i) => [f.name, i]));
  let slotsFor: readonly string[] | undefined;
  let slots = new Int32Array(0);
  const slotsOf = (p: Point): Int32Array => {
    if (p.fieldKeys !== slotsFor) {
      slotsFor = p.fieldKeys;
      slots = Int32Array.from(p.fieldKeys, (k) => fieldIndex.get(k) as number);
    }
    return slots;
  };
  const point = (r: number) => points[indices[r] as number] as Point;
  const store = (column: FieldValues, i: number, v: FieldValue) => {
    if (typeof v === "boolean") (column as Uint8Array)[i] = v ? 1 : 0;
    else (column as unknown as FieldValue[])[i] = v;
  };
  return {
    has: (f, r) => slotsOf(point(r)).includes(f),
    copy(f, r, out, i) {
      const p = point(r);
      store(out.values, i, p.fieldValues[slotsOf(p).indexOf(f)] as FieldValue);
    },
    gather(src, out) {
      // One array per kind so that every store below sees a single array type (a mixed site is far slower).
      const floats = out.map((c) => (c.values instanceof Float64Array ? c.values : undefined));
      const ints = out.map((c) => (c.values instanceof BigInt64Array ? c.values : undefined));
      const valid = out.map((c) => c.valid as Uint8Array);
      for (let i = 0; i < src.length; i++) {
        const p = point(src[i] as number);
        const slots = slotsOf(p);
        const fv = p.fieldValues;
        for (let k = 0; k < slots.length; k++) {
          const f = slots[k] as number;
          (valid[f] as Uint8Array)[i] = 1;
          const float = floats[f];
          if (float !== undefined) {
            float[i] = fv[k] as number;
            continue;
          }
          const int = ints[f];
          if (int !== undefined) {
            int[i] = fv[k] as bigint;
            continue;
          }
          store((out[f] as FieldColumn).values, i, fv[k] as FieldValue);
        }
      }
    },
  };
}
