// TSBS devops query types as InfluxQL (the forms TSBS's influx query generator documents) and equivalent
// DuckDB SQL over a `cpu` view (time TIMESTAMP, tag columns, usage_* fields). Hosts and windows are drawn
// from a seeded PRNG inside the data range.

import { CPU_FIELDS, HOUR_NS, Prng, SECOND_NS } from "./tsbs.ts";

export const QUERY_TYPES = [
  "single-groupby-1-1-1",
  "single-groupby-1-8-1",
  "single-groupby-5-1-12",
  "cpu-max-all-8",
  "double-groupby-1",
  "double-groupby-all",
  "high-cpu-1",
  "lastpoint",
  "groupby-orderby-limit",
] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

export interface BenchQuery {
  readonly type: QueryType;
  readonly influxql: string;
  readonly sql: string;
}

export interface QueryRange {
  readonly hosts: number;
  readonly startNs: bigint;
  /** Exclusive end of the data. */
  readonly endNs: bigint;
}

// Window lengths TSBS uses for each family.
const SINGLE_GROUPBY_HOURS = { "1-1-1": 1, "1-8-1": 1, "5-1-12": 12 } as const;
const MAX_ALL_WINDOW_NS = 8n * HOUR_NS;
const DOUBLE_GROUPBY_WINDOW_NS = 12n * HOUR_NS;
const HIGH_CPU_WINDOW_NS = 12n * HOUR_NS;
const ORDERBY_LIMIT_WINDOW_NS = HOUR_NS;

/** RFC 3339 at second precision, as TSBS prints its window bounds. */
export function rfc3339(ns: bigint): string {
  return `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}Z`;
}

function sqlTime(ns: bigint): string {
  return `TIMESTAMP '${rfc3339(ns).slice(0, 19).replace("T", " ")}'`;
}

/**
 * A window of `lengthNs` starting at a random whole second in the data range. When the data is shorter than
 * the window (small --quick runs), the window is the whole range, so the query still runs.
 */
function randomWindow(rng: Prng, r: QueryRange, lengthNs: bigint): { start: bigint; end: bigint } {
  const span = r.endNs - r.startNs;
  if (lengthNs >= span) return { start: r.startNs, end: r.endNs };
  const slots = Number((span - lengthNs) / SECOND_NS);
  const start = r.startNs + BigInt(rng.int(slots + 1)) * SECOND_NS;
  return { start, end: start + lengthNs };
}

function randomHosts(rng: Prng, r: QueryRange, n: number): string[] {
  return rng.distinct(r.hosts, Math.min(n, r.hosts)).map((h) => `host_${h}`);
}

function influxHosts(hosts: readonly string[]): string {
  return `(${hosts.map((h) => `hostname = '${h}'`).join(" or ")})`;
}

function sqlHosts(hosts: readonly string[]): string {
  return `hostname IN (${hosts.map((h) => `'${h}'`).join(", ")})`;
}

function groupByTime(
  rng: Prng,
  r: QueryRange,
  type: QueryType,
  metrics: readonly string[],
  nHosts: number,
  windowNs: bigint,
  bucket: "1m" | "1h",
): BenchQuery {
  const hosts = randomHosts(rng, r, nHosts);
  const w = randomWindow(rng, r, windowNs);
  const sqlBucket = bucket === "1m" ? "INTERVAL 1 MINUTE" : "INTERVAL 1 HOUR";
  return {
    type,
    influxql:
      `SELECT ${metrics.map((m) => `max(${m})`).join(", ")} from cpu where ${influxHosts(hosts)} ` +
      `and time >= '${rfc3339(w.start)}' and time < '${rfc3339(w.end)}' group by time(${bucket})`,
    sql:
      `SELECT time_bucket(${sqlBucket}, time) AS bucket, ${metrics.map((m) => `max(${m}) AS max_${m}`).join(", ")} ` +
      `FROM cpu WHERE ${sqlHosts(hosts)} AND time >= ${sqlTime(w.start)} AND time < ${sqlTime(w.end)} ` +
      "GROUP BY bucket ORDER BY bucket",
  };
}

function doubleGroupBy(rng: Prng, r: QueryRange, type: QueryType, metrics: readonly string[]): BenchQuery {
  const w = randomWindow(rng, r, DOUBLE_GROUPBY_WINDOW_NS);
  return {
    type,
    influxql:
      `SELECT ${metrics.map((m) => `mean(${m})`).join(", ")} from cpu ` +
      `where time >= '${rfc3339(w.start)}' and time < '${rfc3339(w.end)}' group by time(1h),hostname`,
    sql:
      `SELECT time_bucket(INTERVAL 1 HOUR, time) AS bucket, hostname, ` +
      `${metrics.map((m) => `avg(${m}) AS mean_${m}`).join(", ")} FROM cpu ` +
      `WHERE time >= ${sqlTime(w.start)} AND time < ${sqlTime(w.end)} ` +
      "GROUP BY bucket, hostname ORDER BY hostname, bucket",
  };
}

/** One query of `type` with hosts and window drawn from `rng`. */
export function makeQuery(type: QueryType, rng: Prng, r: QueryRange): BenchQuery {
  switch (type) {
    case "single-groupby-1-1-1":
      return groupByTime(
        rng,
        r,
        type,
        CPU_FIELDS.slice(0, 1),
        1,
        BigInt(SINGLE_GROUPBY_HOURS["1-1-1"]) * HOUR_NS,
        "1m",
      );
    case "single-groupby-1-8-1":
      return groupByTime(
        rng,
        r,
        type,
        CPU_FIELDS.slice(0, 1),
        8,
        BigInt(SINGLE_GROUPBY_HOURS["1-8-1"]) * HOUR_NS,
        "1m",
      );
    case "single-groupby-5-1-12":
      return groupByTime(
        rng,
        r,
        type,
        CPU_FIELDS.slice(0, 5),
        1,
        BigInt(SINGLE_GROUPBY_HOURS["5-1-12"]) * HOUR_NS,
        "1m",
      );
    case "cpu-max-all-8":
      return groupByTime(rng, r, type, CPU_FIELDS, 8, MAX_ALL_WINDOW_NS, "1h");
    case "double-groupby-1":
      return doubleGroupBy(rng, r, type, CPU_FIELDS.slice(0, 1));
    case "double-groupby-all":
      return doubleGroupBy(rng, r, type, CPU_FIELDS);
    case "high-cpu-1": {
      const w = randomWindow(rng, r, HIGH_CPU_WINDOW_NS);
      const hosts = randomHosts(rng, r, 1);
      return {
        type,
        influxql:
          `SELECT * from cpu where usage_user > 90.0 and time >= '${rfc3339(w.start)}' ` +
          `and time < '${rfc3339(w.end)}' and ${influxHosts(hosts)}`,
        sql:
          `SELECT * FROM cpu WHERE usage_user > 90.0 AND time >= ${sqlTime(w.start)} ` +
          `AND time < ${sqlTime(w.end)} AND ${sqlHosts(hosts)} ORDER BY time`,
      };
    }
    case "lastpoint":
      return {
        type,
        influxql: `SELECT * from cpu group by "hostname" order by time desc limit 1`,
        // The latest row per host: a per-host max(time) joined back, as TSBS's SQL forms do.
        sql:
          "SELECT c.* FROM cpu c JOIN (SELECT hostname, max(time) AS time FROM cpu GROUP BY hostname) l " +
          "ON c.hostname = l.hostname AND c.time = l.time ORDER BY c.hostname",
      };
    case "groupby-orderby-limit": {
      const w = randomWindow(rng, r, ORDERBY_LIMIT_WINDOW_NS);
      // InfluxQL 1.x answers this with the first five minutes of the data (ascending); TSBS's SQL forms ask
      // for the last five before the bound. Both are what TSBS sends to each kind of database.
      return {
        type,
        influxql: `SELECT max(usage_user) from cpu WHERE time < '${rfc3339(w.end)}' group by time(1m) limit 5`,
        sql:
          `SELECT time_bucket(INTERVAL 1 MINUTE, time) AS bucket, max(usage_user) AS max_usage_user FROM cpu ` +
          `WHERE time < ${sqlTime(w.end)} GROUP BY bucket ORDER BY bucket DESC LIMIT 5`,
      };
    }
  }
}

/** `draws` queries of each type, deterministic for the seed. */
export function makeQuerySet(
  r: QueryRange,
  draws: number,
  seed: number,
  types: readonly QueryType[] = QUERY_TYPES,
): Map<QueryType, BenchQuery[]> {
  const out = new Map<QueryType, BenchQuery[]>();
  types.forEach((type, i) => {
    const rng = new Prng(seed * 31 + i);
    out.set(
      type,
      Array.from({ length: draws }, () => makeQuery(type, rng, r)),
    );
  });
  return out;
}
