// End to end in one process, as `npm start` runs it: the official client writes, a query sees the points
// at once (WAL tail), the compactor and merge jobs turn them into Parquet, the query answers the same, and
// DuckDB reads the merged file with exact nanosecond times.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { InfluxDB, Point } from "@influxdata/influxdb-client";
import { randomIds, systemClock } from "../shared/core/clock.ts";
import { silentLog } from "../shared/http/log.ts";
import { createApp } from "./app.ts";
import { loadServerConfig } from "./config.ts";
import { startServer } from "./server.ts";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((e) => join(dir, e)).filter((p) => p.endsWith(".parquet"));
}

describe("local pipeline: write, read-after-write, compact, merge, query", () => {
  it("answers the same before and after compaction, and the merged Parquet holds every point once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sediment-pipeline-"));
    dirs.push(dir);
    const config = loadServerConfig(["--port", "0", "--data-dir", dir], {}, dir);
    assert.ok(config);
    const app = await createApp(config, { clock: systemClock, ids: randomIds, log: silentLog, version: "t" });
    const server = await startServer({
      handler: app.handler,
      host: config.host,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      log: silentLog,
    });
    const url = `http://127.0.0.1:${server.port}`;
    const base = 1_764_028_800_000_000_000n; // 2025-11-25T00:00:00Z
    try {
      const writeApi = new InfluxDB({ url }).getWriteApi("org", "metrics", "ns", { maxRetries: 0 });
      for (let i = 0; i < 120; i++) {
        writeApi.writePoint(
          new Point("cpu")
            .tag("host", `h${i % 3}`)
            .floatField("usage", i + 0.5)
            .intField("n", i)
            .timestamp(String(base + BigInt(i) * 10_000_000_123n)),
        );
      }
      await writeApi.close();

      const q = async (text: string) => {
        const res = await fetch(`${url}/query?db=metrics&epoch=ns&q=${encodeURIComponent(text)}`);
        assert.equal(res.status, 200);
        return (await res.json()) as { results: { series?: { tags?: unknown; values: unknown[][] }[] }[] };
      };
      const statement = "SELECT count(usage), sum(n), last(usage) FROM cpu GROUP BY host";
      const before = await q(statement);
      const series = before.results[0]?.series ?? [];
      assert.equal(series.length, 3, "read-after-write: every host visible before compaction");
      assert.deepEqual(
        series.map((s) => s.values[0]?.[1]),
        [40, 40, 40],
      );

      for (const job of app.jobs) await job.run();
      const afterCompaction = await q(statement);
      assert.deepEqual(afterCompaction, before);
      const parquet = await files(join(dir, "objects"));
      assert.ok(parquet.length > 0, "compaction wrote Parquet");

      // A second batch makes a second L0 file; the merge folds both into one deduplicated file.
      const again = new InfluxDB({ url }).getWriteApi("org", "metrics", "ns", { maxRetries: 0 });
      again.writePoint(
        new Point("cpu").tag("host", "h0").floatField("usage", 99).timestamp(String(base)), // overwrites i=0
      );
      await again.close();
      for (const job of app.jobs) await job.run();
      const merged = (await files(join(dir, "objects"))).filter((p) => !p.includes("/_l0/"));
      assert.equal(merged.length, 1, `one merged file, got ${merged.join(", ")}`);

      const db = await DuckDBInstance.create(":memory:");
      const conn = await db.connect();
      const reader = await conn.runAndReadAll(
        `SELECT count(*) AS rows, count(DISTINCT (host, time_ns)) AS keys, min(time_ns) AS first, max(usage) FILTER (WHERE time_ns = ${base} AND host = 'h0') AS overwritten,
           max(n) FILTER (WHERE time_ns = ${base} AND host = 'h0') AS kept
         FROM read_parquet('${merged[0]}')`,
      );
      const [row] = reader.getRowObjects();
      assert.equal(row?.rows, 120n, "one row per (series, time): Athena never sees a point twice");
      assert.equal(row?.keys, 120n);
      assert.equal(row?.first, base);
      assert.equal(row?.overwritten, 99, "the later write's field wins");
      assert.equal(row?.kept, 0n, "the field it did not write keeps the earlier value");
      conn.closeSync();

      const final = await q("SELECT usage, n FROM cpu WHERE host = 'h0' LIMIT 1");
      assert.deepEqual(final.results[0]?.series?.[0]?.values[0], [Number(base), 99, 0]);
    } finally {
      await server.close(1000);
      await app.close();
    }
  });
});
