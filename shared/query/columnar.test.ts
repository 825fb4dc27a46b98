import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MeasurementEntry } from "../catalog/port.ts";
import { ManualClock } from "../core/clock.ts";
import { parseQuery } from "../influxql/parser.ts";
import type { FieldType, FieldValue } from "../lineprotocol/types.ts";
import { prng } from "../parquet/tsbs.ts";
import { splitCondition } from "./columnar.ts";
import { timeOffsets } from "./columns.ts";
import { type ExecDeps, executeQuery, type StatementResult } from "./executor.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { emptyStats } from "./source.ts";
import { CountingStore, FakeCatalog, type TestPoint, writeContractFile } from "./testkit.ts";

const T0 = 1_451_606_400_000_000_000n; // 2016-01-01T00:00:00Z
const S = 1_000_000_000n;
const DAY = 86_400n * S;

const m: MeasurementEntry = {
  name: "m",
  tagKeys: ["host", "region"],
  fields: new Map<string, FieldType>([
    ["f", "float"],
    ["g", "float"],
    ["i", "integer"],
    ["b", "boolean"],
    ["s", "string"],
  ]),
};

interface Dataset {
  readonly catalog: FakeCatalog;
  readonly store: CountingStore;
}

/**
 * Random points over two days: three hosts, a region tag some points lack, nullable fields, a field
 * (`g`) that only some files have, and (with `overlap`) level-0 files that repeat keys of other files
 * with newer sequences, so the dedup merge and the batch path meet in one query.
 */
function dataset(seed: number, overlap: boolean): Dataset {
  const rnd = prng(seed);
  const store = new CountingStore();
  const catalog = new FakeCatalog(store);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  // Quarters keep float sums exact whatever the order; h3 has no nulls, so some pages have none.
  const value = (nulls = 0.2): number | null =>
    rnd() < nulls ? null : Math.round((rnd() * 40 - 10) * 4) / 4;
  const point = (time: bigint, host: string, seq: bigint, withG: boolean): TestPoint => {
    const fields: Record<string, FieldValue | null> = {
      f: value(host === "h3" ? 0 : 0.2),
      i: rnd() < 0.2 ? null : BigInt(Math.floor(rnd() * 100) - 50),
      b: rnd() < 0.3 ? null : rnd() < 0.5,
      s: rnd() < 0.3 ? null : pick(["x", "y", "z"]),
    };
    if (withG) fields.g = value();
    const tags: Record<string, string> = rnd() < 0.3 ? { host } : { host, region: pick(["r1", "r2"]) };
    return { time, seq, tags, fields };
  };
  const keys = new Set<string>();
  const series = (p: TestPoint): string => `${p.tags.host}|${p.tags.region ?? ""}|${p.time}`;
  for (let day = 0; day < 2; day++) {
    const withG = day === 0;
    const points: TestPoint[] = [];
    for (const host of ["h1", "h2", "h3"]) {
      let t = T0 + BigInt(day) * DAY + BigInt(Math.floor(rnd() * 600)) * S;
      const n = 150 + Math.floor(rnd() * 100);
      for (let k = 0; k < n; k++) {
        const p = point(t, host, 10n + BigInt(day), withG);
        if (!keys.has(series(p))) {
          keys.add(series(p));
          points.push(p);
        }
        // Gaps from a second to an hour; times repeat across hosts.
        t += BigInt(1 + Math.floor(rnd() * (rnd() < 0.05 ? 3600 : 120))) * S;
      }
    }
    const file = writeContractFile(points, m.tagKeys, m.fields, {
      rowGroupSize: 200,
      pageSize: 2048,
      columnIndex: true,
    });
    const dayName = day === 0 ? "2016-01-01" : "2016-01-02";
    catalog.add("db", m, dayName, file);
    if (overlap && day === 1) {
      // Newer writes to some of the same keys (and some new ones) in a level-0 file.
      const again = points
        .filter(() => rnd() < 0.3)
        .map((p) => ({ ...point(p.time, p.tags.host as string, 20n, false), tags: p.tags }));
      catalog.add("db", m, dayName, writeContractFile(again, m.tagKeys, m.fields, { level: 0 }));
    }
  }
  return { catalog, store };
}

async function run(d: Dataset, q: string, rowEngine: boolean): Promise<StatementResult[]> {
  const deps: ExecDeps = {
    catalog: d.catalog,
    store: d.store,
    clock: new ManualClock(T0 + 3n * DAY),
    limits: DEFAULT_LIMITS,
    rowEngine,
  };
  return executeQuery(parseQuery(q), deps, "db", emptyStats());
}

const W = `time >= '2016-01-01T00:20:00Z' AND time < '2016-01-02T18:00:00Z'`;
const QUERIES = [
  `SELECT count(f), sum(f), mean(f), min(f), max(f), first(f), last(f), spread(f), stddev(f) FROM m WHERE ${W} GROUP BY time(10m)`,
  `SELECT count(f), mean(f), max(f), last(f) FROM m WHERE ${W} GROUP BY time(1h), host`,
  `SELECT min(f), first(f), count(g), max(g) FROM m WHERE ${W} GROUP BY time(30m), region fill(none)`,
  `SELECT max(g), count(i), last(b), min(i), sum(i), first(s), count(s) FROM m GROUP BY time(1h), * fill(none)`,
  `SELECT mean(f), count(f) FROM m WHERE host = 'h1' AND f > 0 AND ${W} GROUP BY time(30m)`,
  `SELECT mean(f), mean(g), sum(g), stddev(f), spread(g), count(f) FROM m WHERE ${W} GROUP BY time(2h), host`,
  `SELECT max(f) FROM m WHERE host =~ /h[12]/ AND region != 'r2' AND f <= 20 GROUP BY host`,
  "SELECT last(*) FROM m GROUP BY host",
  "SELECT first(f), last(g), count(g) FROM m",
  `SELECT count(f) FROM m WHERE (f != 2 OR host = 'h2') AND ${W} GROUP BY time(1h)`,
  `SELECT max(f) FROM m WHERE time < '2016-01-02T12:00:00Z' GROUP BY time(1m) LIMIT 5`,
  `SELECT max(f) FROM m WHERE ${W} GROUP BY time(1m) ORDER BY time DESC LIMIT 5`,
  "SELECT * FROM m WHERE f > 15.5 AND host =~ /h[13]/",
  "SELECT * FROM m GROUP BY host ORDER BY time DESC LIMIT 2",
  "SELECT f, s FROM m ORDER BY time DESC LIMIT 3 OFFSET 1",
  "SELECT g FROM m WHERE region = 'r1' LIMIT 4",
  "SELECT f, g FROM m GROUP BY region LIMIT 3 OFFSET 2",
  `SELECT f * 2 FROM m WHERE ${W} AND g < 0 ORDER BY time DESC LIMIT 7`,
];

describe("batch path vs row path", () => {
  for (const overlap of [false, true]) {
    for (const seed of [1, 2, 3]) {
      it(`answers every query as the row engine does (seed ${seed}${overlap ? ", with dedup" : ""})`, async () => {
        const d = dataset(seed, overlap);
        for (const q of QUERIES) {
          const fast = await run(d, q, false);
          const slow = await run(d, q, true);
          assert.deepEqual(fast, slow, q);
          assert.ok(
            slow.every((r) => r.error === undefined),
            `${q}: ${slow.map((r) => r.error).join(", ")}`,
          );
        }
        // The data reaches the answers at all (an empty dataset would make the comparison vacuous).
        const all = await run(d, "SELECT count(f) FROM m", false);
        assert.ok(Number(all[0]?.series?.[0]?.values[0]?.[1]) > 300);
      });
    }
  }
});

describe("timeOffsets", () => {
  it("gives exact offsets from the minimum, including across 2^32 ns and negative times", () => {
    const times = [T0 + 5n, T0, T0 + (1n << 33n) + 7n, T0 + 1n, -5n * S].map((t) => t);
    const { base, off, offExact } = timeOffsets(BigInt64Array.from(times.slice(0, 4)));
    assert.equal(base, T0);
    assert.deepEqual([...off], [5, 0, 2 ** 33 + 7, 1]);
    assert.equal(offExact, true);
    const wide = timeOffsets(BigInt64Array.from(times));
    assert.equal(wide.base, -5n * S);
    assert.equal(wide.offExact, false);
  });
});

describe("splitCondition", () => {
  const isTag = (n: string) => n === "host";
  const type = (n: string) => m.fields.get(n);
  const where = (c: string) => {
    const stmt = parseQuery(`SELECT f FROM m WHERE ${c}`).statements[0];
    return stmt?.kind === "select" ? stmt.condition : undefined;
  };
  it("is exact for time bounds, tag tests and float comparisons joined by AND", () => {
    const s = splitCondition(where("time > 5 AND host = 'a' AND 2.5 <= f AND f != 3"), isTag, type);
    assert.equal(s.exact, true);
    assert.equal(s.tags.length, 1);
    assert.deepEqual(s.floats, [
      { field: "f", op: ">=", value: 2.5 },
      { field: "f", op: "!=", value: 3 },
    ]);
  });
  it("is not exact for OR, time !=, integer fields or arithmetic", () => {
    for (const c of ["f > 1 OR host = 'a'", "time != 5", "i > 3", "f + 1 > 2", "s = 'x'"]) {
      assert.equal(splitCondition(where(c), isTag, type).exact, false, c);
    }
  });
});

describe("page narrowing with the batch path", () => {
  const zm: MeasurementEntry = { name: "z", tagKeys: ["az", "host"], fields: new Map([["f", "float"]]) };
  const points: TestPoint[] = [];
  for (const host of ["h1", "h2", "h3", "h4"]) {
    for (let k = 0; k < 400; k++) {
      points.push({
        time: T0 + BigInt(k) * 10n * S,
        tags: { host, az: k % 2 === 0 ? "a" : "b" },
        fields: { f: (k % 37) + (host === "h2" ? 0.5 : 0) },
      });
    }
  }
  const load = (sortKey: string[]) => {
    const store = new CountingStore();
    const catalog = new FakeCatalog(store);
    const file = writeContractFile(points, sortKey, zm.fields, {
      rowGroupSize: 2000,
      pageSize: 400,
      columnIndex: true,
    });
    catalog.add("db", zm, "2016-01-01", file);
    return { store, catalog };
  };
  const q = `SELECT max(f), count(f) FROM z WHERE host = 'h2' AND time < '2016-01-01T01:00:00Z' GROUP BY time(10m), az`;
  const exec = async (d: Dataset, rowEngine: boolean) => {
    const stats = emptyStats();
    const deps: ExecDeps = {
      catalog: d.catalog,
      store: d.store,
      clock: new ManualClock(T0 + DAY),
      limits: DEFAULT_LIMITS,
      rowEngine,
    };
    return { results: await executeQuery(parseQuery(q), deps, "db", stats), stats };
  };

  it("reads about one host's pages when the host leads the sort order", async () => {
    const { results, stats } = await exec(load(["host", "az"]), false);
    assert.equal(results[0]?.series?.length, 2);
    // 400 rows of h2 among 1,600; pages of ~50 rows may reach one page into each neighbour.
    assert.ok(stats.rowsScanned <= 400 + 200, `scanned ${stats.rowsScanned}`);
    assert.deepEqual(results, (await exec(load(["host", "az"]), true)).results);
  });

  it("gives the same answer when the host does not lead (and reads more)", async () => {
    const leading = await exec(load(["host", "az"]), false);
    const trailing = await exec(load(["az", "host"]), false);
    assert.deepEqual(trailing.results, leading.results);
    assert.ok(trailing.stats.rowsScanned > leading.stats.rowsScanned);
  });
});
