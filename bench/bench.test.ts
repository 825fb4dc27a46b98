// Smoke test of the bench harness at a tiny scale: generator determinism, query generation, argument
// parsing, the cost model and a harness run that yields a result object. Asserts shapes, never timings.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { costModel, timestreamRecordBytes } from "./cost.ts";
import { LOW_LATENCY_POLLER } from "./pipeline.ts";
import { makeQuerySet, QUERY_TYPES } from "./queries.ts";
import { parseArgs, runBench, SECTIONS, toMarkdown } from "./run.ts";
import {
  CPU_FIELDS,
  countLines,
  cpuRows,
  hostTags,
  lineBatches,
  REGIONS,
  rowCount,
  TSBS_DEFAULT_START_NS,
  tsbsOptions,
} from "./tsbs.ts";

const concat = (parts: Uint8Array[]): string => parts.map((p) => new TextDecoder().decode(p)).join("");

describe("tsbs generator", () => {
  it("produces the same bytes for the same seed and different bytes for another seed", () => {
    const a = concat([...lineBatches(tsbsOptions({ hosts: 3, hours: 0.1, seed: 7 }), 50)]);
    const b = concat([...lineBatches(tsbsOptions({ hosts: 3, hours: 0.1, seed: 7 }), 50)]);
    const c = concat([...lineBatches(tsbsOptions({ hosts: 3, hours: 0.1, seed: 8 }), 50)]);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it("emits time-major batches of the requested size with every row once", () => {
    const o = tsbsOptions({ hosts: 4, hours: 0.05, seed: 1 });
    const batches = [...lineBatches(o, 7)];
    assert.equal(
      batches.reduce((n, b) => n + countLines(b), 0),
      rowCount(o),
    );
    for (const b of batches.slice(0, -1)) assert.equal(countLines(b), 7);
    const lines = concat(batches).trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^cpu,hostname=host_0,region=[a-z0-9-]+,datacenter=/);
    assert.match(lines[1] ?? "", /^cpu,hostname=host_1,/);
    assert.ok(lines[0]?.endsWith(` ${TSBS_DEFAULT_START_NS}`));
    assert.ok(lines[4]?.endsWith(` ${TSBS_DEFAULT_START_NS + 10_000_000_000n}`));
  });

  it("writes integers as `58i` and floats with two decimals, all within [0, 100]", () => {
    const int = concat([...lineBatches(tsbsOptions({ hosts: 2, hours: 0.05, form: "int" }), 100)]);
    const float = concat([...lineBatches(tsbsOptions({ hosts: 2, hours: 0.05, form: "float" }), 100)]);
    assert.match(int, /usage_user=\d+i,/);
    assert.match(float, /usage_user=\d+\.\d\d,/);
    for (const row of cpuRows(tsbsOptions({ hosts: 5, hours: 0.5, form: "float" }))) {
      for (const v of row.values) assert.ok(v >= 0 && v <= 100, `value ${v} out of range`);
      assert.equal(row.values.length, CPU_FIELDS.length);
    }
  });

  it("draws host tags from TSBS's value sets", () => {
    for (const t of hostTags({ hosts: 50, seed: 3 })) {
      const region = REGIONS.find((r) => r.region === t.region);
      assert.ok(region, `unknown region ${t.region}`);
      assert.ok(region.zones.includes(t.datacenter));
      assert.ok(Number(t.rack) >= 0 && Number(t.rack) < 100);
      assert.ok(Number(t.service) >= 0 && Number(t.service) < 20);
    }
  });
});

describe("queries", () => {
  const range = {
    hosts: 20,
    startNs: TSBS_DEFAULT_START_NS,
    endNs: TSBS_DEFAULT_START_NS + 86_400_000_000_000n,
  };

  it("makes every TSBS type, deterministically for a seed", () => {
    const a = makeQuerySet(range, 3, 5);
    const b = makeQuerySet(range, 3, 5);
    assert.deepEqual([...a.keys()], [...QUERY_TYPES]);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, makeQuerySet(range, 3, 6));
  });

  it("writes the InfluxQL forms with hosts and windows inside the data", () => {
    const set = makeQuerySet(range, 4, 1);
    const one = set.get("single-groupby-1-8-1")?.[0];
    assert.ok(one);
    assert.equal(one.influxql.match(/hostname = 'host_\d+'/g)?.length, 8);
    assert.match(one.influxql, /^SELECT max\(usage_user\) from cpu where \(hostname = /);
    assert.match(one.influxql, /group by time\(1m\)$/);
    const all = set.get("double-groupby-all")?.[0];
    assert.equal(all?.influxql.match(/mean\(/g)?.length, 10);
    assert.match(all?.influxql ?? "", /group by time\(1h\),hostname$/);
    assert.equal(
      set.get("lastpoint")?.[0]?.influxql,
      `SELECT * from cpu group by "hostname" order by time desc limit 1`,
    );
    for (const qs of set.values()) {
      for (const q of qs) {
        for (const m of q.influxql.matchAll(/'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'/g)) {
          const ns = BigInt(Date.parse(m[1] as string)) * 1_000_000n;
          assert.ok(ns >= range.startNs && ns <= range.endNs, `${m[1]} outside the data`);
        }
        assert.match(q.sql, /FROM cpu/);
      }
    }
  });
});

describe("harness", () => {
  it("parses flags, with --quick choosing the small scale", () => {
    const q = parseArgs(["--quick"]);
    assert.equal(q.hosts, 10);
    assert.equal(q.hours, 2);
    assert.deepEqual(q.forms, ["int", "float"]);
    const f = parseArgs(["--hosts", "7", "--hours=3", "--form", "float", "--sections", "ingest,queries"]);
    assert.deepEqual([f.hosts, f.hours, f.forms, f.sections], [7, 3, ["float"], ["ingest", "queries"]]);
    assert.equal(q.ingestRounds, 1);
    assert.equal(parseArgs([]).ingestRounds, 3);
    assert.equal(q.coldDraws.get("single-groupby-1-1-1"), 3);
    assert.equal(q.coldDraws.get("lastpoint"), 0);
    assert.ok(q.sections.includes("lambda"));
    const r = parseArgs(["--rounds", "5", "--cold-draws", "7", "--draws", "7"]);
    assert.deepEqual(
      [r.ingestRounds, r.coldDraws.get("single-groupby-1-1-1"), r.coldDraws.get("lastpoint")],
      [5, 7, 3],
    );
    assert.throws(() => parseArgs(["--rounds", "0"]), /--rounds must be a positive number/);
    assert.throws(() => parseArgs(["--form", "text"]), /--form/);
    assert.throws(() => parseArgs(["--sections", "vibes"]), /unknown section/);
  });

  it("prices the peers even when our numbers are missing", () => {
    assert.ok(timestreamRecordBytes() > 100 && timestreamRecordBytes() <= 1024);
    const m = costModel(undefined, 1000, 300_000, 1);
    assert.ok(m.rows.some((r) => r[2] === 0.5));
    assert.ok(m.rows.some((r) => r[1] === "not available"));
  });

  it("produces a result object, marking sections without their dependency as not available", async () => {
    const opts = {
      ...parseArgs(["--hosts", "2", "--hours", "0.05", "--form", "int", "--draws", "1"]),
      disable: ["server", "influxd", "parser", "lambda"] as const,
      resultsDir: undefined,
      freshnessSamples: 1,
    };
    const r = await runBench(opts);
    assert.deepEqual(Object.keys(r.sections), [...SECTIONS]);
    for (const s of ["parse", "ingest", "freshness", "memory", "lambda"] as const) {
      assert.equal(r.sections[s]?.status, "not available", s);
      assert.ok((r.sections[s]?.reasons.length ?? 0) > 0, s);
    }
    // DuckDB is in-process, so storage and queries still report its numbers.
    assert.equal(r.sections.compaction?.status, "ok");
    assert.equal(r.sections.queries?.status, "ok");
    assert.equal(typeof r.machine.duckdb, "string");
    assert.match(toMarkdown(r), /not available: ours: disabled for this run/);
  });

  it("runs our side end to end against a stand-in server (spawn, ingest, compaction, queries, freshness)", async () => {
    const opts = {
      ...parseArgs(["--hosts", "2", "--hours", "0.05", "--form", "int", "--draws", "1"]),
      disable: ["influxd", "lambda"] as const,
      serverEntry: fileURLToPath(new URL("./fake-server.ts", import.meta.url)),
      resultsDir: undefined,
      freshnessSamples: 1,
      compactionTimeoutMs: 20_000,
      ingestRounds: 2,
    };
    const r = await runBench(opts);
    for (const s of ["parse", "ingest", "compaction", "freshness", "queries", "memory", "cost"] as const) {
      assert.equal(r.sections[s]?.status, "ok", `${s}: ${r.sections[s]?.reasons.join("; ")}`);
    }
    const storage = r.sections.compaction?.tables[0]?.rows[0];
    assert.equal(typeof storage?.[1], "number", "our bytes/row");
    const q = r.sections.queries?.tables[0]?.rows[0];
    assert.equal(typeof q?.[1], "number", "our query median");
    assert.equal(typeof q?.[6], "number", "DuckDB over our Parquet");
    assert.deepEqual(
      r.sections.queries?.data.explain,
      QUERY_TYPES.map((t) => `${t}: x-sediment-explain: fake`),
    );
    assert.equal(typeof r.sections.cost?.tables[0]?.rows[0]?.[1], "number");
    // Two interleaved ingest rounds on our side (influxd disabled): the median of both is reported.
    const rounds = r.sections.ingest?.data.int as {
      oursRowsPerSecond: number[];
      influxdRowsPerSecond: number[];
    };
    assert.equal(rounds.oursRowsPerSecond.length, 2);
    assert.equal(rounds.influxdRowsPerSecond.length, 0);
    assert.equal(r.sections.ingest?.tables[0]?.rows[0]?.[2], "2/0");
    assert.equal(typeof r.sections.ingest?.tables[0]?.rows[0]?.[3], "number");
  });

  it("runs the Lambda functions on the S3/SQS emulator (load, merge, cold and warm queries, freshness, memory)", async (t) => {
    const opts = {
      ...parseArgs([
        "--hosts",
        "2",
        "--hours",
        "0.05",
        "--form",
        "int",
        "--draws",
        "1",
        "--sections",
        "lambda",
      ]),
      disable: ["server", "influxd", "parser"] as const,
      resultsDir: undefined,
      freshnessSamples: 1,
      coldDraws: new Map([["single-groupby-1-1-1", 1] as const]),
      lambdaPollers: { load: LOW_LATENCY_POLLER, freshness: [LOW_LATENCY_POLLER] },
      lambdaDrainTimeoutMs: 60_000,
    };
    const r = await runBench(opts);
    const sec = r.sections.lambda;
    const reasons = sec?.reasons.join("; ") ?? "";
    if (sec?.status !== "ok" && /emulator did not start/.test(reasons)) {
      t.skip(reasons);
      return;
    }
    assert.equal(sec?.status, "ok", reasons);
    const rows = rowCount(tsbsOptions({ hosts: 2, hours: 0.05 }));
    const p = sec?.data.pipeline as import("./pipeline.ts").PipelineResult;
    assert.equal(p.load.rows, rows);
    assert.equal(p.countCheck.got, rows, "every written row is counted by a query after the merges");
    assert.equal(p.compactor.failures, 0);
    assert.ok(p.compactor.rowsPerCpuSecond > 0 && Number.isFinite(p.compactor.rowsPerCpuSecond));
    assert.ok(p.merge.merged >= 1);
    assert.ok(p.dataset.bytes > 0 && p.dataset.objects >= 1);
    assert.deepEqual(
      p.functions.map((f) => f.function),
      ["writer", "compactor", "merge", "query (warm)", "query (cold)"],
    );
    for (const f of p.functions) {
      assert.ok(f.peakRssBytes > 0, f.function);
      // maxRSS would carry the bench process's peak into every child: the functions' own VmHWM is used.
      if (process.platform === "linux") assert.equal(f.rssSource, "VmHWM", f.function);
    }
    const cold = p.cold["single-groupby-1-1-1"];
    assert.equal(cold?.firstMs.length, 1, cold?.errors.join("; "));
    assert.ok(
      (cold?.bytes[0] ?? 0) > 0 && (cold?.requests[0] ?? 0) >= 1,
      "explain reports bytes and requests",
    );
    assert.deepEqual(Object.keys(p.warm), [...QUERY_TYPES]);
    assert.equal(p.freshness.length, 1);
    assert.equal(p.freshness[0]?.ms.length, 1, p.freshness[0]?.error);
    assert.deepEqual(
      sec?.tables.map((tb) => tb.rows.length),
      [1, QUERY_TYPES.length, 1, 5, 2],
    );
    assert.equal(sec?.tables[1]?.rows[0]?.[0], "single-groupby-1-1-1");
    assert.equal(typeof sec?.tables[1]?.rows[0]?.[2], "number", "cold median");
    assert.equal(typeof sec?.tables[1]?.rows[0]?.[4], "number", "cold CPU ms");
    assert.equal(typeof sec?.tables[4]?.rows[0]?.[4], "number", "compactor rows per CPU-second");
    assert.equal(cold?.secondMs.length, 1);
    assert.match(toMarkdown(r), /## lambda/);
  });
});
