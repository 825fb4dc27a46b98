// Streaming aggregators: one small state per (series group, window, call). count/sum/mean/min/max/
// first/last/spread/stddev hold O(1); median/percentile/mode/distinct keep the window's values.
// The common ones also take float columns of a batch directly, with the same result as row by row.
import type { Expr } from "../influxql/ast.ts";
import { type ColumnBatch, type FieldColumn, fieldValue } from "./columns.ts";
import type { Row, Value } from "./condition.ts";
import { QueryError } from "./errors.ts";

export interface AggResult {
  readonly value: Value;
  /** The chosen point's time, for selectors. */
  readonly time?: bigint;
  /** The chosen point's row, for selectors queried with other fields (`SELECT max(v), host`). */
  readonly aux?: Row;
}

export interface Accumulator {
  /** `row` is passed only when the query reads auxiliary fields from the selected point. */
  add(v: Value, t: bigint, row?: Row): void;
  /** Float values of `rows[from..to)` of a batch, in file order: the same as add() for each. */
  addFloats?(
    data: Float64Array,
    valid: Uint8Array | undefined,
    batch: ColumnBatch,
    rows: Int32Array,
    from: number,
    to: number,
  ): void;
  result(): AggResult;
}

/** Feeds rows `rows[from..to)` of a batch column to an accumulator (nulls are skipped, as add() does). */
export function addColumn(
  acc: Accumulator,
  col: FieldColumn,
  batch: ColumnBatch,
  rows: Int32Array,
  from: number,
  to: number,
): void {
  if (col.kind === "null") return;
  if (col.kind === "float" && acc.addFloats) {
    acc.addFloats(col.data, col.valid, batch, rows, from, to);
    return;
  }
  const time = batch.time;
  for (let k = from; k < to; k++) {
    const r = rows[k] as number;
    const v = fieldValue(col, r);
    if (v !== null) acc.add(v, time[r] as bigint);
  }
}

export const SELECTORS = new Set(["first", "last", "min", "max", "percentile"]);
export const AGGREGATES = new Set([
  "count",
  "sum",
  "mean",
  "median",
  "mode",
  "spread",
  "stddev",
  "min",
  "max",
  "first",
  "last",
  "percentile",
  "distinct",
]);

const isNum = (v: Value): v is number | bigint => typeof v === "number" || typeof v === "bigint";

/** A validated aggregate call: function, the field it reads, and its constant parameter. */
export interface CallSpec {
  readonly name: string;
  readonly field: string;
  /** count(distinct(f)) */
  readonly distinct: boolean;
  readonly percentile?: number;
}

export function callSpec(call: Expr & { kind: "Call" }): CallSpec {
  const { name, args } = call;
  if (!AGGREGATES.has(name)) throw new QueryError(`undefined function ${name}()`);
  const arg = args[0];
  if (name === "percentile") {
    const n = args[1];
    if (args.length !== 2 || !n || (n.kind !== "Number" && n.kind !== "Integer"))
      throw new QueryError(`invalid number of arguments for percentile, expected 2, got ${args.length}`);
    if (arg?.kind !== "VarRef") throw new QueryError("expected field argument in percentile()");
    return { name, field: arg.name, distinct: false, percentile: Number(n.value) };
  }
  if (args.length !== 1 || !arg)
    throw new QueryError(`invalid number of arguments for ${name}, expected 1, got ${args.length}`);
  if (name === "count" && arg.kind === "Call" && arg.name === "distinct") {
    const inner = arg.args[0];
    if (arg.args.length !== 1 || inner?.kind !== "VarRef")
      throw new QueryError("expected field argument in distinct()");
    return { name, field: inner.name, distinct: true };
  }
  if (arg.kind === "Wildcard") throw new QueryError(`${name}(*) is not supported yet`);
  if (arg.kind !== "VarRef") throw new QueryError(`expected field argument in ${name}()`);
  return { name, field: arg.name, distinct: false };
}

/** Total order for min/max/median over mixed int/float (ints compared exactly among themselves). */
const lt = (a: number | bigint, b: number | bigint): boolean =>
  typeof a === "bigint" && typeof b === "bigint" ? a < b : Number(a) < Number(b);

function compareValues(a: Value, b: Value): number {
  if (isNum(a) && isNum(b)) return lt(a, b) ? -1 : lt(b, a) ? 1 : 0;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortValues(values: Value[]): Value[] {
  return values.sort(compareValues);
}

export function createAccumulator(spec: CallSpec): Accumulator {
  switch (spec.name) {
    case "count": {
      if (spec.distinct) {
        const seen = new Set<string>();
        return {
          add: (v) => {
            if (v !== null) seen.add(`${typeof v}:${String(v)}`);
          },
          result: () => ({ value: BigInt(seen.size) }),
        };
      }
      let n = 0n;
      return {
        add: (v) => {
          if (v !== null) n++;
        },
        addFloats: (_data, valid, _batch, rows, from, to) => {
          let c = to - from;
          if (valid) for (let k = from; k < to; k++) if (!valid[rows[k] as number]) c--;
          n += BigInt(c);
        },
        result: () => ({ value: n }),
      };
    }
    case "sum": {
      let intSum = 0n;
      let floatSum = 0;
      let anyFloat = false;
      let any = false;
      return {
        add: (v) => {
          if (typeof v === "bigint") intSum += v;
          else if (typeof v === "number") {
            floatSum += v;
            anyFloat = true;
          } else return;
          any = true;
        },
        addFloats: (data, valid, _batch, rows, from, to) => {
          for (let k = from; k < to; k++) {
            const r = rows[k] as number;
            if (valid && !valid[r]) continue;
            floatSum += data[r] as number;
            anyFloat = true;
            any = true;
          }
        },
        result: () => ({ value: !any ? null : anyFloat ? floatSum + Number(intSum) : intSum }),
      };
    }
    case "mean": {
      let sum = 0;
      let n = 0;
      return {
        add: (v) => {
          if (isNum(v)) {
            sum += Number(v);
            n++;
          }
        },
        addFloats: (data, valid, _batch, rows, from, to) => {
          for (let k = from; k < to; k++) {
            const r = rows[k] as number;
            if (valid && !valid[r]) continue;
            sum += data[r] as number;
            n++;
          }
        },
        result: () => ({ value: n === 0 ? null : sum / n }),
      };
    }
    case "stddev": {
      // Welford's online algorithm; sample standard deviation as InfluxDB reports it.
      let n = 0;
      let mean = 0;
      let m2 = 0;
      return {
        add: (v) => {
          if (!isNum(v)) return;
          const x = Number(v);
          n++;
          const d = x - mean;
          mean += d / n;
          m2 += d * (x - mean);
        },
        addFloats: (data, valid, _batch, rows, from, to) => {
          for (let k = from; k < to; k++) {
            const r = rows[k] as number;
            if (valid && !valid[r]) continue;
            const x = data[r] as number;
            n++;
            const d = x - mean;
            mean += d / n;
            m2 += d * (x - mean);
          }
        },
        result: () => ({ value: n < 2 ? null : Math.sqrt(m2 / (n - 1)) }),
      };
    }
    case "spread": {
      let min: number | bigint | undefined;
      let max: number | bigint | undefined;
      return {
        add: (v) => {
          if (!isNum(v)) return;
          if (min === undefined || lt(v, min)) min = v;
          if (max === undefined || lt(max, v)) max = v;
        },
        addFloats: (data, valid, _batch, rows, from, to) => {
          for (let k = from; k < to; k++) {
            const r = rows[k] as number;
            if (valid && !valid[r]) continue;
            const v = data[r] as number;
            if (min === undefined || lt(v, min)) min = v;
            if (max === undefined || lt(max, v)) max = v;
          }
        },
        result: () => {
          if (min === undefined || max === undefined) return { value: null };
          if (typeof min === "bigint" && typeof max === "bigint") return { value: max - min };
          return { value: Number(max) - Number(min) };
        },
      };
    }
    case "min":
    case "max": {
      const wantMax = spec.name === "max";
      let best: number | bigint | undefined;
      let bestT = 0n;
      let bestRow: Row | undefined;
      let bool = false;
      const add = (raw: Value, t: bigint, row: Row | undefined): void => {
        // Booleans order false < true; they are compared as 0 and 1 and reported back as booleans.
        if (typeof raw === "boolean") bool = true;
        const v = typeof raw === "boolean" ? (raw ? 1 : 0) : raw;
        if (!isNum(v)) return;
        // Ties keep the earliest point, as InfluxDB does.
        if (
          best === undefined ||
          (wantMax ? lt(best, v) : lt(v, best)) ||
          (!lt(v, best) && !lt(best, v) && t < bestT)
        ) {
          best = v;
          bestT = t;
          bestRow = row;
        }
      };
      return {
        add,
        addFloats: (data, valid, batch, rows, from, to) => {
          // The segment's best (earliest among equal values, by exact offset), then one add().
          const off = batch.off;
          let bi = -1;
          let bv = 0;
          for (let k = from; k < to; k++) {
            const r = rows[k] as number;
            if (valid && !valid[r]) continue;
            const v = data[r] as number;
            if (
              bi < 0 ||
              (wantMax ? bv < v : v < bv) ||
              (!(v < bv) && !(bv < v) && (off[r] as number) < (off[bi] as number))
            ) {
              bi = r;
              bv = v;
            }
          }
          if (bi >= 0) add(bv, batch.time[bi] as bigint, undefined);
        },
        result: () =>
          best === undefined
            ? { value: null }
            : { value: bool ? best === 1 : best, time: bestT, ...(bestRow ? { aux: bestRow } : {}) },
      };
    }
    case "first":
    case "last": {
      const wantLast = spec.name === "last";
      let val: Value = null;
      let tt: bigint | undefined;
      let at: Row | undefined;
      const add = (v: Value, t: bigint, row: Row | undefined): void => {
        if (v === null) return;
        if (tt === undefined || (wantLast ? t > tt : t < tt)) {
          val = v;
          tt = t;
          at = row;
        }
      };
      return {
        add,
        addFloats: (data, valid, batch, rows, from, to) => {
          // The segment's earliest (latest) valid row, the first one seen among equal times, then one add().
          const off = batch.off;
          let bi = -1;
          for (let k = from; k < to; k++) {
            const r = rows[k] as number;
            if (valid && !valid[r]) continue;
            if (
              bi < 0 ||
              (wantLast ? (off[r] as number) > (off[bi] as number) : (off[r] as number) < (off[bi] as number))
            )
              bi = r;
          }
          if (bi >= 0) add(data[bi] as number, batch.time[bi] as bigint, undefined);
        },
        result: () =>
          tt === undefined ? { value: null } : { value: val, time: tt, ...(at ? { aux: at } : {}) },
      };
    }
    default:
      return collecting(spec);
  }
}

function collecting(spec: CallSpec): Accumulator {
  const values: Value[] = [];
  const times: bigint[] = [];
  const rows: (Row | undefined)[] = [];
  const numericOnly = spec.name === "median" || spec.name === "percentile";
  return {
    add: (v, t, row) => {
      if (v === null || (numericOnly && !isNum(v))) return;
      values.push(v);
      times.push(t);
      if (row) rows.push(row);
    },
    result: (): AggResult => {
      if (values.length === 0) return { value: null };
      switch (spec.name) {
        case "median": {
          const s = sortValues([...values]);
          const mid = Math.floor(s.length / 2);
          if (s.length % 2 === 1) return { value: Number(s[mid]) };
          return { value: (Number(s[mid - 1]) + Number(s[mid])) / 2 };
        }
        case "percentile": {
          const idx = values
            .map((_, i) => i)
            .sort((a, b) => {
              const x = values[a] as number | bigint;
              const y = values[b] as number | bigint;
              return lt(x, y) ? -1 : lt(y, x) ? 1 : (times[a] as bigint) < (times[b] as bigint) ? -1 : 1;
            });
          const i = Math.floor((idx.length * (spec.percentile ?? 0)) / 100 + 0.5) - 1;
          if (i < 0 || i >= idx.length) return { value: null };
          const at = idx[i] as number;
          const aux = rows[at];
          return { value: values[at] ?? null, time: times[at] as bigint, ...(aux ? { aux } : {}) };
        }
        case "mode": {
          const counts = new Map<string, { v: Value; n: number }>();
          for (const v of values) {
            const k = `${typeof v}:${String(v)}`;
            const c = counts.get(k);
            if (c) c.n++;
            else counts.set(k, { v, n: 1 });
          }
          let best: { v: Value; n: number } | undefined;
          for (const c of counts.values()) {
            if (!best || c.n > best.n || (c.n === best.n && sortValues([c.v, best.v])[0] === c.v)) best = c;
          }
          return { value: best?.v ?? null };
        }
        default:
          throw new QueryError(`${spec.name}() cannot be combined here`);
      }
    },
  };
}

/**
 * distinct(): every distinct value of the window, ordered as InfluxDB emits them: by the time of the
 * value's earliest point, then by value.
 */
export class DistinctAccumulator {
  private readonly seen = new Map<string, { v: Value; t: bigint }>();
  add(v: Value, t: bigint): void {
    if (v === null) return;
    const k = `${typeof v}:${String(v)}`;
    const cur = this.seen.get(k);
    if (!cur) this.seen.set(k, { v, t });
    else if (t < cur.t) cur.t = t;
  }
  values(): Value[] {
    const all = [...this.seen.values()];
    all.sort((a, b) => (a.t !== b.t ? (a.t < b.t ? -1 : 1) : compareValues(a.v, b.v)));
    return all.map((e) => e.v);
  }
}

/** Functions InfluxDB 1.x only builds for numeric fields; others fail with its iterator-type message. */
const NUMERIC_ONLY = new Set(["mean", "median", "sum", "spread", "stddev"]);
const MIN_MAX = new Set(["min", "max"]);

/** The error InfluxDB gives for e.g. mean() over a boolean field, or undefined when the type is fine. */
export function typeError(spec: CallSpec, fieldType: string | undefined): string | undefined {
  if (spec.distinct) return undefined;
  // min() and max() take booleans (false < true) but not strings.
  const bad = NUMERIC_ONLY.has(spec.name)
    ? fieldType === "string" || fieldType === "boolean"
    : MIN_MAX.has(spec.name) && fieldType === "string";
  if (!bad) return undefined;
  return `unsupported ${spec.name} iterator type: *query.${fieldType}InterruptIterator`;
}
