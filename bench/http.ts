// Loopback HTTP helpers shared by the peers: free ports, readiness polling, concurrent line-protocol writes
// and timed InfluxQL queries. Every loop here is bounded by a count or a deadline.

import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { countLines } from "./tsbs.ts";

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `GET <base>/ping` until it answers 2xx or the deadline passes. */
export async function waitForPing(base: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    if (!isAlive()) throw new Error(`server at ${base} exited before answering /ping`);
    try {
      const res = await fetch(`${base}/ping`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(100);
  }
  throw new Error(`server at ${base} did not answer /ping within ${timeoutMs} ms (${last})`);
}

export interface WriteStats {
  readonly rows: number;
  readonly bytes: number;
  readonly requests: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Wall-clock ms (performance.now()) when the last acknowledgment arrived. */
  readonly lastAckAt: number;
}

/**
 * POSTs every batch to `url` with `concurrency` requests in flight; a batch counts once its 2xx arrives.
 * A non-2xx answer fails the whole run with the server's message.
 */
export async function writeBatches(
  url: string,
  batches: readonly Uint8Array[],
  concurrency: number,
): Promise<WriteStats> {
  let next = 0;
  let rows = 0;
  let bytes = 0;
  const t0 = performance.now();
  let lastAckAt = t0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const batch = batches[i];
      if (batch === undefined) return;
      const res = await fetch(url, {
        method: "POST",
        body: batch,
        headers: { "content-type": "text/plain; charset=utf-8" },
        signal: AbortSignal.timeout(120_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`write ${i} to ${url} failed: ${res.status} ${text.slice(0, 300)}`);
      rows += countLines(batch);
      bytes += batch.length;
      lastAckAt = performance.now();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const seconds = (lastAckAt - t0) / 1000;
  return { rows, bytes, requests: batches.length, seconds, rowsPerSecond: rows / seconds, lastAckAt };
}

export interface QueryAnswer {
  readonly ms: number;
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

/** One InfluxQL query over HTTP GET, timed from request to the last byte of the answer. */
export async function influxQuery(base: string, db: string, q: string, extra = ""): Promise<QueryAnswer> {
  const url = `${base}/query?db=${encodeURIComponent(db)}&epoch=ns&q=${encodeURIComponent(q)}${extra}`;
  const t0 = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  const body = await res.text();
  return { ms: performance.now() - t0, status: res.status, body, headers: res.headers };
}

/** Runs an administrative statement (e.g. CREATE DATABASE) with POST, as InfluxDB 1.x requires. */
export async function influxAdmin(base: string, q: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}/query`, {
    method: "POST",
    body: new URLSearchParams({ q }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.text() };
}

/** Count of result rows in an InfluxDB 1.x JSON answer, or an error message it carries. */
export function influxResultRows(body: string): { rows: number; error?: string } {
  try {
    const j = JSON.parse(body) as {
      error?: string;
      results?: Array<{ error?: string; series?: Array<{ values?: unknown[] }> }>;
    };
    if (j.error) return { rows: 0, error: j.error };
    let rows = 0;
    for (const r of j.results ?? []) {
      if (r.error) return { rows, error: r.error };
      for (const s of r.series ?? []) rows += s.values?.length ?? 0;
    }
    return { rows };
  } catch {
    return { rows: 0, error: `not JSON: ${body.slice(0, 200)}` };
  }
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Nearest-rank quantile. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx] as number;
}
