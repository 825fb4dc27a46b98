// Canonical InfluxQL text of an AST (for logs, explain output and parse/format round-trip tests).
import type { Dimension, Expr, MeasurementSource, Statement } from "./ast.ts";
import { KEYWORDS } from "./lexer.ts";

export function quoteIdent(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toUpperCase())) return name;
  return `"${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
}

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case "VarRef":
      return quoteIdent(e.name) + (e.dataType ? `::${e.dataType}` : "");
    case "Wildcard":
      return `*${e.dataType ? `::${e.dataType}` : ""}`;
    case "Number": {
      const s = String(e.value);
      return Number.isInteger(e.value) && !s.includes("e") ? `${s}.0` : s;
    }
    case "Integer":
      return e.value.toString();
    case "String":
      return quoteString(e.value);
    case "Boolean":
      return e.value ? "true" : "false";
    case "Duration":
      return e.text;
    case "Regex":
      return `/${e.pattern.replace(/\//g, "\\/")}/`;
    case "Call":
      return `${e.name}(${e.args.map(formatExpr).join(", ")})`;
    case "Binary":
      return `${formatExpr(e.lhs)} ${e.op} ${formatExpr(e.rhs)}`;
    case "Paren":
      return `(${formatExpr(e.expr)})`;
  }
}

export function formatSource(s: MeasurementSource): string {
  const last = s.regex !== undefined ? `/${s.regex.replace(/\//g, "\\/")}/` : quoteIdent(s.name ?? "");
  if (s.database !== undefined) {
    return `${quoteIdent(s.database)}.${s.retentionPolicy !== undefined ? quoteIdent(s.retentionPolicy) : ""}.${last}`;
  }
  if (s.retentionPolicy !== undefined) return `${quoteIdent(s.retentionPolicy)}.${last}`;
  return last;
}

function formatDuration(ns: bigint): string {
  const units: [string, bigint][] = [
    ["w", 604_800_000_000_000n],
    ["d", 86_400_000_000_000n],
    ["h", 3_600_000_000_000n],
    ["m", 60_000_000_000n],
    ["s", 1_000_000_000n],
    ["ms", 1_000_000n],
    ["u", 1_000n],
    ["ns", 1n],
  ];
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  for (const [u, size] of units) {
    if (abs % size === 0n) return `${neg ? "-" : ""}${abs / size}${u}`;
  }
  return `${ns}ns`;
}

function formatDimension(d: Dimension): string {
  switch (d.kind) {
    case "time":
      return `time(${formatDuration(d.intervalNs)}${d.offsetNs !== 0n ? `, ${formatDuration(d.offsetNs)}` : ""})`;
    case "tag":
      return quoteIdent(d.name);
    case "wildcard":
      return "*";
    case "regex":
      return `/${d.pattern.replace(/\//g, "\\/")}/`;
  }
}

function tail(s: { condition?: Expr; limit: number; offset: number }): string {
  let out = "";
  if (s.condition) out += ` WHERE ${formatExpr(s.condition)}`;
  if (s.limit) out += ` LIMIT ${s.limit}`;
  if (s.offset) out += ` OFFSET ${s.offset}`;
  return out;
}

const on = (db: string | undefined): string => (db !== undefined ? ` ON ${quoteIdent(db)}` : "");
const from = (sources: readonly MeasurementSource[]): string =>
  sources.length ? ` FROM ${sources.map(formatSource).join(", ")}` : "";

export function formatStatement(s: Statement): string {
  switch (s.kind) {
    case "select": {
      let out = `SELECT ${s.fields.map((f) => formatExpr(f.expr) + (f.alias !== undefined ? ` AS ${quoteIdent(f.alias)}` : "")).join(", ")}`;
      out += from(s.sources);
      if (s.condition) out += ` WHERE ${formatExpr(s.condition)}`;
      if (s.dimensions.length) out += ` GROUP BY ${s.dimensions.map(formatDimension).join(", ")}`;
      if (s.fill) out += ` fill(${s.fill.kind === "value" ? String(s.fill.value) : s.fill.kind})`;
      if (s.order === "desc") out += " ORDER BY time DESC";
      if (s.limit) out += ` LIMIT ${s.limit}`;
      if (s.offset) out += ` OFFSET ${s.offset}`;
      if (s.slimit) out += ` SLIMIT ${s.slimit}`;
      if (s.soffset) out += ` SOFFSET ${s.soffset}`;
      if (s.tz !== undefined) out += ` tz(${quoteString(s.tz)})`;
      return out;
    }
    case "showDatabases":
      return "SHOW DATABASES";
    case "showRetentionPolicies":
      return `SHOW RETENTION POLICIES${on(s.on)}`;
    case "showMeasurements": {
      const m = s.measurement;
      const w = m
        ? ` WITH MEASUREMENT ${m.op} ${m.op.includes("~") ? `/${m.value.replace(/\//g, "\\/")}/` : quoteIdent(m.value)}`
        : "";
      return `SHOW MEASUREMENTS${on(s.on)}${w}${tail(s)}`;
    }
    case "showTagKeys":
      return `SHOW TAG KEYS${on(s.on)}${from(s.sources)}${tail(s)}`;
    case "showTagValues": {
      const k = s.key;
      let key: string;
      if (k.op === "IN") key = `IN (${k.keys.map(quoteIdent).join(", ")})`;
      else if ("pattern" in k) key = `${k.op} /${k.pattern.replace(/\//g, "\\/")}/`;
      else key = `${k.op} ${quoteIdent(k.key)}`;
      return `SHOW TAG VALUES${on(s.on)}${from(s.sources)} WITH KEY ${key}${tail(s)}`;
    }
    case "showFieldKeys":
      return `SHOW FIELD KEYS${on(s.on)}${from(s.sources)}${tail(s)}`;
    case "showSeries":
      return `SHOW SERIES${on(s.on)}${from(s.sources)}${tail(s)}`;
    case "createDatabase":
      return `CREATE DATABASE ${quoteIdent(s.name)}`;
    case "dropDatabase":
      return `DROP DATABASE ${quoteIdent(s.name)}`;
    case "dropMeasurement":
      return `DROP MEASUREMENT ${quoteIdent(s.name)}`;
    case "dropSeries":
      return `DROP SERIES${from(s.sources)}${s.condition ? ` WHERE ${formatExpr(s.condition)}` : ""}`;
  }
}
