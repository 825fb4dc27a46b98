// A stand-in for server/main.ts used only by bench.test.ts, so the harness's "ours" path (spawn, ingest,
// wait for compacted Parquet, query, freshness, memory) is exercised before the real pieces all exist.
// It accepts the same flags, keeps written lines in memory and "compacts" them into one Parquet file at the
// fs object store's path shortly after each write. It answers every query with one row.

import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance, timestampValue } from "@duckdb/node-api";
import { CPU_FIELDS } from "./tsbs.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "data-dir": { type: "string" },
    // Accepted as the real server accepts it; the stand-in has no merge timer.
    "merge-interval-ms": { type: "string" },
  },
});
const dataDir = values["data-dir"] ?? ".";
const lines: string[] = [];
const instance = await DuckDBInstance.create(":memory:");
const conn = await instance.connect();
let timer: NodeJS.Timeout | undefined;

async function compact(): Promise<void> {
  await conn.run("DROP TABLE IF EXISTS c");
  await conn.run(
    `CREATE TABLE c (time TIMESTAMP, hostname VARCHAR, ${CPU_FIELDS.map((f) => `${f} DOUBLE`).join(", ")})`,
  );
  const app = await conn.createAppender("c");
  for (const line of lines) {
    const [series = "", fields = "", time = "0"] = line.split(" ");
    if (!series.startsWith("cpu,")) continue;
    app.appendTimestamp(timestampValue(BigInt(time) / 1000n));
    app.appendVarchar(/hostname=([^,]+)/.exec(series)?.[1] ?? "");
    const byName = new Map(fields.split(",").map((kv) => kv.split("=") as [string, string]));
    for (const f of CPU_FIELDS) app.appendDouble(Number.parseFloat(byName.get(f) ?? "0"));
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
  const dir = join(dataDir, "objects", "data", "benchdb", "cpu", "day=2016-01-01");
  mkdirSync(dir, { recursive: true });
  await conn.run(`COPY c TO '${join(dir, "part-1-1-fake.parquet")}' (FORMAT parquet)`);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/ping") {
      res.writeHead(204).end();
    } else if (url.pathname === "/write") {
      for (const l of Buffer.concat(chunks).toString("utf8").split("\n")) if (l !== "") lines.push(l);
      clearTimeout(timer);
      timer = setTimeout(() => void compact(), 200);
      res.writeHead(204).end();
    } else if (url.pathname === "/query") {
      res.writeHead(200, { "content-type": "application/json", "x-sediment-explain": "fake" });
      res.end(
        JSON.stringify({
          results: [{ statement_id: 0, series: [{ name: "cpu", columns: ["time", "v"], values: [[0, 1]] }] }],
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
});
server.listen(Number(values.port ?? 0), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
