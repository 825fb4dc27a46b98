// Encodes statement results as InfluxDB answers them: 1.x JSON / CSV, and the v3 json / jsonl / csv rows.
import type { Value } from "./condition.ts";
import type { SeriesResult, StatementResult } from "./executor.ts";
import { type Epoch, formatRfc3339, toEpoch } from "./time.ts";

type Json = Value | Json[] | { [k: string]: Json | undefined };

/** JSON with exact 64-bit integers (bigint) and non-finite floats as null (Go refuses them). */
export function toJson(v: Json | undefined, indent = "", step = ""): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : "null";
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  const inner = indent + step;
  const nl = step ? `\n${inner}` : "";
  const close = step ? `\n${indent}` : "";
  const sep = step ? ": " : ":";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[${nl}${v.map((x) => toJson(x, inner, step)).join(`,${nl}`)}${close}]`;
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return "{}";
  return `{${nl}${entries.map(([k, x]) => `${JSON.stringify(k)}${sep}${toJson(x, inner, step)}`).join(`,${nl}`)}${close}}`;
}

const timeValue = (ns: Value, epoch: Epoch | undefined): Value =>
  typeof ns === "bigint" ? (epoch ? toEpoch(ns, epoch) : formatRfc3339(ns)) : ns;

function seriesJson(s: SeriesResult, epoch: Epoch | undefined): Json {
  return {
    name: s.name,
    tags: s.tags,
    columns: s.columns,
    values: s.timeColumn
      ? s.values.map((row) => [timeValue(row[0] ?? null, epoch), ...row.slice(1)])
      : s.values,
  };
}

/** The 1.x `/query` body: `{"results":[{"statement_id":0,"series":[...]}]}`. */
export function encodeV1Json(
  results: readonly StatementResult[],
  epoch: Epoch | undefined,
  pretty: boolean,
): string {
  const body: Json = {
    results: results.map((r) => ({
      statement_id: BigInt(r.statement_id),
      series: r.series?.map((s) => seriesJson(s, epoch)),
      error: r.error,
    })),
  };
  return toJson(body, "", pretty ? "    " : "");
}

function csvCell(v: Value): string {
  if (v === null) return "";
  const s = typeof v === "number" && !Number.isFinite(v) ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The 1.x CSV body: `name,tags,time,<columns>`; time as integer (ns unless `epoch`). */
export function encodeV1Csv(results: readonly StatementResult[], epoch: Epoch | undefined): string {
  const lines: string[] = [];
  let header = "";
  for (const r of results) {
    if (r.error) {
      lines.push(`error\n${csvCell(r.error)}`);
      continue;
    }
    for (const s of r.series ?? []) {
      const h = ["name", "tags", ...s.columns].map((c) => csvCell(c)).join(",");
      if (h !== header) {
        if (header) lines.push("");
        lines.push(h);
        header = h;
      }
      const tags = Object.entries(s.tags ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      for (const row of s.values) {
        const cells = row.map((v, i) =>
          i === 0 && s.timeColumn && typeof v === "bigint" ? toEpoch(v, epoch ?? "ns") : v,
        );
        lines.push([csvCell(s.name ?? ""), csvCell(tags), ...cells.map(csvCell)].join(","));
      }
    }
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/** InfluxDB 3 renders Arrow timestamps without a zone suffix: `2024-01-01T00:00:00.5`. */
const v3Time = (ns: bigint): string => formatRfc3339(ns).replace(/Z$/, "");

/** Rows as InfluxDB 3's `/api/v3/query_influxql` returns them: one object per row, `iox::measurement` first. */
export function v3Rows(results: readonly StatementResult[]): Record<string, Value>[] {
  const rows: Record<string, Value>[] = [];
  for (const r of results) {
    for (const s of r.series ?? []) {
      for (const row of s.values) {
        const obj: Record<string, Value> = {};
        if (s.timeColumn) obj["iox::measurement"] = s.name ?? null;
        s.columns.forEach((c, i) => {
          const v = row[i] ?? null;
          obj[c] = i === 0 && s.timeColumn && typeof v === "bigint" ? v3Time(v) : v;
        });
        for (const [k, v] of Object.entries(s.tags ?? {})) obj[k] = v;
        rows.push(obj);
      }
    }
  }
  return rows;
}

export function encodeV3(results: readonly StatementResult[], format: "json" | "jsonl" | "csv"): string {
  const rows = v3Rows(results);
  if (format === "json") return toJson(rows as Json);
  if (format === "jsonl") return rows.map((r) => `${toJson(r as Json)}\n`).join("");
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const lines = [cols.map(csvCell).join(",")];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r[c] ?? null)).join(","));
  return rows.length ? `${lines.join("\n")}\n` : "";
}
