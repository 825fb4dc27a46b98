// Level-0 compaction: WAL records -> one sorted, deduplicated Parquet file per partition, then the catalog.
// A record succeeds only when every file holding its points and the catalog entries naming them are durable.
import type { ObjectStoreCatalog, SchemaProposal } from "../catalog/catalog.ts";
import type { SchemaDoc } from "../catalog/model.ts";
import type { FileEntry } from "../catalog/port.ts";
import type { IdSource } from "../core/clock.ts";
import { l0FileKey } from "../layout/keys.ts";
import type { PartitionId, PartitionTemplate } from "../layout/partition.ts";
import { partitionOf, partitionPath } from "../layout/partition.ts";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { FieldType, ParseOptions, ParseResult, Point } from "../lineprotocol/types.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { FieldDef, MeasurementTable, Row } from "../parquet/table.ts";
import { RESERVED_COLUMNS } from "../parquet/table.ts";
import { writeMeasurementParquet } from "../parquet/writer.ts";
import type { WalRecord } from "../wal/port.ts";
import { RecordParseError } from "./errors.ts";
import { sortAndDedup } from "./rows.ts";

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

interface PointRef {
  readonly point: Point;
  readonly seq: bigint;
  readonly id: string;
}

/** Compacts a batch of WAL records. Never throws for one record's or one database's failure. */
export async function compactRecords(
  records: readonly { readonly id: string; readonly record: WalRecord }[],
  deps: CompactorDeps,
): Promise<CompactResult> {
  const failed: { id: string; error: Error }[] = [];
  const rejected: PointRejection[] = [];
  const files: FileEntry[] = [];
  const byDb = new Map<string, Map<string, PointRef[]>>();
  const idsByDb = new Map<string, Set<string>>();
  const failedIds = new Set<string>();
  let points = 0;

  // Sequence order, so that "first seen" field types follow write order.
  const ordered = [...records].sort((a, b) =>
    a.record.sequence < b.record.sequence ? -1 : a.record.sequence > b.record.sequence ? 1 : 0,
  );
  for (const { id, record } of ordered) {
    let parsed: ParseResult;
    try {
      parsed = deps.parse(record.body, { precision: record.precision, defaultTime: record.receivedAtNs });
    } catch (cause) {
      failed.push({ id, error: new RecordParseError(id, cause) });
      failedIds.add(id);
      continue;
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
    for (const point of parsed.points) {
      let list = measurements.get(point.measurement);
      if (!list) {
        list = [];
        measurements.set(point.measurement, list);
      }
      list.push({ point, seq: record.sequence, id });
      points++;
    }
  }

  for (const [database, measurements] of byDb) {
    try {
      files.push(...(await compactDatabase(database, measurements, deps, rejected)));
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

function reject(rejected: PointRejection[], database: string, ref: PointRef, message: string): void {
  rejected.push({ id: ref.id, database, measurement: ref.point.measurement, line: ref.point.line, message });
}

async function compactDatabase(
  database: string,
  measurements: Map<string, PointRef[]>,
  deps: CompactorDeps,
  rejected: PointRejection[],
): Promise<FileEntry[]> {
  // 1. Names that cannot become columns are rejected before anything is proposed to the schema.
  const proposals = new Map<string, SchemaProposal>();
  for (const [measurement, refs] of measurements) {
    const tagKeys = new Set<string>();
    const fields = new Map<string, FieldType>();
    const kept: PointRef[] = [];
    for (const ref of refs) {
      const p = ref.point;
      const bad =
        p.tagKeys.find((k) => RESERVED_COLUMNS.has(k)) ??
        p.fieldKeys.find((k) => RESERVED_COLUMNS.has(k) || p.tagKeys.includes(k));
      if (bad !== undefined) {
        reject(
          rejected,
          database,
          ref,
          `"${bad}" cannot be used as a tag or field key here (reserved or both)`,
        );
        continue;
      }
      kept.push(ref);
      for (const k of p.tagKeys) tagKeys.add(k);
      p.fieldKeys.forEach((k, i) => {
        if (!fields.has(k)) fields.set(k, p.fieldTypes[i] as FieldType);
      });
    }
    measurements.set(measurement, kept);
    proposals.set(measurement, { tagKeys, fields });
  }
  // 2. Fix field types (first writer wins across compactors, by the catalog's optimistic concurrency).
  const schema = await deps.catalog.ensureSchema(database, proposals, (m) =>
    deps.templateFor ? deps.templateFor(database, m) : { parts: [] },
  );
  const out: FileEntry[] = [];
  for (const [measurement, refs] of measurements) {
    const accepted = filterBySchema(database, measurement, refs, schema, rejected);
    if (accepted.length === 0) continue;
    out.push(...(await compactMeasurement(database, measurement, accepted, schema, deps)));
  }
  return out;
}

function filterBySchema(
  database: string,
  measurement: string,
  refs: readonly PointRef[],
  schema: SchemaDoc,
  rejected: PointRejection[],
): PointRef[] {
  const m = schema.measurements.get(measurement);
  if (!m) return [];
  const tagSet = new Set(m.tagKeys);
  return refs.filter((ref) => {
    const p = ref.point;
    for (let i = 0; i < p.fieldKeys.length; i++) {
      const k = p.fieldKeys[i] as string;
      const fixed = m.fields.get(k);
      if (fixed === undefined) {
        reject(rejected, database, ref, `field "${k}" is already a tag key of measurement "${measurement}"`);
        return false;
      }
      if (fixed !== p.fieldTypes[i]) {
        reject(rejected, database, ref, `field type conflict: "${k}" is ${fixed}, got ${p.fieldTypes[i]}`);
        return false;
      }
    }
    const tag = p.tagKeys.find((k) => !tagSet.has(k));
    if (tag !== undefined) {
      reject(rejected, database, ref, `tag "${tag}" is already a field key of measurement "${measurement}"`);
      return false;
    }
    return true;
  });
}

async function compactMeasurement(
  database: string,
  measurement: string,
  refs: readonly PointRef[],
  schema: SchemaDoc,
  deps: CompactorDeps,
): Promise<FileEntry[]> {
  const m = schema.measurements.get(measurement);
  if (!m) return [];
  const groups = new Map<string, { id: PartitionId; refs: PointRef[] }>();
  for (const ref of refs) {
    const p = ref.point;
    const id = partitionOf(m.template, p.time, (tag) => {
      const i = p.tagKeys.indexOf(tag);
      return i < 0 ? null : (p.tagValues[i] as string);
    });
    const path = partitionPath(id);
    let g = groups.get(path);
    if (!g) {
      g = { id, refs: [] };
      groups.set(path, g);
    }
    g.refs.push(ref);
  }
  const added: { partition: PartitionId; file: FileEntry }[] = [];
  for (const g of groups.values()) {
    const table = toTable(g.refs, m.fields);
    const written = writeMeasurementParquet(table, { level: 0, rowGroupRows: deps.rowGroupRows });
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
        tagValues: summariseTags(table, deps.tagValueSummaryCap ?? 64),
      },
    });
  }
  await deps.catalog.commitFiles(database, measurement, { add: added, remove: [] });
  return added.map((a) => a.file);
}

/** Rows of one partition, with the union of the points' tag keys and fields, sorted and deduplicated. */
function toTable(refs: readonly PointRef[], types: ReadonlyMap<string, FieldType>): MeasurementTable {
  const tagSet = new Set<string>();
  const fieldSet = new Set<string>();
  for (const { point } of refs) {
    for (const k of point.tagKeys) tagSet.add(k);
    for (const k of point.fieldKeys) fieldSet.add(k);
  }
  const tagKeys = [...tagSet].sort(compareUtf8);
  const fields: FieldDef[] = [...fieldSet].sort(compareUtf8).map((name) => ({
    name,
    type: types.get(name) as FieldType,
  }));
  const tagIndex = new Map(tagKeys.map((k, i) => [k, i]));
  const fieldIndex = new Map(fields.map((f, i) => [f.name, i]));
  const rows: Row[] = refs.map(({ point, seq }) => {
    const tags = new Array<string | null>(tagKeys.length).fill(null);
    point.tagKeys.forEach((k, i) => {
      tags[tagIndex.get(k) as number] = point.tagValues[i] as string;
    });
    const values = new Array<Row["values"][number]>(fields.length).fill(null);
    point.fieldKeys.forEach((k, i) => {
      values[fieldIndex.get(k) as number] = point.fieldValues[i] ?? null;
    });
    return { tags, timeNs: point.time, seq, values };
  });
  return { tagKeys, fields, rows: sortAndDedup(rows) };
}

/** Distinct tag values per key, sorted; keys with more than `cap` values are left out (= any value). */
export function summariseTags(table: MeasurementTable, cap: number): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  table.tagKeys.forEach((key, t) => {
    const values = new Set<string>();
    for (const r of table.rows) {
      const v = r.tags[t];
      if (v === null || v === undefined) continue;
      values.add(v);
      if (values.size > cap) return;
    }
    out.set(key, [...values].sort(compareUtf8));
  });
  return out;
}
