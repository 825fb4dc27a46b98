// Dispatches requests to the write, query, ping and health handlers; the one entry point both the local
// server and the Lambda adapter call. Unexpected errors become a generic 500: no stack reaches a client.
import type { Authenticate, AuthResult } from "../auth/authenticator.ts";
import { allows } from "../auth/tokens.ts";
import { attachPermissions } from "./context.ts";
import { errorDetails, type Log, silentLog } from "./log.ts";
import { type ApiFlavor, errorResponse, json } from "./responses.ts";
import type { HttpRequest, HttpResponse, RequestHandler } from "./types.ts";
import type { WriteHandler } from "./write.ts";

export interface RouterDeps {
  /** Handles the three write routes; absent (e.g. a query-only function) → 501. */
  readonly write?: WriteHandler;
  readonly authenticate: Authenticate<HttpRequest>;
  /** Handles /query and /api/v3/query_influxql; absent → 501. */
  readonly query?: RequestHandler;
  /** Reported by /ping and /health. */
  readonly version: string;
  readonly build?: string;
  readonly log?: Log;
}

type AuthFailure = Exclude<AuthResult, { ok: true }>;

type Route =
  | { readonly kind: "write"; readonly flavor: ApiFlavor; readonly methods: readonly string[] }
  | { readonly kind: "query"; readonly flavor: ApiFlavor; readonly methods: readonly string[] }
  | { readonly kind: "ping" | "health"; readonly flavor: ApiFlavor; readonly methods: readonly string[] };

const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ["/write", { kind: "write", flavor: "v1", methods: ["POST"] }],
  ["/api/v2/write", { kind: "write", flavor: "v2", methods: ["POST"] }],
  ["/api/v3/write_lp", { kind: "write", flavor: "v3", methods: ["POST"] }],
  ["/query", { kind: "query", flavor: "v1", methods: ["GET", "POST"] }],
  ["/api/v3/query_influxql", { kind: "query", flavor: "v3", methods: ["GET", "POST"] }],
  ["/ping", { kind: "ping", flavor: "v1", methods: ["GET", "HEAD"] }],
  ["/health", { kind: "health", flavor: "v2", methods: ["GET", "HEAD"] }],
]);

export function createRouter(deps: RouterDeps): RequestHandler {
  const log = deps.log ?? silentLog;
  const build = deps.build ?? "Sediment";

  // InfluxDB answers a missing and a wrong token alike (401); `reason` is only for the log.
  const unauthenticated = (flavor: ApiFlavor, request: HttpRequest, result: AuthFailure): HttpResponse => {
    log.info("unauthenticated request", { path: request.path, reason: result.reason });
    return errorResponse(flavor, 401, "unauthorized", "unauthorized access");
  };

  const dispatch = async (request: HttpRequest): Promise<HttpResponse> => {
    const path =
      request.path.length > 1 && request.path.endsWith("/") ? request.path.slice(0, -1) : request.path;
    const route = ROUTES.get(path);
    if (route === undefined) return errorResponse("v2", 404, "not found", "path not found");
    const method = request.method.toUpperCase();
    if (!route.methods.includes(method)) {
      return errorResponse(
        route.flavor,
        405,
        "method not allowed",
        `method ${method} not allowed; allow: ${route.methods.join(", ")}`,
        {
          allow: route.methods.join(", "),
        },
      );
    }
    switch (route.kind) {
      case "ping":
        return ping(request, deps.version, build);
      case "health":
        return json(200, {
          name: "sediment",
          message: "ready for queries and writes",
          status: "pass",
          checks: [],
          version: deps.version,
          commit: build,
        });
      case "write": {
        const auth = await deps.authenticate(request);
        if (!auth.ok) return unauthenticated(route.flavor, request, auth);
        attachPermissions(request, auth.permissions);
        if (deps.write === undefined) {
          return errorResponse(
            route.flavor,
            501,
            "not implemented",
            "writes are not available on this server",
          );
        }
        return deps.write(request, route.flavor, auth.permissions);
      }
      case "query": {
        const auth = await deps.authenticate(request);
        if (!auth.ok) return unauthenticated(route.flavor, request, auth);
        const db = queryDatabase(request);
        if (!auth.permissions.read) {
          return errorResponse(route.flavor, 403, "forbidden", "insufficient permissions to read");
        }
        // A token limited to some databases must name one, so the query handler has a database to confine
        // the query to (it can also check statements against permissionsOf(request)).
        if (
          auth.permissions.databases !== "*" &&
          (db === undefined || !allows(auth.permissions, "read", db))
        ) {
          const what = db === undefined ? "without a db parameter" : `database "${db}"`;
          return errorResponse(route.flavor, 403, "forbidden", `insufficient permissions to read ${what}`);
        }
        attachPermissions(request, auth.permissions);
        if (deps.query === undefined) {
          return errorResponse(
            route.flavor,
            501,
            "not implemented",
            "queries are not available on this server",
          );
        }
        return deps.query(request);
      }
    }
  };

  return async (request) => {
    try {
      return await dispatch(request);
    } catch (error) {
      log.error("unhandled error in request", {
        method: request.method,
        path: request.path,
        ...errorDetails(error),
      });
      return errorResponse(flavorOf(request.path), 500, "internal error", "internal error");
    }
  };
}

function ping(request: HttpRequest, version: string, build: string): HttpResponse {
  const headers = { "x-influxdb-version": version, "x-influxdb-build": build };
  const verbose = request.query.get("verbose");
  if (request.method.toUpperCase() === "GET" && verbose !== null && verbose !== "" && verbose !== "false") {
    return json(200, { version }, headers);
  }
  return { status: 204, headers, body: "" };
}

/** The `db` a query names: query string, overlaid by a JSON or form body as the query handler reads it. */
function queryDatabase(request: HttpRequest): string | undefined {
  let db = request.query.get("db") ?? undefined;
  if (request.body.byteLength > 0) {
    const type = (request.headers["content-type"] ?? "").toLowerCase();
    const text = new TextDecoder().decode(request.body);
    if (type.includes("application/json")) {
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value === "object" && value !== null && "db" in value) {
          const fromBody = (value as { db: unknown }).db;
          if (typeof fromBody === "string") db = fromBody;
        }
      } catch {
        // Not JSON: the query handler will say so.
      }
    } else if (type === "" || type.includes("application/x-www-form-urlencoded")) {
      db = new URLSearchParams(text).get("db") ?? db;
    }
  }
  return db === "" ? undefined : db;
}

function flavorOf(path: string): ApiFlavor {
  return ROUTES.get(path)?.flavor ?? "v2";
}
