// Field-type conflict detection for the write path: the catalog's types, plus types this process has
// accepted, plus types seen earlier in the same request. First type seen wins, as in InfluxDB.
import type { FieldTypeMap } from "../catalog/port.ts";
import type { FieldType, Point } from "../lineprotocol/types.ts";

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
 * Remembers field types accepted by this process, per database. Types are committed only after the
 * WAL append succeeded, so a failed write cannot poison the cache. Bounded: past `maxFields` entries the
 * cache is dropped (the catalog stays authoritative; this only catches conflicts sooner).
 */
export class FieldTypeMemory {
  private readonly byDatabase = new Map<string, Types>();
  private size = 0;

  constructor(private readonly maxFields = 200_000) {}

  get(database: string, measurement: string, field: string): FieldType | undefined {
    return this.byDatabase.get(database)?.get(measurement)?.get(field);
  }

  commit(database: string, points: readonly Point[]): void {
    let types = this.byDatabase.get(database);
    if (types === undefined) {
      types = new Map();
      this.byDatabase.set(database, types);
    }
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
          this.size += 1;
        }
      }
    }
    if (this.size > this.maxFields) {
      this.byDatabase.clear();
      this.size = 0;
    }
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
