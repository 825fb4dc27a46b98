// TSBS query latency of the engine on data written through the real compactor (L0 Parquet, then merged).
// `node --import tsx shared/query/bench.ts [hosts] [hours] [draws] [baselineDir]`: with baselineDir (a copy
// of the repository at an older commit), the two engines answer the same queries interleaved, on the same
// store, and the medians of wall and CPU time are printed side by side.
import { pathToFileURL } from "node:url";
import { makeQuerySet, QUERY_TYPES } from "../../bench/queries.ts";
import { ObjectStoreCatalog } from "../catalog/catalog.ts";
import { compactRecords } from "../compactor/l0.ts";
import { runMerges } from "../compactor/merge.ts";
import { ManualClock, SequentialIds, systemClock } from "../core/clock.ts";
import type { HttpRequest, HttpResponse } from "../http/types.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import { tsbsLine, tsbsRows } from "../parquet/tsbs.ts";
import type { WalRecord } from "../wal/port.ts";
import { createQueryHandler } from "./endpoint.ts";

const hosts = Number(process.argv[2] ?? 100);
const hours = Number(process.argv[3] ?? 24);
const draws = Number(process.argv[4] ?? 5);
const baselineDir = process.argv[5];
const START = 1_700_006_400_000_000_000n;
const INTERVAL = 10_000_000_000n;
const points = (hours * 3600) / 10;

const store = new MemoryObjectStore();
const catalog = new ObjectStoreCatalog({ store, clock: new ManualClock(), ids: new SequentialIds("c") });
const deps = { store, catalog, ids: new SequentialIds("f"), parse: parseLineProtocol };
let lines: string[] = [];
let batch: { id: string; record: WalRecord }[] = [];
let seq = 0n;
const flush = async (force: boolean): Promise<void> => {
  if (lines.length) {
    seq++;
    const body = new TextEncoder().encode(lines.join("\n"));
    batch.push({
      id: `${seq}`,
      record: {
        database: "benchdb",
        writeId: `w${seq}`,
        receivedAtNs: 0n,
        sequence: seq,
        precision: "ns",
        body,
      },
    });
    lines = [];
  }
  if (batch.length >= 20 || (force && batch.length)) {
    const r = await compactRecords(batch, deps);
    if (r.failed.length) throw r.failed[0]?.error;
    batch = [];
  }
};
const t0 = performance.now();
for (const r of tsbsRows({
  hosts,
  pointsPerHost: points,
  form: "float",
  startNs: START,
  intervalNs: INTERVAL,
})) {
  lines.push(tsbsLine(r));
  if (lines.length === 5000) await flush(false);
}
await flush(true);
await runMerges({ ...deps, rowGroupRows: 100_000 });
const files = await store.list("data/");
console.log(
  `${hosts * points} rows in ${files.length} files, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

type Handler = (r: HttpRequest) => Promise<HttpResponse>;
const make = (create: typeof createQueryHandler): Handler =>
  create({ catalog, store, clock: systemClock, limits: { maxPointsScanned: 1e12, maxResponseRows: 1e9 } });
const engines: [string, Handler][] = [["new", make(createQueryHandler)]];
if (baselineDir) {
  const mod = (await import(pathToFileURL(`${baselineDir}/shared/query/endpoint.ts`).href)) as {
    createQueryHandler: typeof createQueryHandler;
  };
  engines.unshift(["old", make(mod.createQueryHandler)]);
}

const run = async (h: Handler, q: string): Promise<{ ms: number; cpu: number; body: string }> => {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const query = new URLSearchParams({ db: "benchdb", q, epoch: "ns" });
  const res = await h({ method: "GET", path: "/query", query, headers: {}, body: new Uint8Array() });
  const ms = performance.now() - w0;
  const c = process.cpuUsage(c0);
  if (res.status !== 200) throw new Error(`${res.status} ${String(res.body).slice(0, 300)}`);
  return { ms, cpu: (c.user + c.system) / 1000, body: String(res.body) };
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const range = { hosts, startNs: START, endNs: START + BigInt(points) * INTERVAL };
const set = makeQuerySet(range, draws, 7);
for (const type of QUERY_TYPES) {
  const qs = set.get(type) ?? [];
  const times = new Map<string, { ms: number[]; cpu: number[] }>(
    engines.map(([n]) => [n, { ms: [], cpu: [] }]),
  );
  for (const [, h] of engines) await run(h, qs[0]?.influxql ?? ""); // warm footers
  for (const q of qs) {
    const bodies: string[] = [];
    for (const [name, h] of engines) {
      const r = await run(h, q.influxql);
      times.get(name)?.ms.push(r.ms);
      times.get(name)?.cpu.push(r.cpu);
      bodies.push(r.body);
    }
    if (bodies.length === 2 && bodies[0] !== bodies[1]) console.log(`  ANSWERS DIFFER for ${q.influxql}`);
  }
  const cols = engines
    .map(([n]) => {
      const t = times.get(n);
      return `${n} ${median(t?.ms ?? []).toFixed(1)} ms wall / ${median(t?.cpu ?? []).toFixed(1)} ms cpu`;
    })
    .join(" | ");
  console.log(`${type.padEnd(22)} ${cols}`);
}
