import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { InfluxDB, Point } from "@influxdata/influxdb-client";
import { ManualClock, SequentialIds } from "../shared/core/clock.ts";
import { silentLog } from "../shared/http/log.ts";
import type { HttpResponse } from "../shared/http/types.ts";
import { parseLineProtocol } from "../shared/lineprotocol/parse.ts";
import { LocalWal } from "../shared/wal/local.ts";
import { createApp } from "./app.ts";
import { loadServerConfig } from "./config.ts";
import { startServer } from "./server.ts";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sediment-server-"));
  dirs.push(dir);
  return dir;
}

function post(port: number, path: string, body: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path, method: "POST", headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on("error", reject);
      req.end(body);
    },
  );
}

describe("local server over HTTP", () => {
  it("writes from @influxdata/influxdb-client are durable in the WAL once acknowledged", async () => {
    const dir = await tempDir();
    const config = loadServerConfig(["--port", "0", "--data-dir", dir, "--token", "secret"], {}, dir);
    assert.ok(config);
    const app = await createApp(config, {
      clock: new ManualClock(),
      ids: new SequentialIds("w"),
      log: silentLog,
      version: "t",
    });
    const server = await startServer({
      handler: app.handler,
      host: config.host,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      log: silentLog,
    });
    const total = 2500;
    try {
      const writeApi = new InfluxDB({ url: `http://127.0.0.1:${server.port}`, token: "secret" }).getWriteApi(
        "my-org",
        "telemetry",
        "ns",
        {
          batchSize: 1000,
          maxRetries: 0,
        },
      );
      for (let i = 0; i < total; i++) {
        writeApi.writePoint(
          new Point("cpu")
            .tag("host", `h${i % 10}`)
            .floatField("usage", i / 10)
            .intField("count", i)
            .timestamp(`${1_700_000_000_000_000_000n + BigInt(i)}`),
        );
      }
      await writeApi.close();

      // The query endpoint is wired behind the same router and token check.
      const unauthorized = await fetch(`http://127.0.0.1:${server.port}/query?q=SHOW+DATABASES`);
      assert.equal(unauthorized.status, 401);
      const res = await fetch(`http://127.0.0.1:${server.port}/query?q=SHOW+DATABASES`, {
        headers: { authorization: "Token secret" },
      });
      assert.equal(res.status, 200);
      const answer = (await res.json()) as { results: { statement_id: number }[] };
      assert.equal(answer.results[0]?.statement_id, 0);
    } finally {
      await server.close(5_000);
      await app.close();
    }

    const wal = await LocalWal.open(join(dir, "wal"));
    try {
      const deliveries = await wal.receive(100);
      assert.ok(deliveries.length >= 3, `the client sent batches of 1000, got ${deliveries.length} records`);
      let points = 0;
      for (const { record } of deliveries) {
        assert.equal(record.database, "telemetry");
        const parsed = parseLineProtocol(record.body, {
          precision: record.precision,
          defaultTime: record.receivedAtNs,
        });
        assert.equal(parsed.errors.length, 0);
        points += parsed.points.length;
      }
      assert.equal(points, total);
    } finally {
      await wal.close();
    }
  });

  it("answers 413 to an oversized body, by Content-Length or while streaming, and closes the connection", async () => {
    const dir = await tempDir();
    const config = loadServerConfig(["--port", "0", "--data-dir", dir, "--max-body-bytes", "1000"], {}, dir);
    assert.ok(config);
    const app = await createApp(config, {
      clock: new ManualClock(),
      ids: new SequentialIds(),
      log: silentLog,
      version: "t",
    });
    const server = await startServer({
      handler: app.handler,
      host: config.host,
      port: config.port,
      maxBodyBytes: 1000,
      log: silentLog,
    });
    try {
      const big = Buffer.from("m v=1 1\n".repeat(500));
      const declared = await post(server.port, "/api/v2/write?bucket=d", big);
      assert.equal(declared.status, 413);
      assert.equal(declared.headers.connection, "close");
      assert.equal(JSON.parse(declared.body).code, "request too large");
      const chunked = await post(server.port, "/write?db=d", big, { "transfer-encoding": "chunked" });
      assert.equal(chunked.status, 413);
      const expecting = await post(server.port, "/write?db=d", big, { expect: "100-continue" });
      assert.equal(expecting.status, 413);
      const small = await post(server.port, "/write?db=d", Buffer.from("m v=1 1"));
      assert.equal(small.status, 204);
    } finally {
      await server.close(5_000);
      await app.close();
    }
  });

  it("hands the handler the body byte for byte, however it was framed and split", async () => {
    const seen: Uint8Array[] = [];
    const server = await startServer({
      handler: async (request) => {
        seen.push(new Uint8Array(request.body));
        return { status: 204, headers: {}, body: "" };
      },
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1 << 20,
      log: silentLog,
    });
    // Distinct bytes, long enough to arrive in several socket reads.
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;
    const sendInPieces = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: "127.0.0.1", port: server.port, path: "/w", method: "POST", headers },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        for (let at = 0; at < big.length; at += 70_001) req.write(big.subarray(at, at + 70_001));
        req.end();
      });
    try {
      assert.equal((await post(server.port, "/w", big)).status, 204);
      assert.equal(await sendInPieces({ "content-length": String(big.length) }), 204);
      assert.equal(await sendInPieces({ "transfer-encoding": "chunked" }), 204);
      assert.equal((await post(server.port, "/w", Buffer.from("m v=1 1"))).status, 204);
      assert.equal((await post(server.port, "/w", Buffer.alloc(0))).status, 204);
      assert.equal(seen.length, 5);
      for (const body of seen.slice(0, 3)) assert.ok(Buffer.from(body).equals(big));
      assert.deepEqual(seen[3], new Uint8Array(Buffer.from("m v=1 1")));
      assert.equal(seen[4]?.length, 0);
    } finally {
      await server.close(5_000);
    }
  });

  it("whenQuiet() waits while a request is in flight, and never longer than its limit", async () => {
    let entered: () => void = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release: (response: HttpResponse) => void = () => {};
    const server = await startServer({
      handler: () => {
        entered();
        return new Promise<HttpResponse>((resolve) => {
          release = resolve;
        });
      },
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1000,
      log: silentLog,
    });
    try {
      const events: string[] = [];
      const pending = post(server.port, "/w", Buffer.from("m v=1 1"));
      await inside;
      const quiet = server.whenQuiet(1, 60_000).then(() => events.push("quiet"));
      const capped = server.whenQuiet(60_000, 1).then(() => events.push("capped"));
      await capped;
      // However long this takes, the request is still in flight, so "quiet" must not have happened.
      await sleep(20);
      events.push("released");
      release({ status: 204, headers: {}, body: "" });
      assert.equal((await pending).status, 204);
      await quiet;
      assert.deepEqual(events, ["capped", "released", "quiet"]);
    } finally {
      await server.close(5_000);
    }
  });

  it("close() lets an in-flight request finish, then refuses new connections", async () => {
    let entered: () => void = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release: (response: HttpResponse) => void = () => {};
    const server = await startServer({
      handler: () => {
        entered();
        return new Promise<HttpResponse>((resolve) => {
          release = resolve;
        });
      },
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1000,
      log: silentLog,
    });
    const pending = post(server.port, "/write?db=d", Buffer.from("m v=1 1"));
    await inside;
    // Closing while the handler is still working: the request must still get its answer.
    const closing = server.close(60_000);
    release({ status: 204, headers: {}, body: "" });
    const response = await pending;
    assert.equal(response.status, 204);
    await closing;
    await assert.rejects(post(server.port, "/ping", Buffer.alloc(0)), /ECONNREFUSED/);
  });
});
