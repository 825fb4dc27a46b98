// Compaction measurement: WAL records of 5,000 TSBS lines -> L0 Parquet (rows/s), then a merge (bytes/row).
// `node --import tsx shared/compactor/bench.ts [hosts] [pointsPerHost] [recordsPerBatch]`
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
const LINES = 5000;

for (const form of ["integer", "float"] as const) {
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
  let t0 = performance.now();
  for (let i = 0; i < records.length; i += perBatch) {
    const batch = records.slice(i, i + perBatch).map((record, j) => ({ id: `${i + j}`, record }));
    const r = await compactRecords(batch, deps);
    if (r.failed.length > 0) throw r.failed[0]?.error;
  }
  const l0Ms = performance.now() - t0;
  const l0Bytes = (await store.list("data/")).reduce((s, o) => s + o.size, 0);
  t0 = performance.now();
  const report = await runMerges({ ...deps, rowGroupRows: 100_000 });
  const mergeMs = performance.now() - t0;
  const merged = await store.list("data/");
  const mergedBytes = merged.reduce((s, o) => s + o.size, 0);
  console.log(
    `${form}: ${rows} rows in ${records.length} records; L0 ${Math.round(rows / (l0Ms / 1000))} rows/s ` +
      `(${(l0Bytes / rows).toFixed(2)} B/row); merge ${report.merged} jobs ${Math.round(rows / (mergeMs / 1000))} rows/s ` +
      `-> ${merged.length} files ${(mergedBytes / rows).toFixed(2)} B/row`,
  );
}
