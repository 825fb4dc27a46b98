// TSBS query latency of the engine on data written through the real compactor (L0 Parquet, then merged).
// `node --import tsx shared/query/bench.ts [hosts] [hours] [draws] [baselineDir]`: with baselineDir (a copy
// of the repository at an older commit), the two engines answer the same queries interleaved, on the same
// store, and the medians of wall and CPU time are printed side by side. `--cache=DIR` keeps the written
// objects in DIR and reuses them on the next run; `--only=type,type` runs only those query types.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
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

const flags = new Map(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith("--"))
    .map((a) => [a.slice(2).split("=")[0] ?? "", a.split("=").slice(1).join("=")]),
);
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const hosts = Number(args[0] ?? 100);
const hours = Number(args[1] ?? 24);
const draws = Number(args[2] ?? 5);
const baselineDir = args[3];
const cacheDir = flags.get("cache");
const only = flags.get("only")?.split(",");
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
const listFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
const cacheKey = cacheDir ? join(cacheDir, `${hosts}x${hours}`) : undefined;
const cached = cacheKey ? await listFiles(cacheKey).catch(() => []) : [];
const t0 = performance.now();
if (cacheKey && cached.length) {
  for (const f of cached) await store.put(relative(cacheKey, f), new Uint8Array(await readFile(f)));
} else {
  await write();
  if (cacheKey) {
    for (const o of await store.list("")) {
      const path = join(cacheKey, o.key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, (await store.get(o.key)) ?? new Uint8Array());
    }
  }
}
async function write(): Promise<void> {
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
}
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
for (const type of QUERY_TYPES.filter((t) => !only || only.includes(t))) {
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
    const [a = "", b = ""] = bodies;
    if (bodies.length === 2 && a !== b) {
      let at = 0;
      while (at < a.length && a[at] === b[at]) at++;
      console.log(`  ANSWERS DIFFER for ${q.influxql}`);
      console.log(
        `    old …${a.slice(Math.max(0, at - 80), at + 120)}\n    new …${b.slice(Math.max(0, at - 80), at + 120)}`,
      );
    }
  }
  if (flags.has("explain")) {
    for (const [name, h] of engines) {
      const query = new URLSearchParams({ db: "benchdb", q: qs[0]?.influxql ?? "", explain: "true" });
      const res = await h({ method: "GET", path: "/query", query, headers: {}, body: new Uint8Array() });
      console.log(
        `  ${name} explain: ${res.headers["X-Sediment-Explain"] ?? res.headers["x-sediment-explain"]}`,
      );
    }
  }
  const cols = engines
    .map(([n]) => {
      const t = times.get(n);
      return `${n} ${median(t?.ms ?? []).toFixed(1)} ms wall / ${median(t?.cpu ?? []).toFixed(1)} ms cpu`;
    })
    .join(" | ");
  console.log(`${type.padEnd(22)} ${cols}`);
}
