// Replays the requests Grafana's InfluxDB data source (InfluxQL mode) sends for a time-series panel and for
// the query builder's template variables, against the local server, and checks the answers.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { randomIds, systemClock } from "../shared/core/clock.ts";
import { silentLog } from "../shared/http/log.ts";
import { type App, createApp } from "./app.ts";
import { loadServerConfig } from "./config.ts";
import { type RunningServer, startServer } from "./server.ts";

const START_S = 1_764_028_800; // 2025-11-25T00:00:00Z
const HOSTS = ["a", "b", "c"];
/** usage_user of host h at minute m: deterministic, so every expected answer is computed here. */
const usage = (h: number, m: number) => h * 10 + m;

let dir: string;
let app: App;
let server: RunningServer;
let base: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sediment-grafana-"));
  const config = loadServerConfig(["--port", "0", "--data-dir", dir], {}, dir);
  assert.ok(config);
  app = await createApp(config, { clock: systemClock, ids: randomIds, log: silentLog, version: "t" });
  server = await startServer({
    handler: app.handler,
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    log: silentLog,
  });
  base = `http://127.0.0.1:${server.port}`;
  const lines: string[] = [];
  HOSTS.forEach((host, h) => {
    for (let m = 0; m < 60; m++)
      lines.push(`cpu,host=${host},region=eu usage_user=${usage(h, m)},usage_system=1 ${START_S + m * 60}`);
  });
  lines.push(`mem,host=a used_percent=50 ${START_S}`);
  const res = await fetch(`${base}/write?db=telegraf&precision=s`, {
    method: "POST",
    body: lines.join("\n"),
  });
  assert.equal(res.status, 204);
  for (const job of app.jobs) await job.run(); // answer from Parquet, as a deployed stack would
});

after(async () => {
  await server.close(1000);
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

/** Grafana (7+) sends InfluxQL as a form-encoded POST to /query with db, q and epoch. */
async function grafanaQuery(q: string): Promise<{ results: { series?: Series[]; error?: string }[] }> {
  const res = await fetch(`${base}/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ db: "telegraf", q, epoch: "ms" }).toString(),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as { results: { series?: Series[]; error?: string }[] };
}

interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

describe("Grafana InfluxQL data source", () => {
  it("time-series panel: mean per 10m window, multi-value variable regex, GROUP BY tag, fill(null)", async () => {
    const from = START_S * 1000;
    const to = from + 3_600_000 - 1;
    const q =
      `SELECT mean("usage_user") FROM "cpu" WHERE ("host" =~ /^(a|c)$/) AND time >= ${from}ms and ` +
      `time <= ${to}ms GROUP BY time(10m), "host" fill(null)`;
    const { results } = await grafanaQuery(q);
    const series = results[0]?.series ?? [];
    assert.deepEqual(
      series.map((s) => s.tags),
      [{ host: "a" }, { host: "c" }],
    );
    for (const s of series) {
      const h = HOSTS.indexOf(s.tags?.host ?? "");
      assert.deepEqual(s.columns, ["time", "mean"]);
      const expected = [0, 1, 2, 3, 4, 5].map((w) => {
        let sum = 0;
        for (let m = w * 10; m < w * 10 + 10; m++) sum += usage(h, m);
        return [from + w * 600_000, sum / 10];
      });
      assert.deepEqual(s.values, expected);
    }
  });

  it("empty windows at the edge of the dashboard range are filled with null", async () => {
    const from = (START_S - 1200) * 1000; // 20 minutes before the first point
    const to = (START_S + 600) * 1000 - 1;
    const { results } = await grafanaQuery(
      `SELECT max("usage_user") FROM "cpu" WHERE "host" = 'b' AND time >= ${from}ms and time <= ${to}ms GROUP BY time(10m) fill(null)`,
    );
    assert.deepEqual(results[0]?.series?.[0]?.values, [
      [from, null],
      [from + 600_000, null],
      [from + 1_200_000, usage(1, 9)],
    ]);
  });

  it("template variables and the query builder: measurements, tag keys, tag values, field keys", async () => {
    const measurements = await grafanaQuery("SHOW MEASUREMENTS LIMIT 100");
    assert.deepEqual(measurements.results[0]?.series?.[0]?.values, [["cpu"], ["mem"]]);
    const tagKeys = await grafanaQuery('SHOW TAG KEYS FROM "cpu"');
    assert.deepEqual(tagKeys.results[0]?.series?.[0]?.values, [["host"], ["region"]]);
    const tagValues = await grafanaQuery('SHOW TAG VALUES FROM "cpu" WITH KEY = "host"');
    assert.deepEqual(tagValues.results[0]?.series?.[0]?.columns, ["key", "value"]);
    assert.deepEqual(tagValues.results[0]?.series?.[0]?.values, [
      ["host", "a"],
      ["host", "b"],
      ["host", "c"],
    ]);
    const fieldKeys = await grafanaQuery('SHOW FIELD KEYS FROM "cpu"');
    assert.deepEqual(fieldKeys.results[0]?.series?.[0]?.values, [
      ["usage_system", "float"],
      ["usage_user", "float"],
    ]);
    const retention = await grafanaQuery("SHOW RETENTION POLICIES ON telegraf");
    assert.equal(retention.results[0]?.error, undefined);
  });

  it("a bad query from a panel editor answers InfluxDB's 400 and error shape, not a 500", async () => {
    const res = await fetch(`${base}/query`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ db: "telegraf", q: 'SELECT mean("usage_user" FROM "cpu"' }).toString(),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error?: string };
    assert.match(body.error ?? "", /^error parsing query: found FROM, expected .* at line 1, char \d+$/);
  });
});
