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
    let lastMeasurement: string | undefined;
    let lastKeys: readonly string[] | undefined;
    for (const point of points) {
      // Consecutive lines of one layout share their key array: its keys are bound already.
      if (point.fieldKeys === lastKeys && point.measurement === lastMeasurement) continue;
      lastMeasurement = point.measurement;
      lastKeys = point.fieldKeys;
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
 * The field types binding on one request, per measurement: the catalog's, else this process's, else the
 * first accepted in the request. Each (measurement, field) is looked up in the catalog and the memory once
 * per request and then served from here (`null`: not bound yet).
 */
class RequestBindings {
  private readonly byMeasurement = new Map<string, Map<string, FieldType | null>>();

  constructor(
    private readonly database: string,
    private readonly catalog: FieldTypeMap,
    private readonly memory: FieldTypeMemory,
  ) {}

  fieldsOf(measurement: string): Map<string, FieldType | null> {
    let fields = this.byMeasurement.get(measurement);
    if (fields === undefined) {
      fields = new Map();
      this.byMeasurement.set(measurement, fields);
    }
    return fields;
  }

  /** `fields` is `fieldsOf(measurement)`, passed in so a point's fields cost one lookup of it. */
  typeOf(fields: Map<string, FieldType | null>, measurement: string, field: string): FieldType | null {
    let type = fields.get(field);
    if (type === undefined) {
      type =
        this.catalog.get(measurement)?.get(field) ??
        this.memory.get(this.database, measurement, field) ??
        null;
      fields.set(field, type);
    }
    return type;
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
  const bindings = new RequestBindings(database, catalog, memory);
  const accepted: Point[] = [];
  const rejected: { point: Point; conflict: FieldConflict }[] = [];
  // The parser shares key and type arrays between consecutive lines of one layout. A point with the same
  // measurement and arrays as the last accepted one is accepted too: its fields are all bound to its types
  // now, and a binding never changes within the request.
  let lastMeasurement: string | undefined;
  let lastKeys: readonly string[] | undefined;
  let lastTypes: readonly FieldType[] | undefined;
  for (const point of points) {
    if (
      point.fieldKeys === lastKeys &&
      point.fieldTypes === lastTypes &&
      point.measurement === lastMeasurement
    ) {
      accepted.push(point);
      continue;
    }
    const fields = bindings.fieldsOf(point.measurement);
    let conflict: FieldConflict | undefined;
    for (let i = 0; i < point.fieldKeys.length; i++) {
      const field = point.fieldKeys[i] as string;
      const got = point.fieldTypes[i] as FieldType;
      const existing = bindings.typeOf(fields, point.measurement, field);
      if (existing !== null && existing !== got) {
        conflict = { measurement: point.measurement, field, got, existing };
        break;
      }
    }
    if (conflict !== undefined) {
      rejected.push({ point, conflict });
      continue;
    }
    accepted.push(point);
    for (let i = 0; i < point.fieldKeys.length; i++) {
      const field = point.fieldKeys[i] as string;
      if (fields.get(field) === null) fields.set(field, point.fieldTypes[i] as FieldType);
    }
    lastMeasurement = point.measurement;
    lastKeys = point.fieldKeys;
    lastTypes = point.fieldTypes;
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
  const bindings = new RequestBindings(database, catalog, memory);
  const requestFields = new Map<string, Set<string>>();
  const requestTags = new Map<string, Set<string>>();
  const accepted: Point[] = [];
  const rejected: { point: Point; message: string }[] = [];
  // A point with the measurement and key arrays of the last accepted one passes too: the request's sets
  // grew only by that point's own keys since, and none of those can clash with its other keys.
  let lastMeasurement: string | undefined;
  let lastTagKeys: readonly string[] | undefined;
  let lastFieldKeys: readonly string[] | undefined;
  for (const point of points) {
    const m = point.measurement;
    if (point.tagKeys === lastTagKeys && point.fieldKeys === lastFieldKeys && m === lastMeasurement) {
      accepted.push(point);
      continue;
    }
    const message = nameProblem(point, bindings, requestFields.get(m), requestTags.get(m));
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
    lastMeasurement = m;
    lastTagKeys = point.tagKeys;
    lastFieldKeys = point.fieldKeys;
  }
  return { accepted, rejected };
}

function nameProblem(
  point: Point,
  bindings: RequestBindings,
  requestFields: ReadonlySet<string> | undefined,
  requestTags: ReadonlySet<string> | undefined,
): string | undefined {
  const m = point.measurement;
  const reserved =
    point.tagKeys.find((k) => RESERVED_COLUMNS.has(k)) ??
    point.fieldKeys.find((k) => RESERVED_COLUMNS.has(k));
  if (reserved !== undefined)
    return `invalid name "${reserved}" on measurement "${m}": time, time_ns and _seq are reserved for storage columns`;
  const both = point.fieldKeys.find((k) => point.tagKeys.includes(k));
  if (both !== undefined)
    return `invalid point on measurement "${m}": "${both}" is both a tag key and a field key`;
  const known = bindings.fieldsOf(m);
  const tagIsField = point.tagKeys.find(
    (k) => requestFields?.has(k) === true || bindings.typeOf(known, m, k) !== null,
  );
  if (tagIsField !== undefined) return `tag key "${tagIsField}" on measurement "${m}" is already a field key`;
  const fieldIsTag = point.fieldKeys.find((k) => requestTags?.has(k) === true);
  if (fieldIsTag !== undefined) return `field key "${fieldIsTag}" on measurement "${m}" is already a tag key`;
  return undefined;
}
