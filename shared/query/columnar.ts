// Column-at-a-time pieces of the engine: a WHERE clause split into parts that can run over column
// batches (time bounds, per-series tag tests, float field comparisons) and the filters that apply them.
import type { Expr } from "../influxql/ast.ts";
import type { ColumnBatch, FieldColumn } from "./columns.ts";
import { isTimeRef, referencedNames } from "./condition.ts";

const unwrap = (e: Expr): Expr => (e.kind === "Paren" ? unwrap(e.expr) : e);

/** Top-level AND operands of a condition. */
export function conjuncts(cond: Expr | undefined, out: Expr[] = []): Expr[] {
  if (!cond) return out;
  const u = unwrap(cond);
  if (u.kind === "Binary" && u.op === "AND") {
    conjuncts(u.lhs, out);
    conjuncts(u.rhs, out);
  } else out.push(u);
  return out;
}

function mentionsTime(e: Expr): boolean {
  switch (e.kind) {
    case "VarRef":
      return e.name.toLowerCase() === "time";
    case "Binary":
      return mentionsTime(e.lhs) || mentionsTime(e.rhs);
    case "Paren":
      return mentionsTime(e.expr);
    case "Call":
      return e.args.some(mentionsTime);
    default:
      return false;
  }
}

const RANGE_OPS = new Set(["<", "<=", ">", ">=", "="]);
const CMP_OPS = new Set(["<", "<=", ">", ">=", "=", "!="]);
const FLIP: Record<string, string> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!=" };

/** `usage_user > 90` over a float column: what the row predicate's `compare` does, per column. */
export interface FloatFilter {
  readonly field: string;
  readonly op: string;
  readonly value: number;
}

/**
 * A condition split for batch evaluation. `exact` is true when time bounds (already applied by the
 * range), `tags` (constant within a series run) and `floats` decide it completely; otherwise the
 * parts are only sound pre-filters and the row predicate must still run.
 */
export interface SplitCondition {
  readonly exact: boolean;
  readonly tags: readonly Expr[];
  readonly floats: readonly FloatFilter[];
}

export function splitCondition(
  cond: Expr | undefined,
  isTag: (name: string) => boolean,
  fieldType: (name: string) => string | undefined,
): SplitCondition {
  let exact = true;
  const tags: Expr[] = [];
  const floats: FloatFilter[] = [];
  for (const c of conjuncts(cond)) {
    const names = [...referencedNames(c)];
    const time = mentionsTime(c);
    if (time) {
      // `time op literal` is what timeRange() captures exactly; anything else needs the row test.
      const simple =
        c.kind === "Binary" &&
        RANGE_OPS.has(c.op) &&
        names.length === 0 &&
        (isTimeRef(c.lhs) || isTimeRef(c.rhs));
      if (!simple) exact = false;
      continue;
    }
    if (names.length > 0 && names.every((n) => isTag(n) && fieldType(n) === undefined)) {
      if (!hasFieldTypedRef(c)) {
        tags.push(c);
        continue;
      }
    }
    const f = floatFilter(c, fieldType);
    if (f) floats.push(f);
    else exact = false;
  }
  return { exact, tags, floats };
}

function hasFieldTypedRef(e: Expr): boolean {
  const u = unwrap(e);
  if (u.kind === "VarRef") return u.dataType === "field";
  if (u.kind === "Binary") return hasFieldTypedRef(u.lhs) || hasFieldTypedRef(u.rhs);
  return false;
}

function floatFilter(c: Expr, fieldType: (name: string) => string | undefined): FloatFilter | undefined {
  if (c.kind !== "Binary" || !CMP_OPS.has(c.op)) return undefined;
  const l = unwrap(c.lhs);
  const r = unwrap(c.rhs);
  const lit = (e: Expr): number | undefined =>
    e.kind === "Number" ? e.value : e.kind === "Integer" ? Number(e.value) : undefined;
  const ref = (e: Expr): string | undefined =>
    e.kind === "VarRef" && e.dataType !== "tag" && fieldType(e.name) === "float" ? e.name : undefined;
  const lf = ref(l);
  const rv = lit(r);
  if (lf !== undefined && rv !== undefined) return { field: lf, op: c.op, value: rv };
  const rf = ref(r);
  const lv = lit(l);
  if (rf !== undefined && lv !== undefined) return { field: rf, op: FLIP[c.op] as string, value: lv };
  return undefined;
}

/** Keeps the rows of `rows` whose float column passes the filter (null never does), in place. */
export function applyFloatFilter(col: FieldColumn, f: FloatFilter, rows: Int32Array): Int32Array {
  if (col.kind !== "float") {
    // The field is absent from this file (or not float here): every value is null, nothing passes.
    return rows.subarray(0, 0);
  }
  const { data, valid } = col;
  const v = f.value;
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    if (valid && !valid[r]) continue;
    const x = data[r] as number;
    // The row predicate's compare(): "neither less nor greater" counts as equal (NaN included).
    const c = x < v ? -1 : x > v ? 1 : 0;
    let ok: boolean;
    switch (f.op) {
      case "<":
        ok = c < 0;
        break;
      case "<=":
        ok = c <= 0;
        break;
      case ">":
        ok = c > 0;
        break;
      case ">=":
        ok = c >= 0;
        break;
      case "=":
        ok = c === 0;
        break;
      default:
        ok = c !== 0;
        break;
    }
    if (ok) rows[k++] = r;
  }
  return rows.subarray(0, k);
}

/**
 * Running count of tag changes: `out[r]` counts rows up to r whose listed tags differ from the row
 * before. Rows a < b with equal counts hold the same tags (unequal counts may too, after A→B→A).
 */
export function tagChanges(batch: ColumnBatch, idx: readonly number[]): Int32Array {
  const n = batch.n;
  const breaks = new Uint8Array(n);
  for (const i of idx) {
    const c = batch.tags[i];
    if (!c) continue;
    const codes = c.codes;
    for (let r = 1; r < n; r++) if (codes[r] !== codes[r - 1]) breaks[r] = 1;
  }
  const out = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < n; r++) {
    k += breaks[r] as number;
    out[r] = k;
  }
  return out;
}

/** Whether rows `a` and `b` of a batch hold the same values of the given tag columns. */
export function sameTags(batch: ColumnBatch, idx: readonly number[], a: number, b: number): boolean {
  for (let k = 0; k < idx.length; k++) {
    const c = batch.tags[idx[k] as number];
    if (c && c.codes[a] !== c.codes[b]) return false;
  }
  return true;
}
