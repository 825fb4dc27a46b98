import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MeasurementEntry } from "../catalog/port.ts";
import { ManualClock } from "../core/clock.ts";
import type { HttpResponse } from "../http/types.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import type { FieldType } from "../lineprotocol/types.ts";
import type { WalRecord } from "../wal/port.ts";
import { createQueryHandler, type QueryHandlerDeps } from "./endpoint.ts";
import { CountingStore, FakeCatalog, type TestPoint, writeContractFile } from "./testkit.ts";

const T0 = 1_451_606_400_000_000_000n; // 2016-01-01T00:00:00Z
const S = 1_000_000_000n;
const MIN = 60n * S;

const cpu: MeasurementEntry = {
  name: "cpu",
  tagKeys: ["host", "region"],
  fields: new Map<string, FieldType>([
    ["usage", "float"],
    ["n", "integer"],
  ]),
};

function setup(extra: Partial<QueryHandlerDeps> = {}) {
  const store = new CountingStore();
  const catalog = new FakeCatalog(store);
  const clock = new ManualClock(T0 + 24n * 60n * MIN);
  const logs: Record<string, unknown>[] = [];
  const handler = createQueryHandler({ catalog, store, clock, log: (e) => logs.push(e), ...extra });
  const add = (
    points: TestPoint[],
    opts: {
      level?: number;
      rowGroupSize?: number;
      pageSize?: number;
      columnIndex?: boolean;
      m?: MeasurementEntry;
    } = {},
  ) => {
    const m = opts.m ?? cpu;
    return catalog.add("db", m, "2016-01-01", writeContractFile(points, m.tagKeys, m.fields, opts));
  };
  const query = async (
    q: string,
    params: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) => {
    const r = await handler({
      method: "GET",
      path: "/query",
      query: new URLSearchParams({ db: "db", q, ...params }),
      headers,
      body: new Uint8Array(),
    });
    return r;
  };
  return { store, catalog, clock, handler, add, query, logs };
}

// biome-ignore lint/suspicious/noExplicitAny: tests walk parsed JSON answers
const body = (r: HttpResponse): any => JSON.parse(String(r.body));
// biome-ignore lint/suspicious/noExplicitAny: tests walk parsed JSON answers
const series = (r: HttpResponse, statement = 0): any[] => body(r).results[statement].series ?? [];

const pt = (
  minute: bigint,
  host: string,
  fields: Record<string, number | bigint | null>,
  seq = 1n,
): TestPoint => ({
  time: T0 + minute * MIN,
  seq,
  tags: { host, region: "eu" },
  fields,
});

describe("SELECT aggregates", () => {
  it("GROUP BY time(1m), host with fill(null) returns one row per window, empty windows null (count 0)", async () => {
    const { add, query } = setup();
    const halfMinuteLater = { ...pt(0n, "a", { usage: 3 }), time: T0 + 30n * S };
    add([pt(0n, "a", { usage: 1 }), halfMinuteLater, pt(2n, "a", { usage: 5 }), pt(1n, "b", { usage: 7 })]);
    const r = await query(
      "SELECT mean(usage), count(usage) FROM cpu WHERE time >= '2016-01-01T00:00:00Z' AND time < '2016-01-01T00:03:00Z' GROUP BY time(1m), host fill(null)",
    );
    assert.equal(r.status, 200);
    const s = series(r);
    assert.deepEqual(
      s.map((x) => x.tags),
      [{ host: "a" }, { host: "b" }],
    );
    assert.deepEqual(s[0].columns, ["time", "mean", "count"]);
    assert.deepEqual(s[0].values, [
      ["2016-01-01T00:00:00Z", 2, 2],
      ["2016-01-01T00:01:00Z", null, 0],
      ["2016-01-01T00:02:00Z", 5, 1],
    ]);
    // count() reports 0 rather than null for an empty window.
    assert.deepEqual(s[1].values, [
      ["2016-01-01T00:00:00Z", null, 0],
      ["2016-01-01T00:01:00Z", 7, 1],
      ["2016-01-01T00:02:00Z", null, 0],
    ]);
  });

  const fills: [fill: string, expected: unknown[]][] = [
    ["fill(none)", [1, 4]],
    ["fill(0)", [1, 0, 0, 4]],
    ["fill(previous)", [1, 1, 1, 4]],
    ["fill(linear)", [1, 2, 3, 4]],
  ];
  for (const [fill, expected] of fills) {
    it(`${fill} fills empty windows`, async () => {
      const { add, query } = setup();
      add([pt(0n, "a", { usage: 1 }), pt(3n, "a", { usage: 4 })]);
      const r = await query(
        `SELECT max(usage) FROM cpu WHERE time >= '2016-01-01T00:00:00Z' AND time <= '2016-01-01T00:03:59Z' GROUP BY time(1m) ${fill}`,
      );
      assert.deepEqual(
        series(r)[0].values.map((v: unknown[]) => v[1]),
        expected,
      );
    });
  }

  it("aligns windows to the epoch plus the offset", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1 }), pt(7n, "a", { usage: 2 })]);
    const r = await query(
      "SELECT sum(usage) FROM cpu WHERE time >= '2016-01-01T00:00:00Z' AND time < '2016-01-01T00:10:00Z' GROUP BY time(5m, 2m) fill(none)",
      { epoch: "s" },
    );
    const t0s = Number(T0 / S);
    assert.deepEqual(series(r)[0].values, [
      [t0s - 180, 1],
      [t0s + 420, 2],
    ]);
  });

  it("without GROUP BY time: selectors return the point's time, aggregates the query start", async () => {
    const { add, query } = setup();
    add([pt(1n, "a", { usage: 9, n: 4n }), pt(2n, "b", { usage: 2, n: 6n })]);
    const max = await query("SELECT max(usage) FROM cpu");
    assert.deepEqual(series(max)[0].values, [["2016-01-01T00:01:00Z", 9]]);
    const mean = await query("SELECT mean(usage), sum(n) FROM cpu");
    assert.deepEqual(series(mean)[0].values, [["1970-01-01T00:00:00Z", 5.5, 10]]);
    const bounded = await query("SELECT mean(usage) FROM cpu WHERE time >= '2016-01-01T00:00:30Z'");
    assert.deepEqual(series(bounded)[0].values, [["2016-01-01T00:00:30Z", 5.5]]);
  });

  it("names repeated functions mean, mean_1 and honours aliases", async () => {
    const { add, query } = setup();
    add([pt(1n, "a", { usage: 1, n: 3n })]);
    const r = await query("SELECT mean(usage), mean(n), last(usage) AS latest, usage_x FROM cpu");
    assert.match(body(r).results[0].error, /mixing aggregate and non-aggregate/);
    const ok = await query("SELECT mean(usage), mean(n), last(usage) AS latest, max(usage) * 2 FROM cpu");
    assert.deepEqual(series(ok)[0].columns, ["time", "mean", "mean_1", "latest", "max"]);
    assert.deepEqual(series(ok)[0].values[0].slice(1), [1, 3, 1, 2]);
  });

  it("expands fn(*) to one column per field, as TSBS lastpoint asks", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1, n: 5n }), pt(1n, "a", { usage: 2 }), pt(0n, "b", { usage: 3, n: 7n })]);
    const r = await query("SELECT last(*) FROM cpu GROUP BY host");
    const s = series(r);
    assert.deepEqual(s[0].columns, ["time", "last_n", "last_usage"]);
    assert.deepEqual(
      s.map((x) => x.values[0].slice(1)),
      [
        [5, 2],
        [7, 3],
      ],
    );
  });

  it("accepts Grafana's epoch-millisecond time filter", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1 }), pt(5n, "a", { usage: 2 }), pt(10n, "a", { usage: 4 })]);
    const from = T0 / 1_000_000n + 60_000n;
    const to = T0 / 1_000_000n + 11n * 60_000n;
    const r = await query(
      `SELECT mean("usage") FROM "cpu" WHERE ("host" =~ /^(a|b)$/) AND time >= ${from}ms and time <= ${to}ms GROUP BY time(5m) fill(null)`,
      { epoch: "ms" },
    );
    const windows = series(r)[0].values.map((v: unknown[]) => [Number(v[0]) - Number(T0 / 1_000_000n), v[1]]);
    assert.deepEqual(windows, [
      [0, null],
      [300_000, 2],
      [600_000, 4],
    ]);
  });

  it("computes median, percentile, spread, stddev, mode, count(distinct()) and distinct()", async () => {
    const { add, query } = setup();
    const vals = [4, 1, 3, 2, 2];
    add(vals.map((v, i) => pt(BigInt(i), "a", { usage: v })));
    const r = await query(
      "SELECT median(usage), percentile(usage, 80), spread(usage), stddev(usage), mode(usage), count(distinct(usage)) FROM cpu",
    );
    const mean = vals.reduce((a, b) => a + b) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (vals.length - 1));
    assert.deepEqual(series(r)[0].values[0].slice(1), [2, 3, 3, sd, 2, 4]);
    const d = await query("SELECT distinct(usage) FROM cpu");
    assert.deepEqual(
      series(d)[0].values.map((v: unknown[]) => v[1]),
      [4, 1, 3, 2],
    );
  });

  it("GROUP BY * orders series by tag values and lists tags by key", async () => {
    const { add, query } = setup();
    add([
      { time: T0, tags: { host: "b", region: "us" }, fields: { usage: 1 } },
      { time: T0, tags: { host: "a", region: "us" }, fields: { usage: 2 } },
      { time: T0, tags: { host: "a", region: "eu" }, fields: { usage: 3 } },
    ]);
    const r = await query("SELECT last(usage) FROM cpu GROUP BY *");
    assert.deepEqual(
      series(r).map((s) => s.tags),
      [
        { host: "a", region: "eu" },
        { host: "a", region: "us" },
        { host: "b", region: "us" },
      ],
    );
    const limited = await query("SELECT last(usage) FROM cpu GROUP BY * SLIMIT 1 SOFFSET 1");
    assert.deepEqual(
      series(limited).map((s) => s.tags),
      [{ host: "a", region: "us" }],
    );
  });
});

describe("dedup", () => {
  it("merges overlapping files field by field, the highest _seq winning", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1, n: 10n }, 1n), pt(1n, "a", { usage: 2, n: 20n }, 1n)], { level: 1 });
    // A later write replaces usage at minute 0 only; n stays from the first write.
    add([pt(0n, "a", { usage: 100, n: null }, 5n)], { level: 0 });
    // An older duplicate must not win.
    add([pt(1n, "a", { usage: -1, n: null }, 0n)], { level: 0 });
    const r = await query("SELECT usage, n FROM cpu");
    assert.deepEqual(series(r)[0].values, [
      ["2016-01-01T00:00:00Z", 100, 10],
      ["2016-01-01T00:01:00Z", 2, 20],
    ]);
    const c = await query("SELECT count(usage), sum(usage) FROM cpu");
    assert.deepEqual(series(c)[0].values[0].slice(1), [2, 102]);
  });

  it("streams merged files of different partitions without the dedup merge", async () => {
    const { catalog, query } = setup();
    const file = (host: string, region: string, level: number) =>
      writeContractFile(
        [{ time: T0, tags: { host, region }, fields: { usage: 1 } }],
        cpu.tagKeys,
        cpu.fields,
        { level },
      );
    catalog.add("db", cpu, "2016-01-01", file("a", "eu", 1), { region: "eu" });
    catalog.add("db", cpu, "2016-01-01", file("b", "us", 1), { region: "us" });
    const apart = await query("SELECT count(usage) FROM cpu", { explain: "true" });
    assert.equal(series(apart)[0].values[0][1], 2);
    assert.equal(JSON.parse(apart.headers["x-sediment-explain"] ?? "{}").mergedRows, 0);
    catalog.add("db", cpu, "2016-01-01", file("a", "eu", 0), { region: "eu" });
    const overlapping = await query("SELECT count(usage) FROM cpu", { explain: "true" });
    assert.equal(series(overlapping)[0].values[0][1], 2);
    assert.equal(JSON.parse(overlapping.headers["x-sediment-explain"] ?? "{}").mergedRows, 1);
  });

  it("merges pending WAL records over files (local mode)", async () => {
    const record: WalRecord = {
      database: "db",
      writeId: "w1",
      receivedAtNs: T0,
      sequence: 9n,
      precision: "ns",
      body: new TextEncoder().encode(
        `cpu,host=a,region=eu usage=42 ${T0}\ncpu,host=a,region=eu usage=43 ${T0 + 5n * MIN}`,
      ),
    };
    const { add, query } = setup({ walTail: { pending: async () => [record] }, parse: parseLineProtocol });
    add([pt(0n, "a", { usage: 1, n: 10n }, 1n)]);
    const r = await query("SELECT usage, n FROM cpu");
    assert.deepEqual(series(r)[0].values, [
      ["2016-01-01T00:00:00Z", 42, 10],
      ["2016-01-01T00:05:00Z", 43, null],
    ]);
  });
});

describe("raw SELECT", () => {
  it("SELECT * returns fields and tags sorted, LIMIT and ORDER BY time DESC", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1, n: 1n }), pt(1n, "b", { usage: 2 }), pt(2n, "a", { usage: 3, n: 3n })]);
    const r = await query("SELECT * FROM cpu ORDER BY time DESC LIMIT 2");
    assert.deepEqual(series(r)[0].columns, ["time", "host", "n", "region", "usage"]);
    assert.deepEqual(series(r)[0].values, [
      ["2016-01-01T00:02:00Z", "a", 3, "eu", 3],
      ["2016-01-01T00:01:00Z", "b", null, "eu", 2],
    ]);
  });

  it("filters on tags, fields and regexes, and applies arithmetic", async () => {
    const { add, query } = setup();
    add([pt(0n, "a1", { usage: 1 }), pt(1n, "b1", { usage: 2 }), pt(2n, "a2", { usage: 3 })]);
    const r = await query("SELECT usage * 10 FROM cpu WHERE host =~ /^a/ AND usage > 1");
    assert.deepEqual(series(r)[0].values, [["2016-01-01T00:02:00Z", 30]]);
    const withTime = await query("SELECT time, usage FROM cpu WHERE host = 'a2'");
    assert.deepEqual(series(withTime)[0], {
      name: "cpu",
      columns: ["time", "usage"],
      values: [["2016-01-01T00:02:00Z", 3]],
    });
    const none = await query("SELECT usage FROM cpu WHERE host = 'zzz'");
    assert.deepEqual(body(none), { results: [{ statement_id: 0 }] });
  });

  it("formats epoch precisions and fractional RFC3339 times", async () => {
    const { add, query } = setup();
    add([{ time: T0 + 500_000_000n, tags: { host: "a" }, fields: { usage: 1 } }]);
    assert.deepEqual(series(await query("SELECT usage FROM cpu"))[0].values[0][0], "2016-01-01T00:00:00.5Z");
    assert.deepEqual(
      series(await query("SELECT usage FROM cpu", { epoch: "ms" }))[0].values[0][0],
      Number(T0 / 1_000_000n) + 500,
    );
    const ns = await query("SELECT usage FROM cpu", { epoch: "ns" });
    assert.match(String(ns.body), new RegExp(`\\[${T0 + 500_000_000n},1\\]`));
  });
});

describe("SHOW", () => {
  it("answers SHOW DATABASES, MEASUREMENTS, TAG KEYS, TAG VALUES, FIELD KEYS, SERIES", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1 }), { time: T0, tags: { host: "b" }, fields: { usage: 1 } }]);
    const r = await query(
      "SHOW DATABASES; SHOW MEASUREMENTS; SHOW TAG KEYS; SHOW TAG VALUES WITH KEY = host; SHOW FIELD KEYS; SHOW SERIES; SHOW TAG VALUES WITH KEY = host WHERE region = 'eu'",
    );
    const res = body(r).results;
    assert.deepEqual(res[0].series[0], { name: "databases", columns: ["name"], values: [["db"]] });
    assert.deepEqual(res[1].series[0].values, [["cpu"]]);
    assert.deepEqual(res[2].series[0], { name: "cpu", columns: ["tagKey"], values: [["host"], ["region"]] });
    assert.deepEqual(res[3].series[0], {
      name: "cpu",
      columns: ["key", "value"],
      values: [
        ["host", "a"],
        ["host", "b"],
      ],
    });
    assert.deepEqual(res[4].series[0].values, [
      ["n", "integer"],
      ["usage", "float"],
    ]);
    assert.deepEqual(res[5].series[0], {
      columns: ["key"],
      values: [["cpu,host=a,region=eu"], ["cpu,host=b"]],
    });
    assert.deepEqual(res[6].series[0].values, [["host", "a"]]);
  });

  it("accepts Go's leading regex flags, as Grafana sends them", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1 })]);
    const r = await query("SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)CPU/ LIMIT 100");
    assert.deepEqual(series(r)[0].values, [["cpu"]]);
  });

  it("answers SHOW TAG VALUES from catalog summaries without reading data", async () => {
    const { add, query, store } = setup();
    add([pt(0n, "b", { usage: 1 }), pt(0n, "a", { usage: 1 })]);
    store.rangeReads = 0;
    const r = await query("SHOW TAG VALUES FROM cpu WITH KEY IN (host, region)");
    assert.deepEqual(series(r)[0].values, [
      ["host", "a"],
      ["host", "b"],
      ["region", "eu"],
    ]);
    assert.equal(store.rangeReads, 0);
  });

  it("reports DROP as not supported yet, and stops at the failing statement", async () => {
    const { query } = setup();
    const r = await query("DROP MEASUREMENT cpu; SHOW DATABASES");
    assert.deepEqual(body(r), {
      results: [{ statement_id: 0, error: "DROP MEASUREMENT is not supported yet" }],
    });
  });
});

describe("HTTP", () => {
  it("400 for a missing q, as InfluxDB words it", async () => {
    const { handler } = setup();
    const r = await handler({
      method: "GET",
      path: "/query",
      query: new URLSearchParams(),
      headers: {},
      body: new Uint8Array(),
    });
    assert.equal(r.status, 400);
    assert.equal(r.body, '{"error":"missing required parameter \\"q\\""}');
  });

  it("400 with the parser's message for a bad query", async () => {
    const { query } = setup();
    const r = await query("SELECT * FRM cpu");
    assert.equal(r.status, 400);
    assert.deepEqual(body(r), { error: "error parsing query: found FRM, expected FROM at line 1, char 10" });
  });

  it("reads q and db from a form-encoded POST body", async () => {
    const { add, handler } = setup();
    add([pt(0n, "a", { usage: 1 })]);
    const r = await handler({
      method: "POST",
      path: "/query",
      query: new URLSearchParams(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new TextEncoder().encode("db=db&q=SELECT+usage+FROM+cpu"),
    });
    assert.deepEqual(series(r)[0].values, [["2016-01-01T00:00:00Z", 1]]);
  });

  it("needs a database for SELECT", async () => {
    const { query } = setup();
    const r = await query("SELECT usage FROM cpu", { db: "" });
    assert.equal(body(r).results[0].error, "database name required");
  });

  it("reports an unknown database per statement", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1 })]);
    const r = await query("SELECT usage FROM cpu", { db: "nope" });
    assert.deepEqual(body(r), { results: [{ statement_id: 0, error: "database not found: nope" }] });
    const qualified = await query('SELECT usage FROM "db"."autogen"."cpu"', { db: "nope" });
    assert.equal(series(qualified)[0].values.length, 1);
  });

  it("answers CSV when asked", async () => {
    const { add, query } = setup();
    add([pt(0n, "a", { usage: 1.5 })]);
    const r = await query("SELECT max(usage) FROM cpu GROUP BY host", {}, { accept: "application/csv" });
    assert.equal(r.headers["content-type"], "application/csv");
    assert.equal(r.body, `name,tags,time,max\ncpu,host=a,${T0},1.5\n`);
  });

  it("answers /api/v3/query_influxql as rows in json, jsonl and csv", async () => {
    const { add, handler } = setup();
    add([pt(0n, "a", { usage: 1.5 })]);
    const ask = (format: string) =>
      handler({
        method: "GET",
        path: "/api/v3/query_influxql",
        query: new URLSearchParams({ db: "db", q: "SELECT usage FROM cpu", format }),
        headers: {},
        body: new Uint8Array(),
      });
    assert.deepEqual(JSON.parse(String((await ask("json")).body)), [
      { "iox::measurement": "cpu", time: "2016-01-01T00:00:00", usage: 1.5 },
    ]);
    assert.equal(
      (await ask("jsonl")).body,
      '{"iox::measurement":"cpu","time":"2016-01-01T00:00:00","usage":1.5}\n',
    );
    assert.equal((await ask("csv")).body, "iox::measurement,time,usage\ncpu,2016-01-01T00:00:00,1.5\n");
  });

  it("stops with a named error when a limit is exceeded", async () => {
    const { add, query } = setup({ limits: { maxPointsScanned: 3 } });
    add([0n, 1n, 2n, 3n, 4n].map((m) => pt(m, "a", { usage: 1 })));
    const r = await query("SELECT count(usage) FROM cpu");
    assert.match(body(r).results[0].error, /^maxPointsScanned limit exceeded: \(5\/3\)/);
  });
});

describe("I/O", () => {
  it("a one-host, one-hour query over many hosts reads a small fraction of the bytes", async () => {
    const { add, store, query, logs } = setup();
    const hosts = Array.from({ length: 100 }, (_, i) => `host_${String(i).padStart(3, "0")}`);
    const points: TestPoint[] = [];
    for (const host of hosts) {
      for (let m = 0n; m < 24n * 60n; m += 2n) {
        points.push({
          time: T0 + m * MIN,
          tags: { host, region: "eu" },
          fields: { usage: Number(m % 97n), n: m },
        });
      }
    }
    const file = add(points, { rowGroupSize: 720 });
    store.rangeReads = 0;
    store.bytesRead = 0;
    const r = await query(
      "SELECT mean(usage) FROM cpu WHERE host = 'host_042' AND time >= '2016-01-01T10:00:00Z' AND time < '2016-01-01T11:00:00Z' GROUP BY time(10m)",
      { explain: "true" },
    );
    const values = series(r)[0].values;
    assert.equal(values.length, 6);
    // Every window holds five points at even minutes 10h00..10h58 of the same host.
    for (const [i, row] of values.entries()) {
      const minutes = [0, 2, 4, 6, 8].map((d) => 600 + i * 10 + d);
      assert.equal(row[1], minutes.reduce((a, m) => a + (m % 97), 0) / 5);
    }
    assert.ok(store.bytesRead < file.sizeBytes / 10, `read ${store.bytesRead} of ${file.sizeBytes} bytes`);
    assert.ok(store.rangeReads <= 4, `${store.rangeReads} requests`);
    const explain = JSON.parse(r.headers["x-sediment-explain"] ?? "{}");
    assert.equal(explain.rowGroupsConsidered, 100);
    assert.equal(explain.rowGroupsRead, 1);
    assert.equal(explain.bytes, store.bytesRead);
    assert.equal(logs.at(-1)?.requests, store.rangeReads);
  });

  it("within a row group, decodes only the pages the page index says may match", async () => {
    const { add, query } = setup();
    const points: TestPoint[] = [];
    for (let h = 0; h < 20; h++) {
      for (let m = 0n; m < 24n * 60n; m += 2n) {
        points.push({
          time: T0 + m * MIN,
          tags: { host: `host_${String(h).padStart(2, "0")}`, region: "eu" },
          fields: { usage: Number(m % 97n), n: m },
        });
      }
    }
    add(points, { rowGroupSize: points.length, pageSize: 2048, columnIndex: true });
    const r = await query(
      "SELECT sum(usage), count(usage) FROM cpu WHERE host = 'host_07' AND time >= '2016-01-01T10:00:00Z' AND time < '2016-01-01T11:00:00Z'",
      { explain: "true" },
    );
    let sum = 0;
    for (let m = 600; m < 660; m += 2) sum += m % 97;
    assert.deepEqual(series(r)[0].values[0].slice(1), [sum, 30]);
    const explain = JSON.parse(r.headers["x-sediment-explain"] ?? "{}");
    assert.equal(explain.rowGroupsRead, 1);
    assert.ok(explain.rowsScanned < points.length / 5, `scanned ${explain.rowsScanned} of ${points.length}`);
  });
});
