// Write-endpoint throughput in-process: TSBS-like cpu bodies of 5,000 lines through the router and write
// handler (parse, type check, one WAL record per request). Run: node --import tsx shared/http/write.bench.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { openAccess } from "../auth/authenticator.ts";
import { randomIds, systemClock } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { LocalWal } from "../wal/local.ts";
import type { WalWriter } from "../wal/port.ts";
import { SequenceGenerator } from "../wal/sequence.ts";
import { createRouter } from "./router.ts";
import { RecordingWal, request } from "./testing.ts";
import { createWriteHandler } from "./write.ts";

const LINES = 5_000;
const BODIES = 40;

function tsbsBody(batch: number): string {
  const out: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const n = batch * LINES + i;
    const host = n % 100;
    const ts = 1_451_606_400_000_000_000n + BigInt(Math.floor(n / 100)) * 10_000_000_000n;
    const v = (k: number) => (n * 7 + k * 13) % 100;
    out.push(
      `cpu,hostname=host_${host},region=eu-west-1,datacenter=eu-west-1a,rack=${host % 10},os=Ubuntu16.04LTS,arch=x64,team=NYC,service=${host % 20},service_version=1,service_environment=production ` +
        `usage_user=${v(1)}i,usage_system=${v(2)}i,usage_idle=${v(3)}i,usage_nice=${v(4)}i,usage_iowait=${v(5)}i,usage_irq=${v(6)}i,usage_softirq=${v(7)}i,usage_steal=${v(8)}i,usage_guest=${v(9)}i,usage_guest_nice=${v(10)}i ${ts}`,
    );
  }
  return out.join("\n");
}

async function run(name: string, wal: WalWriter, gzip: boolean, concurrency: number): Promise<void> {
  const write = createWriteHandler({
    wal,
    parse: parseLineProtocol,
    sequence: new SequenceGenerator(systemClock),
    ids: randomIds,
    clock: systemClock,
    limits: { maxBodyBytes: 10 << 20, maxDecompressedBytes: 100 << 20 },
  });
  const router = createRouter({ write, authenticate: openAccess, version: "bench" });
  const bodies = Array.from({ length: BODIES }, (_, i) => {
    const text = Buffer.from(tsbsBody(i));
    return gzip ? gzipSync(text) : text;
  });
  const headers: Record<string, string> = gzip ? { "content-encoding": "gzip" } : {};
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as Buffer;
      const res = await router(request("POST", "/api/v2/write?bucket=bench", body, headers));
      if (res.status !== 204) throw new Error(`status ${res.status}: ${String(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = Math.round((LINES * BODIES) / seconds);
  console.log(
    `${name.padEnd(44)} ${rate.toLocaleString("en-US").padStart(9)} lines/s (${seconds.toFixed(2)} s)`,
  );
}

await run("warm-up", new RecordingWal(), false, 1);
await run("memory WAL, identity, 1 in flight", new RecordingWal(), false, 1);
await run("memory WAL, gzip, 1 in flight", new RecordingWal(), true, 1);
const dir = await mkdtemp(join(tmpdir(), "sediment-bench-"));
try {
  const local = await LocalWal.open(dir);
  await run("LocalWal (fdatasync), identity, 1 in flight", local, false, 1);
  await run("LocalWal (fdatasync), identity, 4 in flight", local, false, 4);
  await run("LocalWal (fdatasync), gzip, 4 in flight", local, true, 4);
  await local.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
