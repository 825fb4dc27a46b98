// HTTP handler for InfluxQL: `/query` (InfluxDB 1.x) and `/api/v3/query_influxql` (InfluxDB 3).
// Decodes parameters, runs the statements, encodes the answer; auth happened in the router already.
import type { CatalogReader } from "../catalog/port.ts";
import type { Clock } from "../core/clock.ts";
import type { HttpRequest, HttpResponse } from "../http/types.ts";
import { InfluxQLError } from "../influxql/errors.ts";
import { parseQuery } from "../influxql/parser.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { WalTail } from "../wal/port.ts";
import { QueryError } from "./errors.ts";
import { executeQuery, type StatementResult } from "./executor.ts";
import { DEFAULT_LIMITS, type QueryLimits } from "./limits.ts";
import { encodeV1Csv, encodeV1Json, encodeV3 } from "./results.ts";
import { emptyStats, FooterCache, type LineParser } from "./source.ts";
import { isEpoch } from "./time.ts";

export interface QueryHandlerDeps {
  readonly catalog: CatalogReader;
  readonly store: ObjectStore;
  /** Local mode: pending WAL records are read too (needs `parse`). */
  readonly walTail?: WalTail;
  readonly clock: Clock;
  /** The line-protocol parser (shared/lineprotocol/parse.ts), used for WAL records. */
  readonly parse?: LineParser;
  readonly limits?: Partial<QueryLimits>;
  readonly log?: (entry: Record<string, unknown>) => void;
}

const V1_HEADERS = { "x-influxdb-version": "1.8.10", "x-influxdb-build": "OSS" };

function json(status: number, body: string, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "content-type": "application/json", ...V1_HEADERS, ...extra }, body };
}

/** Query-string parameters overlaid by a form-encoded or JSON body (POST). */
function params(request: HttpRequest): URLSearchParams {
  const out = new URLSearchParams(request.query);
  if (request.body.length === 0) return out;
  const type = (request.headers["content-type"] ?? "").toLowerCase();
  const text = new TextDecoder().decode(request.body);
  if (type.includes("application/json")) {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      for (const [k, v] of Object.entries(obj)) {
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out.set(k, String(v));
      }
    } catch {
      // Not JSON after all: leave the query-string parameters.
    }
  } else if (type.includes("application/x-www-form-urlencoded") || type === "") {
    for (const [k, v] of new URLSearchParams(text)) out.set(k, v);
  }
  return out;
}

export function createQueryHandler(deps: QueryHandlerDeps): (request: HttpRequest) => Promise<HttpResponse> {
  const limits: QueryLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const exec = {
    catalog: deps.catalog,
    store: deps.store,
    clock: deps.clock,
    limits,
    footers: new FooterCache(),
    ...(deps.walTail ? { walTail: deps.walTail } : {}),
    ...(deps.parse ? { parse: deps.parse } : {}),
  };
  const log = deps.log ?? (() => {});

  return async (request) => {
    const v3 = request.path.startsWith("/api/v3/");
    if (request.method !== "GET" && request.method !== "POST") {
      return json(405, '{"error":"method not allowed"}', { allow: "GET, POST" });
    }
    const p = params(request);
    const q = p.get("q");
    if (q === null || q.trim() === "") return json(400, '{"error":"missing required parameter \\"q\\""}');
    const epochParam = (p.get("epoch") ?? "").trim();
    // InfluxDB 1.x formats times as integers for any non-empty epoch, in ns when it is not a known unit.
    const epoch = isEpoch(epochParam) ? epochParam : epochParam !== "" ? "ns" : undefined;
    const db = p.get("db") || undefined;
    const started = deps.clock.nowMs();
    let query: ReturnType<typeof parseQuery>;
    try {
      query = parseQuery(q);
    } catch (err) {
      if (err instanceof InfluxQLError) return json(400, JSON.stringify({ error: err.message }));
      throw err;
    }
    const stats = emptyStats();
    let results: StatementResult[];
    try {
      results = await executeQuery(query, exec, db, stats);
    } catch (err) {
      log({ msg: "query failed", q, db, error: err instanceof Error ? err.message : String(err) });
      if (err instanceof QueryError) return json(400, JSON.stringify({ error: err.message }));
      return json(500, '{"error":"internal error while executing the query"}');
    }
    const entry = {
      msg: "query",
      q,
      db,
      statements: query.statements.length,
      durationMs: deps.clock.nowMs() - started,
      ...stats,
    };
    log(entry);
    const explainHeaders: Record<string, string> =
      p.get("explain") === "true" ? { "x-sediment-explain": JSON.stringify({ ...entry, q: undefined }) } : {};

    if (v3) {
      const fmtParam = (p.get("format") ?? "").toLowerCase();
      const accept = (request.headers.accept ?? "").toLowerCase();
      const format: "json" | "jsonl" | "csv" =
        fmtParam === "csv" || accept.includes("text/csv")
          ? "csv"
          : fmtParam === "jsonl" || accept.includes("application/jsonl")
            ? "jsonl"
            : "json";
      const failed = results.find((r) => r.error);
      if (failed?.error) return json(400, JSON.stringify({ error: failed.error }), explainHeaders);
      const type =
        format === "csv" ? "text/csv" : format === "jsonl" ? "application/jsonl" : "application/json";
      return {
        status: 200,
        headers: { "content-type": type, ...explainHeaders },
        body: encodeV3(results, format),
      };
    }
    const accept = (request.headers.accept ?? "").toLowerCase();
    if (accept.includes("application/csv") || accept.includes("text/csv")) {
      return {
        status: 200,
        headers: { "content-type": "application/csv", ...V1_HEADERS, ...explainHeaders },
        body: encodeV1Csv(results, epoch),
      };
    }
    // chunked=true: one chunk holding every result is a valid chunked answer (newline-terminated).
    const chunked = p.get("chunked") === "true";
    const encoded = encodeV1Json(results, epoch, p.get("pretty") === "true" && !chunked);
    return json(200, chunked ? `${encoded}\n` : encoded, explainHeaders);
  };
}
