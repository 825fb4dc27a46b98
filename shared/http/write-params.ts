// Query parameters of the three write APIs, validated into one shape (pure; no I/O).
import type { Precision } from "../lineprotocol/types.ts";
import type { ApiFlavor } from "./responses.ts";

export interface WriteParams {
  readonly database: string;
  readonly precision: Precision;
  /** v3 `accept_partial` (default true); always true for v1 and v2, which write the good lines. */
  readonly acceptPartial: boolean;
}

export type ParamsResult =
  | { readonly ok: true; readonly params: WriteParams }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** Accepted `precision` values per flavor, as the respective InfluxDB versions accept them. */
const PRECISIONS: Record<ApiFlavor, Readonly<Record<string, Precision>>> = {
  v1: {
    n: "ns",
    ns: "ns",
    u: "us",
    us: "us",
    "\u00b5": "us",
    "\u03bc": "us",
    ms: "ms",
    s: "s",
    m: "m",
    h: "h",
  },
  v2: { ns: "ns", us: "us", ms: "ms", s: "s" },
  v3: {
    auto: "auto",
    nanosecond: "ns",
    ns: "ns",
    microsecond: "us",
    us: "us",
    millisecond: "ms",
    ms: "ms",
    second: "s",
    s: "s",
  },
};

const DEFAULT_PRECISION: Record<ApiFlavor, Precision> = { v1: "ns", v2: "ns", v3: "auto" };

const PRECISION_HINT: Record<ApiFlavor, string> = {
  v1: "valid precision units are n, u, ms, s, m and h",
  // InfluxDB 2's exact wording.
  v2: "invalid precision; valid precision units are ns, us, ms, and s",
  v3: "valid precisions are auto, nanosecond, microsecond, millisecond and second",
};

export const MAX_DATABASE_NAME_LENGTH = 64;

/**
 * Database names become object-key segments, so they are strict: ASCII letters, digits, `_` and `-`,
 * starting with a letter or digit, at most 64 characters (InfluxDB 3's rule and wording).
 * Returns the problem, or undefined when the name is valid.
 */
export function databaseNameProblem(name: string): string | undefined {
  if (name.length === 0) return "db name cannot be empty";
  if (!/^[A-Za-z0-9]/.test(name)) return "db name did not start with a number or letter";
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    return "invalid character in database name: must be ASCII, containing only letters, numbers, underscores, or hyphens";
  }
  if (name.length > MAX_DATABASE_NAME_LENGTH) {
    return `db name is ${name.length} characters long; the limit is ${MAX_DATABASE_NAME_LENGTH}`;
  }
  return undefined;
}

export function parseWriteParams(flavor: ApiFlavor, query: URLSearchParams): ParamsResult {
  // InfluxDB 1.8's v2-compatible API names buckets "database/retention-policy"; retention policies are not
  // separate databases here (v1's `rp` is ignored too), so only the database part counts.
  const database = flavor === "v2" ? v2Database(query.get("bucket")) : query.get("db");
  if (database === null || database === "") {
    switch (flavor) {
      case "v1":
        return { ok: false, status: 400, code: "invalid", message: "database is required" };
      case "v2":
        // InfluxDB 2 answers a missing bucket with 404 "bucket not found".
        return { ok: false, status: 404, code: "not found", message: "bucket not found" };
      case "v3":
        return { ok: false, status: 400, code: "invalid", message: "missing field `db`" };
    }
  }
  const problem = databaseNameProblem(database);
  if (problem !== undefined) return { ok: false, status: 400, code: "invalid", message: problem };

  const rawPrecision = query.get("precision") ?? "";
  let precision: Precision | undefined = DEFAULT_PRECISION[flavor];
  if (rawPrecision !== "") precision = PRECISIONS[flavor][rawPrecision];
  if (precision === undefined) {
    const message =
      flavor === "v2" ? PRECISION_HINT.v2 : `invalid precision "${rawPrecision}": ${PRECISION_HINT[flavor]}`;
    return { ok: false, status: 400, code: "invalid", message };
  }

  let acceptPartial = true;
  if (flavor === "v3") {
    const raw = query.get("accept_partial");
    if (raw !== null && raw !== "") {
      if (raw !== "true" && raw !== "false") {
        return {
          ok: false,
          status: 400,
          code: "invalid",
          message: `invalid accept_partial "${raw}": use true or false`,
        };
      }
      acceptPartial = raw === "true";
    }
  }
  return { ok: true, params: { database, precision, acceptPartial } };
}

function v2Database(bucket: string | null): string | null {
  if (bucket === null) return null;
  const slash = bucket.indexOf("/");
  return slash > 0 && bucket.indexOf("/", slash + 1) < 0 ? bucket.slice(0, slash) : bucket;
}
