// Compaction measurement: WAL records of 5,000 TSBS lines -> L0 Parquet, then a merge. Prints rows/s by wall
// and by CPU time (process.cpuUsage), bytes/row and peak RSS.
// `node --expose-gc --import tsx shared/compactor/bench.ts [hosts] [pointsPerHost] [recordsPerBatch] [integer|float]`
import { readFileSync, writeFileSync } from "node:fs";
import { ObjectStoreCatalog } from "../catalog/catalog.ts";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import { tsbsLine, tsbsRows } from "../parquet/tsbs.ts";
import type { WalRecord } from "../wal/port.ts";
import { compactRecords } from "./l0.ts";
import { runMerges } from "./merge.ts";

const hosts = Number(process.argv[2] ?? 100);
const points = Number(process.argv[3] ?? 4000);
const perBatch = Number(process.argv[4] ?? 10);
const forms = process.argv[5] ? [process.argv[5] as "integer" | "float"] : (["integer", "float"] as const);
const LINES = 5000;

/** Resets the kernel's peak-RSS mark (Linux: VmHWM) and returns the current RSS, both in MiB. */
function resetPeak(): number {
  (globalThis as { gc?: () => void }).gc?.();
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Not Linux: the peak then covers the whole process.
  }
  return Math.round(process.memoryUsage.rss() / 2 ** 20);
}

/** Peak RSS since the last resetPeak, in MiB. */
function peakMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // fall through
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function timed<T>(f: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return f().then((value) => {
    const c = process.cpuUsage(c0);
    return { value, wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  });
}

const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000));

/** One measured round; the first (small, unprinted) one warms up the JIT and compiles the wasm module. */
async function round(
  form: "integer" | "float",
  hosts: number,
  points: number,
  print: boolean,
): Promise<void> {
  const records: WalRecord[] = [];
  let lines: string[] = [];
  const flush = () => {
    const seq = BigInt(records.length + 1);
    records.push({
      database: "bench",
      writeId: `w${seq}`,
      receivedAtNs: 0n,
      sequence: seq,
      precision: "ns",
      body: new TextEncoder().encode(lines.join("\n")),
    });
    lines = [];
  };
  for (const r of tsbsRows({ hosts, pointsPerHost: points, form, startNs: 1_700_006_400_000_000_000n })) {
    lines.push(tsbsLine(r));
    if (lines.length === LINES) flush();
  }
  if (lines.length > 0) flush();
  const rows = hosts * points;
  const store = new MemoryObjectStore();
  const catalog = new ObjectStoreCatalog({ store, clock: new ManualClock(), ids: new SequentialIds("c") });
  const deps = { store, catalog, ids: new SequentialIds("f"), parse: parseLineProtocol };
  const l0Base = resetPeak();
  const l0 = await timed(async () => {
    for (let i = 0; i < records.length; i += perBatch) {
      const batch = records.slice(i, i + perBatch).map((record, j) => ({ id: `${i + j}`, record }));
      const r = await compactRecords(batch, deps);
      if (r.failed.length > 0) throw r.failed[0]?.error;
    }
  });
  const l0Peak = peakMiB();
  const l0Bytes = (await store.list("data/")).reduce((s, o) => s + o.size, 0);
  const mergeBase = resetPeak();
  const merge = await timed(() => runMerges({ ...deps, rowGroupRows: 100_000 }));
  const merged = await store.list("data/");
  const mergedBytes = merged.reduce((s, o) => s + o.size, 0);
  const mergePeak = peakMiB();
  if (!print) return;
  console.log(
    `${form}: ${rows} rows in ${records.length} records; ` +
      `L0 ${rate(rows, l0.wallMs)} rows/s wall, ${rate(rows, l0.cpuMs)} rows/s CPU (${(l0Bytes / rows).toFixed(2)} B/row, RSS ${l0Base} -> peak ${l0Peak} MiB); ` +
      `merge ${merge.value.merged} jobs ${rate(rows, merge.wallMs)} rows/s wall, ${rate(rows, merge.cpuMs)} rows/s CPU ` +
      `-> ${merged.length} files ${(mergedBytes / rows).toFixed(2)} B/row, RSS ${mergeBase} -> peak ${mergePeak} MiB`,
  );
}

await round("integer", 10, 500, false);
await round("float", 10, 500, false);
for (const form of forms) await round(form, hosts, points, true);
