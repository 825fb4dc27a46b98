// `npm run bench [-- --quick] [--hosts N] [--hours H] [--sections a,b] [--form int|float|both]`
// TSBS cpu-only benchmark of Sediment against InfluxDB 1.6 (influxd) and DuckDB, from one run: parse, ingest,
// compaction/storage, freshness, queries, memory and a cost model. Prints Markdown tables and writes
// bench/results/<YYYY-MM-DD>.json. Sections whose dependency is missing say "not available: <reason>".

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { COST_SOURCES, costModel, type OurCostInputs } from "./cost.ts";
import { influxQuery, influxResultRows, median, quantile, type WriteStats, writeBatches } from "./http.ts";
import { DuckPeer, duckdbVersion } from "./peers/duckdb.ts";
import { INFLUXD_DB, InfluxdPeer, influxdAvailable } from "./peers/influxd.ts";
import {
  EmulatorUnavailableError,
  INFRA_DEFAULT_POLLER,
  LOW_LATENCY_POLLER,
  type PipelineResult,
  type PollerSettings,
  runPipeline,
  summary,
} from "./pipeline.ts";
import { type BenchQuery, makeQuerySet, QUERY_TYPES, type QueryType } from "./queries.ts";
import { errorText, loadParser, OUR_DB, REPO_ROOT, SedimentServer, serverEntry } from "./sediment.ts";
import { lineBatches, rowCount, type TsbsOptions, tsbsOptions, type ValueForm } from "./tsbs.ts";

export const SECTIONS = [
  "parse",
  "ingest",
  "compaction",
  "freshness",
  "queries",
  "memory",
  "lambda",
  "cost",
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly hosts: number;
  readonly hours: number;
  readonly forms: readonly ValueForm[];
  readonly sections: readonly Section[];
  readonly quick: boolean;
  readonly seed: number;
  readonly batchLines: number;
  readonly concurrency: number;
  /** Random draws per TSBS query type. */
  readonly draws: number;
  readonly freshnessSamples: number;
  readonly compactionTimeoutMs: number;
  /** Stop waiting for compaction when no Parquet object at all has appeared this long after the last ack. */
  readonly firstParquetTimeoutMs: number;
  /** How long a freshness probe may stay invisible before the section gives up. */
  readonly freshnessTimeoutMs: number;
  /** Ingest rounds per side, interleaved (ours, influxd, ours, …); the table shows each side's median. */
  readonly ingestRounds: number;
  /** Fresh query processes per type in the lambda section (types not listed: none). */
  readonly coldDraws: ReadonlyMap<QueryType, number>;
  /** Event source mapping settings for the lambda section's load, and those its freshness is timed with. */
  readonly lambdaPollers: { readonly load: PollerSettings; readonly freshness: readonly PollerSettings[] };
  /** How long the lambda section waits for the compactor to drain the queue after the last write. */
  readonly lambdaDrainTimeoutMs: number;
  /** Skip a peer even if present (tests use this to stay tiny and hermetic). */
  readonly disable: ReadonlyArray<"server" | "influxd" | "parser" | "lambda">;
  /** Entry point to spawn as our server; undefined = server/main.ts (tests point it at a stand-in). */
  readonly serverEntry: string | undefined;
  /** Folder for `<date>.json`; undefined = don't write. */
  readonly resultsDir: string | undefined;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (a === "--quick") flags.set("quick", "true");
    else {
      const v = argv[i + 1];
      if (v === undefined) throw new Error(`${a} needs a value`);
      flags.set(a.slice(2), v);
      i++;
    }
  }
  const known = new Set([
    "quick",
    "hosts",
    "hours",
    "sections",
    "form",
    "draws",
    "seed",
    "concurrency",
    "rounds",
    "cold-draws",
  ]);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}`);
  const quick = flags.get("quick") === "true";
  const num = (k: string, d: number): number => {
    const v = flags.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number, got ${v}`);
    return n;
  };
  const form = flags.get("form") ?? "both";
  if (form !== "int" && form !== "float" && form !== "both") throw new Error(`--form must be int|float|both`);
  const sectionList = (flags.get("sections") ?? SECTIONS.join(",")).split(",").filter((s) => s !== "");
  for (const s of sectionList) {
    if (!(SECTIONS as readonly string[]).includes(s))
      throw new Error(`unknown section ${s} (${SECTIONS.join(", ")})`);
  }
  const draws = Math.floor(num("draws", quick ? 5 : 10));
  // The headline cold query gets the most fresh processes; the others a few each (a process is ~0.3 s).
  const coldHeadline = Math.floor(num("cold-draws", quick ? 3 : draws));
  const coldOther = quick ? 0 : Math.min(3, coldHeadline);
  return {
    hosts: Math.floor(num("hosts", quick ? 10 : 100)),
    hours: num("hours", quick ? 2 : 24),
    forms: form === "both" ? ["int", "float"] : [form],
    sections: sectionList as Section[],
    quick,
    seed: Math.floor(num("seed", 1)),
    batchLines: 5000,
    concurrency: Math.floor(num("concurrency", 4)),
    draws,
    freshnessSamples: quick ? 3 : 5,
    compactionTimeoutMs: quick ? 60_000 : 240_000,
    firstParquetTimeoutMs: quick ? 10_000 : 30_000,
    freshnessTimeoutMs: quick ? 10_000 : 30_000,
    // Several rounds in a full run; --quick keeps one so it stays under two minutes.
    ingestRounds: Math.floor(num("rounds", quick ? 1 : 3)),
    coldDraws: new Map(QUERY_TYPES.map((t) => [t, t === "single-groupby-1-1-1" ? coldHeadline : coldOther])),
    lambdaPollers: { load: INFRA_DEFAULT_POLLER, freshness: [INFRA_DEFAULT_POLLER, LOW_LATENCY_POLLER] },
    lambdaDrainTimeoutMs: quick ? 60_000 : 600_000,
    disable: [],
    serverEntry: undefined,
    resultsDir: join(REPO_ROOT, "bench", "results"),
  };
}

export type Cell = string | number | null;
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: Cell[][];
  readonly notes: string[];
}

export interface SectionResult {
  readonly section: Section;
  /** "ok" when at least our side or a peer produced numbers; reasons for whatever is missing are in notes. */
  status: "ok" | "not available";
  reasons: string[];
  tables: Table[];
  data: Record<string, unknown>;
}

export interface BenchResult {
  readonly date: string;
  readonly machine: Record<string, unknown>;
  readonly options: Omit<BenchOptions, "resultsDir" | "coldDraws"> & {
    readonly coldDraws: Record<string, number>;
  };
  readonly sections: Partial<Record<Section, SectionResult>>;
}

const NA = "not available";

function ratio(ours: number | undefined, peer: number | undefined): Cell {
  if (
    ours === undefined ||
    peer === undefined ||
    !Number.isFinite(ours) ||
    !Number.isFinite(peer) ||
    peer === 0
  )
    return null;
  return Number((ours / peer).toFixed(3));
}

function round(n: number | undefined, digits = 1): Cell {
  return n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));
}

function newSection(section: Section): SectionResult {
  return { section, status: "not available", reasons: [], tables: [], data: {} };
}

interface FormRun {
  ours: {
    /** The last round's ingest (the server the other sections measure). */
    ingest?: WriteStats;
    /** Every round's ingest, in run order (the last is `ingest`). */
    ingestRounds: WriteStats[];
    /** Why the extra ingest rounds stopped early, if they did. */
    roundsError?: string;
    ingestError?: string;
    compaction?: OurCompaction;
    compactionError?: string;
    queries?: Map<
      QueryType,
      { median: number; p95: number; rows: number; errors: string[]; explain?: string }
    >;
    duckOverOurs?: Map<QueryType, { median: number; p95: number; rows: number }>;
    duckOverOursError?: string;
    freshness?: number[];
    freshnessError?: string;
    peakRss?: number;
    cpuSeconds?: number;
    unavailable?: string;
  };
  influxd: {
    ingest?: WriteStats;
    ingestRounds: WriteStats[];
    roundsError?: string;
    storage?: Awaited<ReturnType<InfluxdPeer["settledStorage"]>>;
    queries?: Map<QueryType, { median: number; p95: number; rows: number; errors: string[] }>;
    freshness?: number[];
    peakRss?: number;
    unavailable?: string;
  };
  duck: {
    write?: Awaited<ReturnType<DuckPeer["writeOwnParquet"]>>;
    queries?: Map<QueryType, { median: number; p95: number; rows: number }>;
    unavailable?: string;
  };
  lambda?: PipelineResult;
  lambdaUnavailable?: string;
  parse?: { lines: number; bytes: number; seconds: number; errors: number };
  parseError?: string;
  rows: number;
  lineBytes: number;
  requests: number;
}

async function timedHttpSet(
  base: string,
  db: string,
  set: Map<QueryType, BenchQuery[]>,
): Promise<
  Map<QueryType, { median: number; p95: number; rows: number; errors: string[]; explain?: string }>
> {
  const out = new Map<
    QueryType,
    { median: number; p95: number; rows: number; errors: string[]; explain?: string }
  >();
  for (const [type, queries] of set) {
    const first = queries[0];
    if (first === undefined) continue;
    // The warm-up asks for our I/O report (partitions, files, row groups, bytes, requests); influxd ignores it.
    const warm = await influxQuery(base, db, first.influxql, "&explain=true");
    const explainHeaders = [...warm.headers.entries()].filter(([k]) =>
      k.toLowerCase().startsWith("x-sediment"),
    );
    const ms: number[] = [];
    const errors: string[] = [];
    let rows = 0;
    for (const q of queries) {
      const a = await influxQuery(base, db, q.influxql);
      const r = influxResultRows(a.body);
      if (a.status !== 200 || r.error !== undefined)
        errors.push(`${a.status} ${r.error ?? a.body.slice(0, 200)}`);
      else ms.push(a.ms);
      rows += r.rows;
    }
    out.set(type, {
      median: median(ms),
      p95: quantile(ms, 0.95),
      rows,
      errors,
      ...(explainHeaders.length > 0
        ? { explain: explainHeaders.map(([k, v]) => `${k}: ${v}`).join("; ") }
        : {}),
    });
  }
  return out;
}

/** Writes one probe point per sample and polls (bounded) until a query sees it; ms from ack to visible. */
async function freshness(
  base: string,
  db: string,
  samples: number,
  tag: string,
  timeoutMs: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const probe = `${tag}_${i}`;
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const res = await fetch(`${base}/write?db=${db}&precision=ns`, {
      method: "POST",
      body: `bench_freshness,probe=${probe} v=${i}i ${nowNs}\n`,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`freshness write failed: ${res.status} ${text.slice(0, 200)}`);
    const ack = performance.now();
    const deadline = ack + timeoutMs;
    let seen = false;
    while (performance.now() < deadline) {
      const a = await influxQuery(base, db, `SELECT count(v) FROM bench_freshness WHERE probe = '${probe}'`);
      if (a.status !== 200) throw new Error(`query answered ${a.status}: ${a.body.slice(0, 200)}`);
      if (influxResultRows(a.body).rows > 0) {
        seen = true;
        break;
      }
      await sleep(20);
    }
    if (!seen) throw new Error(`probe ${probe} not visible ${timeoutMs / 1000} s after its acknowledgment`);
    out.push(performance.now() - ack);
  }
  return out;
}

async function countParquetRows(files: readonly string[]): Promise<number> {
  const duck = await DuckPeer.open(1);
  try {
    await duck.useFiles(files, false);
    return await duck.count();
  } finally {
    duck.close();
  }
}

interface OurCompaction {
  /** From the last write acknowledgment until compacted Parquet first held every row. */
  seconds: number;
  /** Compacted bytes once the file set has settled (no change for SETTLE_MS and no duplicate rows). */
  bytes: number;
  files: number;
  /** Distinct Parquet objects seen during the wait (level-0 and compacted): a lower bound on PUTs. */
  objectsSeen: number;
  /** False when the file set still held superseded copies (rows > written) at the deadline. */
  settled: boolean;
}

const SETTLE_MS = 2_000;

/**
 * Polls the fs object store (bounded) until compacted Parquet holds every written row, then until the file
 * set stops changing and holds each row once, so bytes/row excludes files a merge has superseded.
 */
async function awaitCompaction(
  server: SedimentServer,
  rowsWritten: number,
  lastAckAt: number,
  opts: BenchOptions,
): Promise<OurCompaction | { error: string }> {
  const seen = new Set<string>();
  const deadline = performance.now() + opts.compactionTimeoutMs;
  let rows = 0;
  let lastErr = "";
  let firstComplete: number | undefined;
  let lastSet = "";
  let stableSince = performance.now();
  let last: OurCompaction | undefined;
  while (performance.now() < deadline) {
    const f = server.parquetFiles();
    for (const p of f.all) seen.add(p);
    if (seen.size === 0 && performance.now() - lastAckAt > opts.firstParquetTimeoutMs) {
      lastErr = `no Parquet object appeared within ${opts.firstParquetTimeoutMs / 1000} s of the last ack (is a compactor wired into the local server?)`;
      break;
    }
    const set = f.compacted.join("\n");
    if (set !== lastSet) {
      lastSet = set;
      stableSince = performance.now();
    }
    if (f.compacted.length > 0) {
      try {
        rows = await countParquetRows(f.compacted);
      } catch (e) {
        lastErr = errorText(e);
      }
      if (rows >= rowsWritten) {
        firstComplete ??= performance.now();
        last = {
          seconds: (firstComplete - lastAckAt) / 1000,
          bytes: f.compactedBytes,
          files: f.compacted.length,
          objectsSeen: seen.size,
          settled: rows === rowsWritten,
        };
        if (rows === rowsWritten && performance.now() - stableSince >= SETTLE_MS) return last;
      }
    }
    await sleep(250);
  }
  if (last !== undefined) return last;
  return {
    error:
      `compacted Parquet under ${join("objects", "data", OUR_DB, "cpu")} held ${rows} of ${rowsWritten} rows ` +
      `within the wait${lastErr ? ` (${lastErr})` : ` of ${opts.compactionTimeoutMs / 1000} s`}`,
  };
}

function ourEntry(opts: BenchOptions): { ok: true; value: string } | { ok: false; reason: string } {
  return opts.disable.includes("server")
    ? { ok: false as const, reason: "disabled for this run" }
    : opts.serverEntry !== undefined
      ? { ok: true as const, value: opts.serverEntry }
      : serverEntry();
}

/**
 * The ingest rounds before the last: each side on a fresh server (ours, influxd, ours, …), ingest only, so one
 * noisy moment on a shared machine does not decide the ratio. The last round is the one runOurs/runInfluxd
 * measure the other sections on. A failing round ends the extra rounds for that side; the reason is kept.
 */
async function extraIngestRounds(
  opts: BenchOptions,
  batches: Uint8Array[],
  run: FormRun,
  log: (s: string) => void,
): Promise<void> {
  const entry = ourEntry(opts);
  const influx = opts.disable.includes("influxd") ? undefined : influxdAvailable();
  let oursOk = entry.ok;
  let influxOk = influx?.available === true;
  for (let round = 1; round < opts.ingestRounds; round++) {
    if (oursOk && entry.ok) {
      try {
        const server = await SedimentServer.start(entry.value);
        try {
          run.ours.ingestRounds.push(await writeBatches(server.writeUrl(), batches, opts.concurrency));
        } finally {
          await server.stop();
        }
      } catch (e) {
        oursOk = false;
        run.ours.roundsError = `ingest round ${round}: ${errorText(e)}`;
      }
    }
    if (influxOk) {
      try {
        const peer = await InfluxdPeer.start();
        try {
          run.influxd.ingestRounds.push(await writeBatches(peer.writeUrl(), batches, opts.concurrency));
        } finally {
          await peer.stop();
        }
      } catch (e) {
        influxOk = false;
        run.influxd.roundsError = `ingest round ${round}: ${errorText(e)}`;
      }
    }
    const last = (xs: WriteStats[]) => Math.round(xs.at(-1)?.rowsPerSecond ?? Number.NaN);
    log(
      `  ingest round ${round}: ours ${last(run.ours.ingestRounds)} rows/s, influxd ${last(run.influxd.ingestRounds)} rows/s`,
    );
  }
}

async function runLambda(
  opts: BenchOptions,
  batches: Uint8Array[],
  querySet: Map<QueryType, BenchQuery[]>,
  run: FormRun,
  log: (s: string) => void,
): Promise<void> {
  if (opts.disable.includes("lambda")) {
    run.lambdaUnavailable = "disabled for this run";
    return;
  }
  try {
    run.lambda = await runPipeline(
      {
        db: OUR_DB,
        batches,
        querySet,
        coldDraws: opts.coldDraws,
        // --quick keeps its two-minute budget: fewer warm draws and freshness probes (each ≥ the window).
        warmDraws: opts.quick ? Math.min(3, opts.draws) : opts.draws,
        freshnessSamples: opts.quick ? Math.min(2, opts.freshnessSamples) : opts.freshnessSamples,
        windowedFreshnessSamples: opts.quick ? 1 : opts.freshnessSamples,
        freshnessTimeoutMs: opts.freshnessTimeoutMs,
        drainTimeoutMs: opts.lambdaDrainTimeoutMs,
        loadPoller: opts.lambdaPollers.load,
        freshnessPollers: opts.lambdaPollers.freshness,
      },
      log,
    );
  } catch (e) {
    run.lambdaUnavailable =
      e instanceof EmulatorUnavailableError ? e.message : `the pipeline failed: ${errorText(e)}`;
  }
}

async function runOurs(
  opts: BenchOptions,
  batches: Uint8Array[],
  querySet: Map<QueryType, BenchQuery[]> | undefined,
  want: Set<Section>,
  run: FormRun,
  log: (s: string) => void,
): Promise<void> {
  const entry = ourEntry(opts);
  if (!entry.ok) {
    run.ours.unavailable = entry.reason;
    return;
  }
  let server: SedimentServer;
  try {
    // Merge every second (the default is 30 s) so "all rows merged" measures the pipeline, not the timer.
    server = await SedimentServer.start(entry.value, ["--merge-interval-ms", "1000"]);
  } catch (e) {
    run.ours.unavailable = `local server did not start: ${errorText(e)}`;
    return;
  }
  try {
    log(`  ours: server pid ${server.pid} on ${server.base}, data dir ${server.dataDir}`);
    try {
      run.ours.ingest = await writeBatches(server.writeUrl(), batches, opts.concurrency);
      run.ours.ingestRounds.push(run.ours.ingest);
      log(`  ours: ingest ${Math.round(run.ours.ingest.rowsPerSecond)} rows/s`);
    } catch (e) {
      run.ours.ingestError = errorText(e);
      return;
    }
    if (want.has("compaction") || want.has("queries") || want.has("cost")) {
      const c = await awaitCompaction(server, run.rows, run.ours.ingest.lastAckAt, opts);
      if ("error" in c) run.ours.compactionError = c.error;
      else {
        run.ours.compaction = c;
        log(`  ours: all rows compacted ${c.seconds.toFixed(1)} s after the last ack`);
      }
    }
    run.ours.cpuSeconds = server.cpuSeconds();
    if (querySet !== undefined && want.has("queries")) {
      run.ours.queries = await timedHttpSet(server.base, OUR_DB, querySet);
      const files = server.parquetFiles().compacted;
      if (files.length > 0) {
        const duck = await DuckPeer.open();
        try {
          await duck.useFiles(files, true);
          run.ours.duckOverOurs = new Map();
          for (const [type, qs] of querySet) run.ours.duckOverOurs.set(type, await duck.runSet(qs));
        } catch (e) {
          run.ours.duckOverOursError = errorText(e);
        } finally {
          duck.close();
        }
      } else {
        run.ours.duckOverOursError = "no compacted Parquet files to read";
      }
    }
    if (querySet !== undefined && want.has("freshness")) {
      try {
        run.ours.freshness = await freshness(
          server.base,
          OUR_DB,
          opts.freshnessSamples,
          "ours",
          opts.freshnessTimeoutMs,
        );
      } catch (e) {
        run.ours.freshnessError = errorText(e);
      }
    }
    run.ours.peakRss = server.peakRss();
  } finally {
    await server.stop();
  }
}

async function runInfluxd(
  opts: BenchOptions,
  batches: Uint8Array[],
  querySet: Map<QueryType, BenchQuery[]> | undefined,
  want: Set<Section>,
  run: FormRun,
  log: (s: string) => void,
): Promise<void> {
  if (opts.disable.includes("influxd")) {
    run.influxd.unavailable = "disabled for this run";
    return;
  }
  const avail = influxdAvailable();
  if (!avail.available) {
    run.influxd.unavailable = avail.reason ?? "influxd not found";
    return;
  }
  let peer: InfluxdPeer;
  try {
    peer = await InfluxdPeer.start();
  } catch (e) {
    run.influxd.unavailable = `influxd did not start: ${errorText(e)}`;
    return;
  }
  try {
    run.influxd.ingest = await writeBatches(peer.writeUrl(), batches, opts.concurrency);
    run.influxd.ingestRounds.push(run.influxd.ingest);
    log(`  influxd: ingest ${Math.round(run.influxd.ingest.rowsPerSecond)} rows/s`);
    if (want.has("compaction")) {
      run.influxd.storage = await peer.settledStorage(opts.compactionTimeoutMs);
      log(`  influxd: storage settled after ${run.influxd.storage.settledAfterSeconds.toFixed(1)} s`);
    }
    if (querySet !== undefined && want.has("queries"))
      run.influxd.queries = await timedHttpSet(peer.base, INFLUXD_DB, querySet);
    if (querySet !== undefined && want.has("freshness")) {
      run.influxd.freshness = await freshness(
        peer.base,
        INFLUXD_DB,
        opts.freshnessSamples,
        "influxd",
        opts.freshnessTimeoutMs,
      );
    }
    run.influxd.peakRss = peer.peakRss();
  } finally {
    await peer.stop();
  }
}

async function runDuck(
  o: TsbsOptions,
  querySet: Map<QueryType, BenchQuery[]> | undefined,
  want: Set<Section>,
  run: FormRun,
  log: (s: string) => void,
): Promise<void> {
  if (!want.has("compaction") && !(querySet !== undefined && want.has("queries"))) return;
  const dir = mkdtempSync(join(tmpdir(), "sediment-bench-duck-"));
  const duck = await DuckPeer.open();
  try {
    const path = join(dir, `cpu-${o.form}.parquet`);
    run.duck.write = await duck.writeOwnParquet(o, path);
    log(`  duckdb: own Parquet ${run.duck.write.bytesPerRow.toFixed(2)} bytes/row`);
    if (querySet !== undefined && want.has("queries")) {
      await duck.useFiles([path], false);
      run.duck.queries = new Map();
      for (const [type, qs] of querySet) run.duck.queries.set(type, await duck.runSet(qs));
    }
  } catch (e) {
    run.duck.unavailable = errorText(e);
  } finally {
    duck.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runBench(
  opts: BenchOptions,
  log: (s: string) => void = () => undefined,
): Promise<BenchResult> {
  const want = new Set(opts.sections);
  const influx = opts.disable.includes("influxd") ? undefined : influxdAvailable();
  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      totalMemoryBytes: totalmem(),
      loadAverageAtStart: loadavg(),
      platform: `${process.platform} ${process.arch}`,
      node: process.version,
      influxd: influx?.available ? influx.version : (influx?.reason ?? "disabled"),
      duckdb: duckdbVersion(),
    },
    options: {
      hosts: opts.hosts,
      hours: opts.hours,
      forms: opts.forms,
      sections: opts.sections,
      quick: opts.quick,
      seed: opts.seed,
      batchLines: opts.batchLines,
      concurrency: opts.concurrency,
      draws: opts.draws,
      freshnessSamples: opts.freshnessSamples,
      compactionTimeoutMs: opts.compactionTimeoutMs,
      firstParquetTimeoutMs: opts.firstParquetTimeoutMs,
      freshnessTimeoutMs: opts.freshnessTimeoutMs,
      ingestRounds: opts.ingestRounds,
      coldDraws: Object.fromEntries(opts.coldDraws),
      lambdaPollers: opts.lambdaPollers,
      lambdaDrainTimeoutMs: opts.lambdaDrainTimeoutMs,
      disable: opts.disable,
      serverEntry: opts.serverEntry,
    },
    sections: {},
  };
  const runs = new Map<ValueForm, FormRun>();
  const queryForm = opts.forms[0];
  const parser = opts.disable.includes("parser")
    ? { ok: false as const, reason: "disabled for this run" }
    : want.has("parse")
      ? await loadParser()
      : undefined;
  for (const form of opts.forms) {
    const o = tsbsOptions({ hosts: opts.hosts, hours: opts.hours, form, seed: opts.seed });
    log(`form ${form}: generating ${rowCount(o)} rows (${opts.hosts} hosts × ${opts.hours} h)`);
    const batches = [...lineBatches(o, opts.batchLines)];
    const run: FormRun = {
      ours: { ingestRounds: [] },
      influxd: { ingestRounds: [] },
      duck: {},
      rows: rowCount(o),
      lineBytes: batches.reduce((a, b) => a + b.length, 0),
      requests: batches.length,
    };
    runs.set(form, run);
    if (parser !== undefined) {
      if (parser.ok) {
        const rounds = opts.quick ? 5 : 2;
        let best = Number.POSITIVE_INFINITY;
        let lines = 0;
        let errors = 0;
        for (let r = 0; r < rounds; r++) {
          lines = 0;
          errors = 0;
          const t0 = performance.now();
          for (const b of batches) {
            const res = parser.value(b, { precision: "ns", defaultTime: 0n });
            lines += res.points.length;
            errors += res.errors.length;
          }
          best = Math.min(best, (performance.now() - t0) / 1000);
        }
        run.parse = { lines, bytes: run.lineBytes, seconds: best, errors };
        log(`  parse: ${Math.round(lines / best)} lines/s`);
      } else run.parseError = parser.reason;
    }
    const needServers = ["ingest", "compaction", "freshness", "queries", "memory", "cost"].some((s) =>
      want.has(s as Section),
    );
    const querySet =
      form === queryForm
        ? makeQuerySet(
            { hosts: o.hosts, startNs: o.startNs, endNs: o.startNs + o.durationNs },
            opts.draws,
            opts.seed,
          )
        : undefined;
    if (needServers) {
      if (want.has("ingest")) await extraIngestRounds(opts, batches, run, log);
      await runOurs(opts, batches, querySet, want, run, log);
      await runInfluxd(opts, batches, querySet, want, run, log);
    }
    await runDuck(o, querySet, want, run, log);
    // After the servers have stopped, so the functions' CPU and memory are measured on a quiet machine.
    if (querySet !== undefined && want.has("lambda")) await runLambda(opts, batches, querySet, run, log);
  }
  for (const s of opts.sections) result.sections[s] = buildSection(s, opts, runs, queryForm);
  return result;
}

/** Whether our side or any peer produced a number for the section (the cost model always prices the peers). */
function measuredAnything(s: Section, runs: readonly FormRun[]): boolean {
  return runs.some((r) => {
    switch (s) {
      case "parse":
        return r.parse !== undefined;
      case "ingest":
        return r.ours.ingest !== undefined || r.influxd.ingest !== undefined;
      case "compaction":
        return (
          r.ours.compaction !== undefined || r.influxd.storage !== undefined || r.duck.write !== undefined
        );
      case "freshness":
        return r.ours.freshness !== undefined || r.influxd.freshness !== undefined;
      case "queries":
        return [r.ours.queries, r.influxd.queries, r.duck.queries, r.ours.duckOverOurs].some(
          (q) => q !== undefined,
        );
      case "memory":
        return r.ours.peakRss !== undefined || r.influxd.peakRss !== undefined;
      case "lambda":
        return r.lambda !== undefined;
      case "cost":
        return true;
    }
    return false;
  });
}

function buildSection(
  s: Section,
  opts: BenchOptions,
  runs: Map<ValueForm, FormRun>,
  queryForm: ValueForm | undefined,
): SectionResult {
  const sec = newSection(s);
  const forms = [...runs.entries()];
  const addReason = (r: string | undefined, who: string): void => {
    if (r !== undefined && !sec.reasons.includes(`${who}: ${r}`)) sec.reasons.push(`${who}: ${r}`);
  };
  switch (s) {
    case "parse": {
      const rows: Cell[][] = [];
      for (const [form, r] of forms) {
        addReason(r.parseError, "ours");
        if (r.parse) {
          rows.push([
            form,
            r.parse.lines,
            Math.round(r.parse.lines / r.parse.seconds),
            round(r.parse.bytes / r.parse.seconds / 1e6, 1),
            r.parse.errors,
            NA,
            null,
          ]);
        }
      }
      sec.tables.push({
        title: "Parse throughput (parseLineProtocol, one core, main thread)",
        columns: ["form", "lines", "ours lines/s", "ours MB/s", "errors", "peer", "ratio"],
        rows,
        notes: ["No peer: influxd's parser cannot be timed apart from its write path."],
      });
      break;
    }
    case "ingest": {
      const rows: Cell[][] = [];
      for (const [form, r] of forms) {
        addReason(r.ours.unavailable ?? r.ours.ingestError, "ours");
        addReason(r.influxd.unavailable, "influxd");
        addReason(r.ours.roundsError, "ours");
        addReason(r.influxd.roundsError, "influxd");
        const ours = r.ours.ingestRounds.map((w) => w.rowsPerSecond);
        const influx = r.influxd.ingestRounds.map((w) => w.rowsPerSecond);
        const oursMedian = ours.length > 0 ? median(ours) : undefined;
        const influxMedian = influx.length > 0 ? median(influx) : undefined;
        rows.push([
          form,
          r.rows,
          `${ours.length}/${influx.length}`,
          round(oursMedian, 0),
          round(influxMedian, 0),
          ratio(oursMedian, influxMedian),
          ours.length > 0 ? `${Math.round(Math.min(...ours))}–${Math.round(Math.max(...ours))}` : null,
          influx.length > 0 ? `${Math.round(Math.min(...influx))}–${Math.round(Math.max(...influx))}` : null,
        ]);
        sec.data[form] = { oursRowsPerSecond: ours, influxdRowsPerSecond: influx };
      }
      sec.tables.push({
        title: `Ingest rows/s (HTTP /write, ${opts.batchLines}-line bodies, ${opts.concurrency} in flight, until 2xx), median of interleaved rounds`,
        columns: [
          "form",
          "rows",
          "rounds ours/influxd",
          "ours median rows/s",
          "influxd median rows/s",
          "ratio ours/influxd (medians)",
          "ours range",
          "influxd range",
        ],
        rows,
        notes: [
          "Rounds alternate ours, influxd, ours, … each on a freshly started server; the last round's servers go on to the other sections.",
          "Shared 2-core machines are noisy: compare rows from the same run, and re-run before concluding.",
        ],
      });
      break;
    }
    case "compaction": {
      const rows: Cell[][] = [];
      for (const [form, r] of forms) {
        addReason(r.ours.unavailable ?? r.ours.ingestError ?? r.ours.compactionError, "ours");
        addReason(r.influxd.unavailable, "influxd");
        addReason(r.duck.unavailable, "duckdb");
        const ours = r.ours.compaction ? r.ours.compaction.bytes / r.rows : undefined;
        const influx = r.influxd.storage ? r.influxd.storage.shardBytes / r.rows : undefined;
        const duck = r.duck.write?.bytesPerRow;
        rows.push([
          form,
          round(ours, 2),
          round(influx, 2),
          round(duck, 2),
          ratio(ours, influx),
          ratio(ours, duck),
          round(r.ours.compaction ? r.rows / r.ours.compaction.seconds : undefined, 0),
          round(r.lambda?.compactor.rowsPerCpuSecond, 0),
          round(r.influxd.storage?.settledAfterSeconds, 1),
        ]);
        sec.data[form] = {
          ours: r.ours.compaction,
          influxd: r.influxd.storage,
          duckdb: r.duck.write,
        };
      }
      sec.tables.push({
        title: "Storage bytes/row after compaction, and compaction speed",
        columns: [
          "form",
          "ours B/row",
          "influxd TSM B/row",
          "DuckDB zstd B/row",
          "ratio ours/influxd",
          "ratio ours/DuckDB",
          "ours compaction rows/s (last ack → all rows compacted)",
          "ours compactor rows per CPU-second (Lambda on S3 emulator)",
          "influxd settle s",
        ],
        rows,
        notes: [
          "ours: compacted (not _l0) Parquet under <data-dir>/objects/data/benchdb/cpu once every row is in it, each once, and the file set has not changed for 2 s.",
          ...forms
            .filter(([, r]) => r.ours.compaction?.settled === false)
            .map(
              ([form]) =>
                `ours (${form}): superseded copies were still present at the deadline; bytes include them.`,
            ),
          "influxd: TSM + fields.idx of the shard after its full compaction; its 32 MiB preallocated series file (_series/) is excluded and kept in the JSON.",
          "DuckDB: COPY … (FORMAT parquet, COMPRESSION zstd) of the same rows ordered by hostname, time.",
          "rows per CPU-second: the compactor function's own process, CPU during its invocations (see the lambda section); one core, target ≥ 250,000.",
        ],
      });
      break;
    }
    case "freshness": {
      const r = queryForm ? runs.get(queryForm) : undefined;
      if (r) {
        addReason(r.ours.unavailable ?? r.ours.ingestError ?? r.ours.freshnessError, "ours");
        addReason(r.influxd.unavailable, "influxd");
        const o = r.ours.freshness;
        const i = r.influxd.freshness;
        sec.tables.push({
          title: "Freshness: ms from write acknowledgment to visible in a query (local)",
          columns: ["stat", "ours ms", "influxd ms", "ratio ours/influxd"],
          rows: [
            [
              "median",
              round(o && median(o), 1),
              round(i && median(i), 1),
              ratio(o && median(o), i && median(i)),
            ],
            [
              "max",
              round(o && Math.max(...o), 1),
              round(i && Math.max(...i), 1),
              ratio(o && Math.max(...o), i && Math.max(...i)),
            ],
          ],
          notes: ["Polled every 20 ms; includes one query round trip."],
        });
      }
      break;
    }
    case "queries": {
      const r = queryForm ? runs.get(queryForm) : undefined;
      if (r) {
        addReason(r.ours.unavailable ?? r.ours.ingestError ?? r.ours.compactionError, "ours");
        addReason(r.ours.duckOverOursError, "duckdb over ours");
        addReason(r.influxd.unavailable, "influxd");
        addReason(r.duck.unavailable, "duckdb");
        const rows: Cell[][] = [];
        const errs: string[] = [];
        const explains: string[] = [];
        for (const t of QUERY_TYPES) {
          const o = r.ours.queries?.get(t);
          const i = r.influxd.queries?.get(t);
          const dOurs = r.ours.duckOverOurs?.get(t);
          const dOwn = r.duck.queries?.get(t);
          if (o && o.errors.length > 0) errs.push(`ours ${t}: ${o.errors[0]}`);
          if (i && i.errors.length > 0) errs.push(`influxd ${t}: ${i.errors[0]}`);
          if (o?.explain) explains.push(`${t}: ${o.explain}`);
          rows.push([
            t,
            round(o?.median, 1),
            round(o?.p95, 1),
            round(i?.median, 1),
            round(i?.p95, 1),
            ratio(o?.median, i?.median),
            round(dOurs?.median, 1),
            round(dOwn?.median, 1),
            o && i ? `${o.rows}/${i.rows}` : null,
          ]);
        }
        sec.data.explain = explains;
        sec.data.errors = errs;
        sec.tables.push({
          title: `TSBS queries, ms (${opts.draws} random draws per type after one warm-up, form ${queryForm})`,
          columns: [
            "query",
            "ours median",
            "ours p95",
            "influxd median",
            "influxd p95",
            "ratio ours/influxd (median)",
            "DuckDB over our Parquet median",
            "DuckDB over its Parquet median",
            "result rows ours/influxd",
          ],
          rows,
          notes: [
            ...errs.slice(0, 12),
            explains.length > 0
              ? `explain headers: ${explains.join(" | ")}`
              : "bytes/requests per query: not available (no X-Sediment-* header in our answers)",
            "Windows longer than the data (quick runs) are clamped to the whole range.",
          ],
        });
      }
      break;
    }
    case "memory": {
      const rows: Cell[][] = [];
      for (const [form, r] of forms) {
        addReason(r.ours.unavailable, "ours");
        addReason(r.influxd.unavailable, "influxd");
        rows.push([
          form,
          round(r.ours.peakRss && r.ours.peakRss / 2 ** 20, 1),
          round(r.influxd.peakRss && r.influxd.peakRss / 2 ** 20, 1),
          ratio(r.ours.peakRss, r.influxd.peakRss),
        ]);
      }
      sec.tables.push({
        title: "Peak RSS of the server process (VmHWM), MiB, over the whole form run",
        columns: ["form", "ours MiB", "influxd MiB", "ratio ours/influxd"],
        rows,
        notes: [
          "ours: the local server runs every role in one process; each Lambda function's own peak is in the lambda section.",
        ],
      });
      break;
    }
    case "lambda": {
      const r = queryForm ? runs.get(queryForm) : undefined;
      if (r) {
        addReason(r.lambdaUnavailable, "ours");
        const l = r.lambda;
        if (l) buildLambdaTables(sec, l, r, queryForm);
      }
      break;
    }
    case "cost": {
      const r = forms[0]?.[1];
      if (r) {
        addReason(r.ours.unavailable ?? r.ours.ingestError ?? r.ours.compactionError, "ours");
        const ours: OurCostInputs | undefined =
          r.ours.compaction && r.ours.cpuSeconds !== undefined
            ? {
                rows: r.rows,
                requests: r.requests,
                lineBytes: r.lineBytes,
                objectsWritten: r.ours.compaction.objectsSeen,
                serverCpuSeconds: r.ours.cpuSeconds,
              }
            : undefined;
        const model = costModel(ours, r.rows, r.lineBytes, r.requests);
        sec.data.model = model;
        sec.data.sources = COST_SOURCES;
        sec.tables.push({
          title: "Cost model, USD per million points (us-east-1 list prices; inputs measured in this run)",
          columns: [
            "item",
            "ours",
            "Timestream LiveAnalytics",
            "Firehose → Parquet",
            "ratio ours/Timestream",
          ],
          rows: model.rows,
          notes: model.notes,
        });
      }
      break;
    }
  }
  sec.status = measuredAnything(
    s,
    forms.map(([, r]) => r),
  )
    ? "ok"
    : "not available";
  return sec;
}

const MIB = 2 ** 20;

const sameSettings = (a: PollerSettings, b: PollerSettings): boolean =>
  a.batchSize === b.batchSize && a.windowSeconds === b.windowSeconds;

/** The lambda section's tables: load, cold and warm queries, freshness, per-function memory and CPU, throughput. */
function buildLambdaTables(
  sec: SectionResult,
  l: PipelineResult,
  r: FormRun,
  form: ValueForm | undefined,
): void {
  sec.data.pipeline = l;
  sec.tables.push({
    title: `Load through the functions on the S3/SQS emulator (form ${form})`,
    columns: [
      "rows",
      "writer requests",
      "writer rows/s (one environment, in-handler time)",
      "drain s (last ack → all compacted)",
      "compactor invocations",
      "merge jobs",
      "S3 objects",
      "S3 bytes",
      "B/row",
      "rows counted by a query",
    ],
    rows: [
      [
        l.load.rows,
        l.load.requests,
        round(l.load.rows / l.load.writerSeconds, 0),
        round(l.load.drainSeconds, 1),
        l.compactor.invocations,
        l.merge.merged,
        l.dataset.objects,
        l.dataset.bytes,
        round(l.dataset.bytes / l.load.rows, 2),
        l.countCheck.got ?? null,
      ],
    ],
    notes: [
      `emulator: ${l.emulator}; bundles (esbuild, as infra/functions.ts): api ${l.bundleBytes.api} B, compactor ${l.bundleBytes.compactor} B, merge ${l.bundleBytes.merge} B.`,
      `event source poller: batch size ${l.load.poller.batchSize}, batching window ${l.load.poller.windowSeconds} s (infra defaults), 6 MB payload cap; one compactor at a time (fauxqs ignores conditional writes).`,
      ...(l.countCheck.got === l.countCheck.expected
        ? []
        : [
            `count check: expected ${l.countCheck.expected}, got ${l.countCheck.got ?? "nothing"}${l.countCheck.error ? ` (${l.countCheck.error})` : ""}`,
          ]),
    ],
  });

  const rows: Cell[][] = [];
  const errs: string[] = [];
  for (const t of QUERY_TYPES) {
    const c = l.cold[t];
    const w = l.warm[t];
    const local = r.ours.queries?.get(t);
    const influx = r.influxd.queries?.get(t);
    if (c === undefined && w === undefined) continue;
    if (c && c.errors.length > 0) errs.push(`cold ${t}: ${c.errors[0]}`);
    if (w && w.errors.length > 0) errs.push(`warm ${t}: ${w.errors[0]}`);
    const cold = summary(c?.firstMs ?? []);
    const bytes = summary(c?.bytes ?? []).median;
    rows.push([
      t,
      c?.firstMs.length ?? 0,
      round(cold.median, 1),
      round(cold.p95, 1),
      round(summary(c?.firstCpuMs ?? []).median, 1),
      round(summary(c?.importMs ?? []).median, 0),
      round(summary(c?.secondMs ?? []).median, 1),
      round(summary(w?.ms ?? []).median, 1),
      round(local?.median, 1),
      round(influx?.median, 1),
      ratio(cold.median, influx?.median),
      round(bytes, 0),
      round(summary(c?.requests ?? []).median, 0),
      round((bytes / l.dataset.bytes) * 100, 1),
    ]);
  }
  const headline = l.cold["single-groupby-1-1-1"];
  sec.tables.push({
    title:
      "Queries through the query function on the S3 emulator, ms: cold (fresh process, first invocation) and warm",
    columns: [
      "query",
      "cold n",
      "cold median",
      "cold p95",
      "cold CPU ms median",
      "init (import) median",
      "same query again, median",
      "warm median (S3)",
      "ours warm median (local server)",
      "influxd warm median",
      "ratio cold/influxd warm",
      "bytes read (median)",
      "requests (median)",
      "% of data set read",
    ],
    rows,
    notes: [
      "cold: each draw in a new process that imports the bundled handler (init, reported apart, as Lambda's Init Duration) and answers one query; the query's own time is the cold figure. Target for single-groupby-1-1-1: < 100 ms.",
      ...(headline && headline.firstMs.length > 0
        ? [`single-groupby-1-1-1 cold draws, ms: ${headline.firstMs.map((x) => x.toFixed(1)).join(", ")}`]
        : []),
      "same query again: the cold draw repeated in its process (connections, catalog and footers then warm). warm: one query process, a warm-up query per type, then every draw. Bytes and requests: the cold run's X-Sediment-Explain.",
      `data set: ${l.dataset.bytes} bytes in ${l.dataset.objects} objects (${l.dataset.level0Objects} level-0) under data/${OUR_DB}/cpu/.`,
      ...errs.slice(0, 6),
    ],
  });

  const influxFresh = r.influxd.freshness;
  sec.tables.push({
    title:
      "Freshness on the emulator: ms from the writer's acknowledgment to visible through the query function",
    columns: [
      "event source setting",
      "samples",
      "ours median",
      "ours max",
      "influxd median (local)",
      "ratio ours/influxd",
    ],
    rows: l.freshness.map((f) => [
      `batch ${f.poller.batchSize}, window ${f.poller.windowSeconds} s${sameSettings(f.poller, INFRA_DEFAULT_POLLER) ? " (infra default)" : ""}`,
      f.ms.length,
      round(f.ms.length > 0 ? median(f.ms) : undefined, 1),
      round(f.ms.length > 0 ? Math.max(...f.ms) : undefined, 1),
      round(influxFresh && median(influxFresh), 1),
      ratio(f.ms.length > 0 ? median(f.ms) : undefined, influxFresh && median(influxFresh)),
    ]),
    notes: [
      "The poller gathers a batch until it is full or the window has passed since its first message, then invokes the compactor; the query polls every 20 ms. Target ≤ 1 s.",
      "A batch above 10 messages needs a window of at least 1 s (infra/config.ts), so batch 10 / window 0 is the lowest-latency deployable setting.",
      ...l.freshness
        .filter((f) => f.error !== undefined)
        .map((f) => `batch ${f.poller.batchSize}: ${f.error}`),
    ],
  });

  const influxRss = r.influxd.peakRss;
  sec.tables.push({
    title: "Peak RSS and CPU of each function's work, each in its own process, beside influxd's whole run",
    columns: [
      "function",
      "work",
      "invocations",
      "peak RSS MiB",
      "CPU s in invocations",
      "process CPU s (with init)",
      "init ms",
      "influxd peak RSS MiB",
      "ratio ours/influxd",
    ],
    rows: l.functions.map((f) => [
      f.function,
      f.work,
      f.invocations,
      round(f.peakRssBytes / MIB, 1),
      round(f.handlerCpuSeconds, 2),
      round(f.processCpuSeconds, 2),
      round(f.importMs, 0),
      round(influxRss && influxRss / MIB, 1),
      ratio(f.peakRssBytes, influxRss),
    ]),
    notes: [
      `peak RSS: ${[...new Set(l.functions.map((f) => f.rssSource))].join("/")} of the function's process (node, the bundled handler and its work; no Lambda runtime). Not process.resourceUsage().maxRSS: on Linux it survives execve, so a spawned child reports its parent's peak.`,
      "influxd: VmHWM of the influxd process over the whole form run (ingest, compaction, queries), from the memory section.",
    ],
  });

  sec.tables.push({
    title: "Compaction and merge throughput, measured in the function's process",
    columns: [
      "stage",
      "rows",
      "invocations",
      "CPU s",
      "rows per CPU-second",
      "in-handler s",
      "target rows/s per core",
    ],
    rows: [
      [
        "compactor (WAL batch → level-0 Parquet on S3)",
        l.compactor.rows,
        l.compactor.invocations,
        round(l.compactor.handlerCpuSeconds, 2),
        round(l.compactor.rowsPerCpuSecond, 0),
        round(l.compactor.handlerSeconds, 2),
        250_000,
      ],
      [
        "merge (level-0 → merged Parquet on S3)",
        l.merge.rows,
        l.merge.invocations,
        round(l.merge.handlerCpuSeconds, 2),
        round(l.merge.rowsPerCpuSecond, 0),
        null,
        null,
      ],
    ],
    notes: [
      "CPU: process.cpuUsage() of the function's process around each invocation (user + system, all its threads), so per core; includes the S3 round trips' CPU and the first invocation's lazy initialisation.",
      `compactor: ${l.compactor.messages} messages, ${l.compactor.failures} reported failures.`,
    ],
  });
}

export function toMarkdown(r: BenchResult): string {
  const out: string[] = [];
  out.push(`# Sediment bench ${r.date}`, "");
  out.push(
    `machine: ${String(r.machine.cpuModel)}, ${String(r.machine.cores)} cores, node ${String(r.machine.node)}, ` +
      `influxd ${String(r.machine.influxd)}, DuckDB ${String(r.machine.duckdb)}; load ${JSON.stringify(r.machine.loadAverageAtStart)}`,
  );
  out.push(
    `scale: ${r.options.hosts} hosts × ${r.options.hours} h at 10 s, forms ${r.options.forms.join(", ")}`,
    "",
  );
  for (const s of Object.values(r.sections)) {
    out.push(`## ${s.section}`, "");
    for (const reason of s.reasons) out.push(`- not available: ${reason}`);
    if (s.reasons.length > 0) out.push("");
    for (const t of s.tables) {
      out.push(`### ${t.title}`, "");
      out.push(`| ${t.columns.join(" | ")} |`, `| ${t.columns.map(() => "---").join(" | ")} |`);
      for (const row of t.rows)
        out.push(`| ${row.map((c) => (c === null ? "n/a" : String(c))).join(" | ")} |`);
      out.push("");
      for (const n of t.notes) out.push(`- ${n}`);
      if (t.notes.length > 0) out.push("");
    }
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const result = await runBench(opts, (s) =>
    console.error(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${s}`),
  );
  console.log(toMarkdown(result));
  if (opts.resultsDir !== undefined) {
    mkdirSync(opts.resultsDir, { recursive: true });
    // A quick run, or one of some sections only, gets its own file so it never overwrites the day's full run.
    const subset =
      opts.sections.length === SECTIONS.length && SECTIONS.every((s) => opts.sections.includes(s))
        ? ""
        : `-${opts.sections.join("+")}`;
    const path = join(
      opts.resultsDir,
      `${result.date.slice(0, 10)}${opts.quick ? "-quick" : ""}${subset}.json`,
    );
    writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
    console.error(`wrote ${path}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  });
}
