// Field-type conflict detection for the write path: the catalog's types, plus types this process has
// accepted, plus types seen earlier in the same request. First type seen wins, as in InfluxDB.
import type { FieldTypeMap } from "../catalog/port.ts";
import type { FieldType, Point } from "../lineprotocol/types.ts";
import { RESERVED_COLUMNS } from "../parquet/table.ts";

export interface FieldConflict {
  readonly measurement: string;
  readonly field: string;
  readonly got: FieldType;
  readonly existing: FieldType;
}

export function conflictMessage(c: FieldConflict): string {
  return `field type conflict: input field "${c.field}" on measurement "${c.measurement}" is type ${c.got}, already exists as type ${c.existing}`;
}

type Types = Map<string, Map<string, FieldType>>;

/**
 * Remembers field types accepted by this process, per database. Types are reserved before the WAL append
 * (so two concurrent requests cannot both bind a new field to different types) and released if the append
 * fails, so a failed write cannot poison the cache. Bounded: past `maxFields` entries the
 * cache is dropped (the catalog stays authoritative; this only catches conflicts sooner).
 */
export class FieldTypeMemory {
  private readonly byDatabase = new Map<string, Types>();
  private size = 0;
  private generation = 0;

  constructor(private readonly maxFields = 200_000) {}

  get(database: string, measurement: string, field: string): FieldType | undefined {
    return this.byDatabase.get(database)?.get(measurement)?.get(field);
  }

  /**
   * Binds the points' new field types at once (before the WAL append, so a concurrent request sees them)
   * and returns a function that unbinds exactly those, for when the append fails.
   */
  reserve(database: string, points: readonly Point[]): () => void {
    let types = this.byDatabase.get(database);
    if (types === undefined) {
      types = new Map();
      this.byDatabase.set(database, types);
    }
    const added: [Map<string, FieldType>, string][] = [];
    for (const point of points) {
      let fields = types.get(point.measurement);
      if (fields === undefined) {
        fields = new Map();
        types.set(point.measurement, fields);
      }
      for (let i = 0; i < point.fieldKeys.length; i++) {
        const key = point.fieldKeys[i] as string;
        if (!fields.has(key)) {
          fields.set(key, point.fieldTypes[i] as FieldType);
          added.push([fields, key]);
          this.size += 1;
        }
      }
    }
    const generation = this.generation;
    const undo = () => {
      if (generation !== this.generation) return; // the cache was dropped since: nothing to unbind
      for (const [fields, key] of added) if (fields.delete(key)) this.size -= 1;
    };
    if (this.size > this.maxFields) {
      this.byDatabase.clear();
      this.size = 0;
      this.generation += 1;
    }
    return undo;
  }
}

/**
 * Splits points into accepted ones and conflicts. A point with any conflicting field is rejected whole;
 * types of accepted points become binding for later points of the same request.
 */
export function checkFieldTypes(
  database: string,
  points: readonly Point[],
  catalog: FieldTypeMap,
  memory: FieldTypeMemory,
): { accepted: Point[]; rejected: { point: Point; conflict: FieldConflict }[] } {
  const request: Types = new Map();
  const accepted: Point[] = [];
  const rejected: { point: Point; conflict: FieldConflict }[] = [];
  for (const point of points) {
    const seen = request.get(point.measurement);
    const known = catalog.get(point.measurement);
    let conflict: FieldConflict | undefined;
    for (let i = 0; i < point.fieldKeys.length && conflict === undefined; i++) {
      const field = point.fieldKeys[i] as string;
      const got = point.fieldTypes[i] as FieldType;
      const existing =
        known?.get(field) ?? memory.get(database, point.measurement, field) ?? seen?.get(field);
      if (existing !== undefined && existing !== got) {
        conflict = { measurement: point.measurement, field, got, existing };
      }
    }
    if (conflict !== undefined) {
      rejected.push({ point, conflict });
      continue;
    }
    accepted.push(point);
    let fields = seen;
    if (fields === undefined) {
      fields = new Map();
      request.set(point.measurement, fields);
    }
    for (let i = 0; i < point.fieldKeys.length; i++) {
      const field = point.fieldKeys[i] as string;
      if (!fields.has(field)) fields.set(field, point.fieldTypes[i] as FieldType);
    }
  }
  return { accepted, rejected };
}

/**
 * Rejects points the storage could not hold, before they are acknowledged: a tag or field named like a
 * storage column (`time`, `time_ns`, `_seq`), a key that is both a tag and a field of the point, or a tag
 * key already known (catalog, this process, this request) as a field of the measurement, or a field key
 * used as a tag earlier in the request. The compactor applies the same rules; checking here means such a
 * point is answered 400 rather than acknowledged and dropped. (A field named like a tag known only from
 * earlier requests is still caught only by the compactor: the writer's catalog view holds field types.)
 */
export function checkNames(
  database: string,
  points: readonly Point[],
  catalog: FieldTypeMap,
  memory: FieldTypeMemory,
): { accepted: Point[]; rejected: { point: Point; message: string }[] } {
  const requestFields = new Map<string, Set<string>>();
  const requestTags = new Map<string, Set<string>>();
  const accepted: Point[] = [];
  const rejected: { point: Point; message: string }[] = [];
  for (const point of points) {
    const m = point.measurement;
    const reserved =
      point.tagKeys.find((k) => RESERVED_COLUMNS.has(k)) ??
      point.fieldKeys.find((k) => RESERVED_COLUMNS.has(k));
    const both = point.fieldKeys.find((k) => point.tagKeys.includes(k));
    const tagIsField = point.tagKeys.find(
      (k) =>
        catalog.get(m)?.has(k) === true ||
        memory.get(database, m, k) !== undefined ||
        requestFields.get(m)?.has(k) === true,
    );
    const fieldIsTag = point.fieldKeys.find((k) => requestTags.get(m)?.has(k) === true);
    let message: string | undefined;
    if (reserved !== undefined)
      message = `invalid name "${reserved}" on measurement "${m}": time, time_ns and _seq are reserved for storage columns`;
    else if (both !== undefined)
      message = `invalid point on measurement "${m}": "${both}" is both a tag key and a field key`;
    else if (tagIsField !== undefined)
      message = `tag key "${tagIsField}" on measurement "${m}" is already a field key`;
    else if (fieldIsTag !== undefined)
      message = `field key "${fieldIsTag}" on measurement "${m}" is already a tag key`;
    if (message !== undefined) {
      rejected.push({ point, message });
      continue;
    }
    accepted.push(point);
    let fields = requestFields.get(m);
    if (fields === undefined) {
      fields = new Set();
      requestFields.set(m, fields);
    }
    for (const k of point.fieldKeys) fields.add(k);
    let tags = requestTags.get(m);
    if (tags === undefined) {
      tags = new Set();
      requestTags.set(m, tags);
    }
    for (const k of point.tagKeys) tags.add(k);
  }
  return { accepted, rejected };
}
