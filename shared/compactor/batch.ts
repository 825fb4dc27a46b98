// One measurement's points from a batch of WAL records, copied into growable columns as soon as each record is
// parsed: the parser's Point objects then die young instead of living (and being promoted) for the whole batch.
import type { FieldType, Point } from "../lineprotocol/types.ts";
import type { FieldColumn, FieldValues } from "../parquet/columnar.ts";
import { allocFieldValues } from "../parquet/columnar.ts";

/** A distinct (tag keys, field keys, field types) of the batch: verdicts on names are made once per layout. */
export interface Layout {
  readonly tagKeys: readonly string[];
  readonly fieldKeys: readonly string[];
  readonly fieldTypes: readonly FieldType[];
  /** The batch column of each field position. */
  readonly slots: Int32Array;
}

export interface BatchSeries {
  readonly tagKeys: readonly string[];
  readonly tagValues: readonly string[];
}

/** A field's values under one type (a name written with two types gets two columns; one is rejected later). */
export interface BatchColumn extends FieldColumn {
  readonly name: string;
  readonly type: FieldType;
  readonly valid: Uint8Array;
}

/** Rows reserved beyond a parse's own points on a guess that later records bring as many. */
const MAX_SPARE_ROWS = 262_144;

const KIND: Record<FieldType, number> = { float: 0, integer: 1, unsigned: 2, boolean: 3, string: 4 };

export class MeasurementBatch {
  length = 0;
  /** Per row: series id, event time, index of its record in the batch, line number and layout. */
  seriesOf = new Int32Array(0);
  timeNs = new BigInt64Array(0);
  recordOf = new Int32Array(0);
  lineOf = new Int32Array(0);
  layoutOf = new Int32Array(0);
  readonly series: BatchSeries[] = [];
  readonly layouts: Layout[] = [];
  columns: BatchColumn[] = [];
  private kinds: number[] = [];
  private readonly columnIndex = new Map<string, number>();
  /** The parser shares tag-value arrays between points of one series: look them up by identity first. */
  private readonly seriesByArray = new Map<readonly string[], number>();
  private readonly seriesByKey = new Map<string, number>();
  private readonly layoutByKey = new Map<string, number>();
  private lastTags: readonly string[] | undefined;
  private lastFields: readonly string[] | undefined;
  private lastTypes: readonly FieldType[] | undefined;
  private lastLayout = -1;
  private capacity = 0;

  /**
   * Starts taking points of a new parse of up to `points` points, `records` parses (this one included)
   * being left in the batch. Identities of an earlier parse's arrays mean nothing now (content keys still
   * find its series).
   */
  beginParse(points: number, records = 1): void {
    // Records of a batch tend to be alike: room for all of them at once saves re-copying every column as
    // the batch grows, within a bound, since a measurement may be in only the first record.
    this.reserve(this.length + points, this.length + Math.min(points * records, points + MAX_SPARE_ROWS));
    this.seriesByArray.clear();
    this.lastTags = undefined;
  }

  /** Appends one point of the current parse, from the batch's record `record`. */
  add(p: Point, record: number): void {
    const cols = this.columns;
    const kinds = this.kinds;
    const i = this.length++;
    if (p.tagKeys !== this.lastTags || p.fieldKeys !== this.lastFields || p.fieldTypes !== this.lastTypes) {
      this.lastTags = p.tagKeys;
      this.lastFields = p.fieldKeys;
      this.lastTypes = p.fieldTypes;
      this.lastLayout = this.layoutFor(p);
    }
    let s = this.seriesByArray.get(p.tagValues);
    if (s === undefined) {
      const key = JSON.stringify([p.tagKeys, p.tagValues]);
      s = this.seriesByKey.get(key);
      if (s === undefined) {
        s = this.series.length;
        this.seriesByKey.set(key, s);
        this.series.push({ tagKeys: p.tagKeys, tagValues: p.tagValues });
      }
      this.seriesByArray.set(p.tagValues, s);
    }
    this.seriesOf[i] = s;
    this.timeNs[i] = p.time;
    this.recordOf[i] = record;
    this.lineOf[i] = p.line;
    this.layoutOf[i] = this.lastLayout;
    const slots = (this.layouts[this.lastLayout] as Layout).slots;
    const fv = p.fieldValues;
    for (let f = 0; f < slots.length; f++) {
      const c = slots[f] as number;
      const col = cols[c] as BatchColumn;
      col.valid[i] = 1;
      switch (kinds[c]) {
        case 0:
          (col.values as Float64Array)[i] = fv[f] as number;
          break;
        case 1:
          (col.values as BigInt64Array)[i] = fv[f] as bigint;
          break;
        case 2:
          (col.values as BigUint64Array)[i] = fv[f] as bigint;
          break;
        case 3:
          (col.values as Uint8Array)[i] = fv[f] === true ? 1 : 0;
          break;
        default:
          (col.values as (string | null)[])[i] = fv[f] as string;
      }
    }
  }

  private layoutFor(p: Point): number {
    const key = JSON.stringify([p.tagKeys, p.fieldKeys, p.fieldTypes]);
    let id = this.layoutByKey.get(key);
    if (id !== undefined) return id;
    id = this.layouts.length;
    this.layoutByKey.set(key, id);
    const slots = Int32Array.from(p.fieldKeys, (name, f) =>
      this.columnFor(name, p.fieldTypes[f] as FieldType),
    );
    this.layouts.push({ tagKeys: p.tagKeys, fieldKeys: p.fieldKeys, fieldTypes: p.fieldTypes, slots });
    return id;
  }

  private columnFor(name: string, type: FieldType): number {
    const key = `${type}:${name}`;
    let c = this.columnIndex.get(key);
    if (c === undefined) {
      c = this.columns.length;
      this.columnIndex.set(key, c);
      this.columns.push({
        name,
        type,
        values: allocFieldValues(type, this.capacity),
        valid: new Uint8Array(this.capacity),
      });
      this.kinds.push(KIND[type]);
    }
    return c;
  }

  /** The batch column holding field `name` as `type`, if any row wrote it so. */
  column(name: string, type: FieldType): number | undefined {
    return this.columnIndex.get(`${type}:${name}`);
  }

  private reserve(n: number, wanted = n): void {
    if (n <= this.capacity) return;
    const cap = Math.max(wanted, this.capacity * 2, 1024);
    const grow = <T extends Int32Array | BigInt64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.seriesOf = grow(this.seriesOf, (k) => new Int32Array(k));
    this.timeNs = grow(this.timeNs, (k) => new BigInt64Array(k));
    this.recordOf = grow(this.recordOf, (k) => new Int32Array(k));
    this.lineOf = grow(this.lineOf, (k) => new Int32Array(k));
    this.layoutOf = grow(this.layoutOf, (k) => new Int32Array(k));
    this.columns = this.columns.map((c) => {
      let values: FieldValues;
      if (Array.isArray(c.values)) {
        values = c.values;
        for (let i = c.values.length; i < cap; i++) values.push(null);
      } else {
        values = allocFieldValues(c.type, cap);
        (values as Uint8Array).set(c.values as never);
      }
      const valid = new Uint8Array(cap);
      valid.set(c.valid);
      return { ...c, values, valid };
    });
    this.capacity = cap;
  }
}
