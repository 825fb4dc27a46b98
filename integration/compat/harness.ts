// Two servers fed the same writes: a private InfluxDB 1.x (bench/peers/influxd.ts) over loopback HTTP and
// Sediment's app in-process (its router called directly). Sediment's data is compacted to Parquet and
// merged, except a last batch left in the WAL so the tail merge is exercised too.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INFLUXD_DB, InfluxdPeer } from "../../bench/peers/influxd.ts";
import { createApp } from "../../server/app.ts";
import { loadServerConfig } from "../../server/config.ts";
import { runMerges } from "../../shared/compactor/merge.ts";
import { runCompactionOnce } from "../../shared/compactor/runner.ts";
import { randomIds, systemClock } from "../../shared/core/clock.ts";
import { silentLog } from "../../shared/http/log.ts";

export const COMPAT_DB = INFLUXD_DB;

export interface Answer {
  readonly status: number;
  readonly body: string;
}

export interface QueryParams {
  readonly epoch?: string;
  readonly db?: string | null;
}

export interface Pair {
  influx(q: string, params?: QueryParams): Promise<Answer>;
  ours(q: string, params?: QueryParams): Promise<Answer>;
  stop(): Promise<void>;
}

function search(q: string, params: QueryParams): URLSearchParams {
  const s = new URLSearchParams({ q });
  const db = params.db === undefined ? COMPAT_DB : params.db;
  if (db !== null) s.set("db", db);
  if (params.epoch) s.set("epoch", params.epoch);
  return s;
}

export async function startPair(batches: { compacted: string[][]; tail: string[] }): Promise<Pair> {
  const peer = await InfluxdPeer.start();
  const dir = mkdtempSync(join(tmpdir(), "sediment-compat-"));
  const config = loadServerConfig(["--data-dir", dir, "--port", "8086"], {}, dir);
  if (!config) throw new Error("server config did not load");
  const app = await createApp(config, {
    clock: systemClock,
    ids: randomIds,
    log: silentLog,
    version: "compat",
  });
  const stop = async (): Promise<void> => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    await peer.stop();
  };
  try {
    const body = (lines: readonly string[]): Uint8Array => new TextEncoder().encode(lines.join("\n"));
    const writeOurs = async (lines: readonly string[]): Promise<void> => {
      const query = new URLSearchParams({ db: COMPAT_DB, precision: "ns" });
      const r = await app.handler({ method: "POST", path: "/write", query, headers: {}, body: body(lines) });
      if (r.status !== 204) throw new Error(`sediment write failed: ${r.status} ${String(r.body)}`);
    };
    const writeInflux = async (lines: readonly string[]): Promise<void> => {
      const r = await fetch(peer.writeUrl(), { method: "POST", body: body(lines) });
      const text = await r.text();
      if (r.status !== 204) throw new Error(`influxd write failed: ${r.status} ${text}`);
    };
    for (const b of batches.compacted) {
      await writeOurs(b);
      await writeInflux(b);
    }
    const source = app.parts.walSource;
    if (!source) throw new Error("local WAL expected");
    const deps = {
      store: app.parts.store,
      catalog: app.parts.catalog,
      ids: randomIds,
      parse: app.parts.parse,
    };
    for (let i = 0; i < 100; i++) {
      const r = await runCompactionOnce(source, deps);
      if (r.failed.length) throw r.failed[0]?.error;
      if (r.received === 0) break;
    }
    const merged = await runMerges(deps);
    if (merged.failed.length) throw merged.failed[0]?.error;
    await writeOurs(batches.tail);
    await writeInflux(batches.tail);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    async influx(q, params = {}) {
      const r = await fetch(`${peer.base}/query?${search(q, params)}`);
      return { status: r.status, body: await r.text() };
    },
    async ours(q, params = {}) {
      const r = await app.handler({
        method: "GET",
        path: "/query",
        query: search(q, params),
        headers: {},
        body: new Uint8Array(),
      });
      return {
        status: r.status,
        body: typeof r.body === "string" ? r.body : new TextDecoder().decode(r.body),
      };
    },
    stop,
  };
}
