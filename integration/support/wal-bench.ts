// Measures WAL append throughput: `node --import tsx integration/support/wal-bench.ts [local|sqs|all]`.
// Bodies are 5,000 TSBS-style cpu lines (~1.5 MB), the batch size clients such as Telegraf send.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomIds, systemClock } from "../../shared/core/clock.ts";
import { S3ObjectStore } from "../../shared/objectstore/s3.ts";
import { encodeRecord } from "../../shared/wal/codec.ts";
import { LocalWal } from "../../shared/wal/local.ts";
import type { WalRecord, WalWriter } from "../../shared/wal/port.ts";
import { SqsWalWriter } from "../../shared/wal/sqs.ts";
import { awsClients, createBucket, createQueue, startEmulator } from "./emulator.ts";

function body(seed: number, lines = 5000): Uint8Array {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const host = `host_${(seed * 5000 + i) % 4000}`;
    const fields = Array.from({ length: 10 }, (_, f) => `usage_f${f}=${(rnd() * 100).toFixed(2)}`).join(",");
    out.push(
      `cpu,hostname=${host},region=us-west-1,datacenter=us-west-1a,rack=${i % 100},os=Ubuntu16.10,arch=x64,team=SF,service=${i % 20},service_version=1,service_environment=test ${fields} ${1_700_000_000_000_000_000n + BigInt(i) * 10_000_000_000n}`,
    );
  }
  return new TextEncoder().encode(out.join("\n"));
}

const bodies = Array.from({ length: 8 }, (_, i) => body(i + 1));
const rawBytes = bodies[0]?.length ?? 0;

function record(n: number): WalRecord {
  return {
    database: "bench",
    writeId: randomIds.next(),
    receivedAtNs: systemClock.nowNs(),
    sequence: BigInt(n),
    precision: "ns",
    body: bodies[n % bodies.length] as Uint8Array,
  };
}

async function run(label: string, wal: WalWriter, total: number, concurrency: number): Promise<void> {
  let n = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (n < total) await wal.append([record(n++)]);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const extra = wal instanceof LocalWal ? ` flushes=${wal.stats.flushes}` : "";
  console.log(
    `${label} concurrency=${concurrency}: ${total} records in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(1)} records/s, ${((total * rawBytes) / seconds / 1e6).toFixed(1)} MB/s of line protocol, ${((total * 5000) / seconds / 1000).toFixed(0)}k lines/s${extra}`,
  );
}

const which = process.argv[2] ?? "all";
console.log(`body: ${rawBytes} bytes raw, ${encodeRecord(record(0)).length} bytes encoded`);

if (which === "local" || which === "all") {
  for (const concurrency of [1, 8]) {
    const dir = await mkdtemp(join(tmpdir(), "sediment-wal-bench-"));
    const wal = await LocalWal.open(dir);
    await run("LocalWal", wal, 80, concurrency);
    await wal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (which === "sqs" || which === "all") {
  const emulator = await startEmulator();
  try {
    const { s3, sqs } = awsClients(emulator.endpoint, emulator.region);
    const store = new S3ObjectStore({
      client: s3,
      bucket: await createBucket(s3, "bench"),
      conditionalWrites: false,
    });
    for (const concurrency of [1, 8]) {
      const { queueUrl } = await createQueue(sqs, "bench");
      const wal = new SqsWalWriter({ client: sqs, queueUrl, store, ids: randomIds, clock: systemClock });
      await run("SqsWalWriter(fauxqs)", wal, 40, concurrency);
    }
  } finally {
    await emulator.stop();
  }
}
