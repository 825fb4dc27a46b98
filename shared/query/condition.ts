// WHERE clauses: time-range extraction, per-row evaluation, and "may any row match?" tests over summaries
// (partition parts, catalog file summaries, Parquet statistics) that the planner prunes with.
import type { Expr } from "../influxql/ast.ts";
import type { FieldValue } from "../lineprotocol/types.ts";
import { QueryError } from "./errors.ts";
import { MAX_TIME, MIN_TIME, parseTimeString } from "./time.ts";

/** Inclusive time bounds in ns. */
export interface TimeRange {
  readonly min: bigint;
  readonly max: bigint;
}

export const UNBOUNDED: TimeRange = { min: MIN_TIME, max: MAX_TIME };

export type Value = FieldValue | null;

/** One point as the engine sees it: tags and fields by column index (see RowLayout). */
export interface Row {
  time: bigint;
  tags: (string | null)[];
  values: Value[];
  seq: bigint;
}

/** Resolves names in expressions: tags and fields of the measurement, by index in Row. */
export interface RowLayout {
  tagIndex(name: string): number | undefined;
  fieldIndex(name: string): number | undefined;
}

const unwrap = (e: Expr): Expr => (e.kind === "Paren" ? unwrap(e.expr) : e);

export const isTimeRef = (e: Expr): boolean => {
  const u = unwrap(e);
  return u.kind === "VarRef" && u.name.toLowerCase() === "time";
};

/** Evaluates a time operand (`'2020-01-01T00:00:00Z'`, `1577836800000000000`, `now() - 1h`) to ns. */
export function timeValue(e: Expr, nowNs: bigint): bigint {
  const u = unwrap(e);
  switch (u.kind) {
    case "String": {
      const t = parseTimeString(u.value);
      if (t === undefined)
        throw new QueryError(`invalid time literal ${JSON.stringify(u.value)}: expected RFC3339`);
      return t;
    }
    case "Integer":
      return u.value;
    case "Number":
      return BigInt(Math.trunc(u.value));
    case "Duration":
      return u.ns;
    case "Call":
      if (u.name === "now" && u.args.length === 0) return nowNs;
      break;
    case "Binary":
      if (u.op === "+") return timeValue(u.lhs, nowNs) + timeValue(u.rhs, nowNs);
      if (u.op === "-") return timeValue(u.lhs, nowNs) - timeValue(u.rhs, nowNs);
      break;
    default:
      break;
  }
  throw new QueryError(`invalid time expression: ${u.kind}`);
}

const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!=" };

/** `time op X` normalised so time is on the left; undefined when e is not a time comparison. */
function timeComparison(e: Expr, nowNs: bigint): { op: string; ns: bigint } | undefined {
  const u = unwrap(e);
  if (u.kind !== "Binary" || !(u.op in FLIP)) return undefined;
  if (isTimeRef(u.lhs)) return { op: u.op, ns: timeValue(u.rhs, nowNs) };
  if (isTimeRef(u.rhs)) return { op: FLIP[u.op] as string, ns: timeValue(u.lhs, nowNs) };
  return undefined;
}

function bigMin(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}
function bigMax(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}
const intersect = (a: TimeRange, b: TimeRange): TimeRange => ({
  min: bigMax(a.min, b.min),
  max: bigMin(a.max, b.max),
});
const union = (a: TimeRange, b: TimeRange): TimeRange => ({
  min: bigMin(a.min, b.min),
  max: bigMax(a.max, b.max),
});

/** The smallest range holding every time the condition can accept (conservative under OR). */
export function timeRange(cond: Expr | undefined, nowNs: bigint): TimeRange {
  if (!cond) return UNBOUNDED;
  const u = unwrap(cond);
  if (u.kind === "Binary" && u.op === "AND")
    return intersect(timeRange(u.lhs, nowNs), timeRange(u.rhs, nowNs));
  if (u.kind === "Binary" && u.op === "OR") return union(timeRange(u.lhs, nowNs), timeRange(u.rhs, nowNs));
  const c = timeComparison(u, nowNs);
  if (!c) return UNBOUNDED;
  switch (c.op) {
    case ">":
      return { min: c.ns + 1n, max: MAX_TIME };
    case ">=":
      return { min: c.ns, max: MAX_TIME };
    case "<":
      return { min: MIN_TIME, max: c.ns - 1n };
    case "<=":
      return { min: MIN_TIME, max: c.ns };
    case "=":
      return { min: c.ns, max: c.ns };
    default:
      return UNBOUNDED;
  }
}

/** What a summary can say about a tag: may some row have a value passing the test? */
export type TagTest =
  | { readonly op: "="; readonly value: string }
  | { readonly op: "=~"; readonly re: RegExp };

export interface PruneSummary {
  readonly minTime: bigint;
  readonly maxTime: bigint;
  /** False only when no row can hold a value of `key` that passes the test. */
  tagMay(key: string, test: TagTest): boolean;
}

export const passes = (value: string, test: TagTest): boolean =>
  test.op === "=" ? value === test.value : test.re.test(value);

const regexCache = new Map<string, RegExp>();
export function compileRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      // Go (RE2) allows leading flag groups such as (?i), which Grafana sends; JS wants them as flags.
      const flags = /^\(\?([ims]+)\)/.exec(pattern);
      re = flags
        ? new RegExp(pattern.slice(flags[0].length), [...new Set(flags[1])].join(""))
        : new RegExp(pattern);
    } catch (cause) {
      throw new QueryError(`invalid regex /${pattern}/: ${(cause as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Conservative: false only when the summary proves no row satisfies cond. */
export function mayMatch(
  cond: Expr | undefined,
  summary: PruneSummary,
  isTag: (name: string) => boolean,
  nowNs: bigint,
): boolean {
  if (!cond) return true;
  const u = unwrap(cond);
  if (u.kind !== "Binary") return true;
  if (u.op === "AND") return mayMatch(u.lhs, summary, isTag, nowNs) && mayMatch(u.rhs, summary, isTag, nowNs);
  if (u.op === "OR") return mayMatch(u.lhs, summary, isTag, nowNs) || mayMatch(u.rhs, summary, isTag, nowNs);
  const t = timeComparison(u, nowNs);
  if (t) {
    const r = timeRange(u, nowNs);
    return r.min <= summary.maxTime && r.max >= summary.minTime && r.min <= r.max;
  }
  const lhs = unwrap(u.lhs);
  const rhs = unwrap(u.rhs);
  if (lhs.kind === "VarRef" && lhs.dataType !== "field" && isTag(lhs.name)) {
    if (u.op === "=" && rhs.kind === "String") {
      // Rows without the tag compare as "": summaries list present values only.
      return rhs.value === "" || summary.tagMay(lhs.name, { op: "=", value: rhs.value });
    }
    if (u.op === "=~" && rhs.kind === "Regex") {
      const re = compileRegex(rhs.pattern);
      return re.test("") || summary.tagMay(lhs.name, { op: "=~", re });
    }
  }
  return true;
}

/** Tag names the condition compares with `=` / `=~` (the ones worth reading statistics for). */
export function prunableTags(
  cond: Expr | undefined,
  isTag: (name: string) => boolean,
  out = new Set<string>(),
): Set<string> {
  if (!cond) return out;
  const u = unwrap(cond);
  if (u.kind !== "Binary") return out;
  if (u.op === "AND" || u.op === "OR") {
    prunableTags(u.lhs, isTag, out);
    prunableTags(u.rhs, isTag, out);
    return out;
  }
  const lhs = unwrap(u.lhs);
  if (lhs.kind === "VarRef" && isTag(lhs.name) && (u.op === "=" || u.op === "=~")) out.add(lhs.name);
  return out;
}

/** Every name the expression refers to (excluding `time`). */
export function referencedNames(e: Expr | undefined, out = new Set<string>()): Set<string> {
  if (!e) return out;
  switch (e.kind) {
    case "VarRef":
      if (e.name.toLowerCase() !== "time") out.add(e.name);
      break;
    case "Binary":
      referencedNames(e.lhs, out);
      referencedNames(e.rhs, out);
      break;
    case "Paren":
      referencedNames(e.expr, out);
      break;
    case "Call":
      for (const a of e.args) referencedNames(a, out);
      break;
    default:
      break;
  }
  return out;
}

type Evaluator = (row: Row) => Value;
export type Predicate = (row: Row) => boolean;

/** Arithmetic over field values as InfluxDB does it: any null operand gives null; ints stay ints except `/`. */
export function arith(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (typeof a === "bigint" && typeof b === "bigint") {
    switch (op) {
      case "+":
        return a + b;
      case "-":
        return a - b;
      case "*":
        return a * b;
      case "%":
        return b === 0n ? null : a % b;
      case "/":
        return b === 0n ? 0 : Number(a) / Number(b);
    }
  }
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    const x = Number(a);
    const y = Number(b);
    switch (op) {
      case "+":
        return x + y;
      case "-":
        return x - y;
      case "*":
        return x * y;
      case "/":
        return y === 0 ? 0 : x / y;
      case "%":
        return y === 0 ? null : x % y;
    }
  }
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b;
  return null;
}

function compare(op: string, a: Value, b: Value): boolean {
  if (a === null || b === null) return false;
  let c: number;
  if (typeof a === "bigint" && typeof b === "bigint") c = a < b ? -1 : a > b ? 1 : 0;
  else if (
    (typeof a === "number" || typeof a === "bigint") &&
    (typeof b === "number" || typeof b === "bigint")
  ) {
    const x = Number(a);
    const y = Number(b);
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (typeof a === "string" && typeof b === "string") c = a < b ? -1 : a > b ? 1 : 0;
  else if (typeof a === "boolean" && typeof b === "boolean") {
    if (op === "=") return a === b;
    if (op === "!=") return a !== b;
    return false;
  } else return false;
  switch (op) {
    case "=":
      return c === 0;
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    case ">=":
      return c >= 0;
    default:
      return false;
  }
}

function compileValue(e: Expr, layout: RowLayout): Evaluator {
  switch (e.kind) {
    case "Paren":
      return compileValue(e.expr, layout);
    case "VarRef": {
      if (e.dataType !== "field") {
        const ti = layout.tagIndex(e.name);
        if (ti !== undefined && (e.dataType === "tag" || layout.fieldIndex(e.name) === undefined)) {
          return (row) => row.tags[ti] ?? "";
        }
      }
      const fi = layout.fieldIndex(e.name);
      if (fi === undefined) return () => null;
      return (row) => row.values[fi] ?? null;
    }
    case "Number":
      return () => e.value;
    case "Integer":
      return () => e.value;
    case "String":
      return () => e.value;
    case "Boolean":
      return () => e.value;
    case "Binary": {
      const l = compileValue(e.lhs, layout);
      const r = compileValue(e.rhs, layout);
      return (row) => arith(e.op, l(row), r(row));
    }
    default:
      throw new QueryError(`unsupported expression in WHERE: ${e.kind}`);
  }
}

/** Compiles a WHERE clause to a row predicate (time comparisons included). */
export function compilePredicate(cond: Expr | undefined, layout: RowLayout, nowNs: bigint): Predicate {
  if (!cond) return () => true;
  const u = unwrap(cond);
  if (u.kind !== "Binary") {
    if (u.kind === "Boolean") return () => u.value;
    throw new QueryError(`invalid condition: ${u.kind}`);
  }
  if (u.op === "AND") {
    const l = compilePredicate(u.lhs, layout, nowNs);
    const r = compilePredicate(u.rhs, layout, nowNs);
    return (row) => l(row) && r(row);
  }
  if (u.op === "OR") {
    const l = compilePredicate(u.lhs, layout, nowNs);
    const r = compilePredicate(u.rhs, layout, nowNs);
    return (row) => l(row) || r(row);
  }
  const t = timeComparison(u, nowNs);
  if (t) {
    const { op, ns } = t;
    switch (op) {
      case "<":
        return (row) => row.time < ns;
      case "<=":
        return (row) => row.time <= ns;
      case ">":
        return (row) => row.time > ns;
      case ">=":
        return (row) => row.time >= ns;
      case "=":
        return (row) => row.time === ns;
      default:
        return (row) => row.time !== ns;
    }
  }
  if (u.op === "=~" || u.op === "!~") {
    const rhs = unwrap(u.rhs);
    if (rhs.kind !== "Regex") throw new QueryError(`expected regex after ${u.op}`);
    const re = compileRegex(rhs.pattern);
    const l = compileValue(u.lhs, layout);
    const want = u.op === "=~";
    return (row) => {
      const v = l(row);
      return typeof v === "string" ? re.test(v) === want : false;
    };
  }
  if (u.op in FLIP) {
    const l = compileValue(u.lhs, layout);
    const r = compileValue(u.rhs, layout);
    return (row) => compare(u.op, l(row), r(row));
  }
  throw new QueryError(`invalid condition operator ${u.op}`);
}
