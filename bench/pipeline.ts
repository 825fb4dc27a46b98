// The AWS pipeline on the S3/SQS emulator (fauxqs, or AWS_ENDPOINT_URL): the TSBS load goes through the
// writer function to SQS, an event source poller (batch size, batching window, 6 MB payload) feeds the
// compactor function, the merge function runs as the schedule would, then queries run through the query
// function: cold (a fresh process each) and warm. Each function runs in its own process, so its peak RSS and
// CPU are its own; freshness is timed from the writer's acknowledgment to the point showing in a query.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { awsClients, createBucket, createQueue, startEmulator } from "../integration/support/emulator.ts";
import { measurementPrefix } from "../shared/layout/keys.ts";
import {
  apiResult,
  type QueueMessage,
  queryEvent,
  scheduleEvent,
  sqsBatchEvent,
  writeEvent,
} from "./events.ts";
import { influxResultRows, median, quantile } from "./http.ts";
import { type Bundles, bundleFunctions, type FunctionName, LambdaHost } from "./lambda.ts";
import type { BenchQuery, QueryType } from "./queries.ts";
import type { HostUsage } from "./roles/host.ts";
import { errorText } from "./sediment.ts";
import { countLines } from "./tsbs.ts";

/** Lambda's limit on an invocation's payload, which also caps an SQS batch. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** infra/wal.ts: 6 × the compactor timeout (infra default 120 s) + the batching window. */
const VISIBILITY_TIMEOUT_SECONDS = 6 * 120 + 5;
/** The merge function's timeout in infra (600 s), as the remaining time its handler budgets against. */
const MERGE_REMAINING_MS = 600_000;

/** fauxqs (or AWS_ENDPOINT_URL) could not be reached: the section is not available, not failed. */
export class EmulatorUnavailableError extends Error {
  override readonly name = "EmulatorUnavailableError";
}

export interface PollerSettings {
  /** Messages per invocation at most (infra `batchSize`). */
  readonly batchSize: number;
  /** How long the poller gathers a batch after its first message (infra `maxBatchingWindowSeconds`). */
  readonly windowSeconds: number;
}

/** infra/config.ts DEFAULTS: batchSize 100, maxBatchingWindowSeconds 1. */
export const INFRA_DEFAULT_POLLER: PollerSettings = { batchSize: 100, windowSeconds: 1 };
/** The lowest-latency setting infra accepts (a batch above 10 needs a window of at least 1 s). */
export const LOW_LATENCY_POLLER: PollerSettings = { batchSize: 10, windowSeconds: 0 };

export interface PipelineOptions {
  readonly db: string;
  readonly batches: readonly Uint8Array[];
  readonly querySet: ReadonlyMap<QueryType, readonly BenchQuery[]> | undefined;
  /** Draws per type the warm query process runs (after a warm-up); at most the set's. */
  readonly warmDraws: number;
  /** Cold processes per query type; types not listed get none. */
  readonly coldDraws: ReadonlyMap<QueryType, number>;
  readonly freshnessSamples: number;
  /** Samples for settings with a batching window (each takes at least the window). */
  readonly windowedFreshnessSamples: number;
  readonly freshnessTimeoutMs: number;
  readonly drainTimeoutMs: number;
  /** The event source mapping's settings during the load (the measured compaction). */
  readonly loadPoller: PollerSettings;
  readonly freshnessPollers: readonly PollerSettings[];
}

export interface FunctionUsage {
  readonly function: string;
  readonly work: string;
  readonly invocations: number;
  readonly peakRssBytes: number;
  readonly rssSource: HostUsage["rssSource"];
  /** The process's CPU including its cold start. */
  readonly processCpuSeconds: number;
  /** CPU during the invocations only. */
  readonly handlerCpuSeconds: number;
  readonly handlerSeconds: number;
  readonly importMs: number;
}

export interface ColdQuery {
  readonly importMs: number[];
  /** First invocation in a fresh process: the cold query. */
  readonly firstMs: number[];
  /** CPU of the first invocation, ms: less sensitive than wall time to other load on a shared machine. */
  readonly firstCpuMs: number[];
  /** The same query again in that process: what the cold start added is the difference. */
  readonly secondMs: number[];
  readonly bytes: number[];
  readonly requests: number[];
  readonly filesRead: number[];
  readonly peakRssBytes: number[];
  rows: number;
  readonly errors: string[];
}

export interface PipelineResult {
  readonly emulator: string;
  readonly bundleBytes: Readonly<Record<FunctionName, number>>;
  readonly load: {
    readonly rows: number;
    readonly requests: number;
    readonly messages: number;
    readonly writerSeconds: number;
    /** Last acknowledgment → every message compacted and deleted. */
    readonly drainSeconds: number;
    readonly poller: PollerSettings;
  };
  readonly compactor: {
    readonly invocations: number;
    readonly messages: number;
    readonly failures: number;
    readonly rows: number;
    readonly handlerSeconds: number;
    readonly handlerCpuSeconds: number;
    readonly rowsPerCpuSecond: number;
  };
  readonly merge: {
    readonly invocations: number;
    readonly merged: number;
    readonly rows: number;
    readonly handlerCpuSeconds: number;
    readonly rowsPerCpuSecond: number;
  };
  readonly dataset: { readonly objects: number; readonly bytes: number; readonly level0Objects: number };
  /** `SELECT count(usage_user)` through the query function after the merges. */
  readonly countCheck: {
    readonly expected: number;
    readonly got: number | undefined;
    readonly error?: string;
  };
  readonly functions: FunctionUsage[];
  readonly cold: Record<string, ColdQuery>;
  readonly warm: Record<string, { ms: number[]; rows: number; errors: string[] }>;
  readonly freshness: Array<{ poller: PollerSettings; ms: number[]; error?: string }>;
}

function secondsOf(us: number): number {
  return us / 1e6;
}

/** The event source mapping's poller: gathers batches from the queue and invokes the compactor with them. */
class EventSourcePoller {
  settings: PollerSettings;
  invocations = 0;
  messages = 0;
  failures = 0;
  deleted = 0;
  handlerMs = 0;
  handlerCpuUs = 0;
  lastError: string | undefined;
  private stopped = false;
  private carry: QueueMessage[] = [];
  private loop: Promise<void> | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly queueArn: string,
    private readonly region: string,
    private readonly compactor: LambdaHost,
    settings: PollerSettings,
  ) {
    this.settings = settings;
  }

  start(): void {
    this.loop = this.run().catch((e: unknown) => {
      this.lastError = errorText(e);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Resolves once `count` messages were compacted and deleted; throws on timeout or a poller error. */
  async waitForDeleted(count: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.deleted < count) {
      if (this.lastError !== undefined) throw new Error(`event source poller failed: ${this.lastError}`);
      if (performance.now() > deadline)
        throw new Error(`${this.deleted} of ${count} messages compacted within ${timeoutMs / 1000} s`);
      await sleep(50);
    }
  }

  private async receive(max: number, waitSeconds: number): Promise<QueueMessage[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      }),
    );
    return (out.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body ?? "",
      receiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
      sentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
    }));
  }

  /** One batch: up to batchSize messages, 6 MB, or whatever arrived within the window of the first. */
  private async gather(): Promise<QueueMessage[]> {
    const batch = this.carry;
    this.carry = [];
    let bytes = batch.reduce((n, m) => n + m.body.length, 0);
    let firstAt = batch.length > 0 ? performance.now() : undefined;
    while (!this.stopped && batch.length < this.settings.batchSize) {
      // Read on every round: the bench changes the settings between phases while this loop idles.
      const windowMs = this.settings.windowSeconds * 1000;
      const remaining =
        firstAt === undefined ? Number.POSITIVE_INFINITY : windowMs - (performance.now() - firstAt);
      if (remaining <= 0) break;
      // Long-poll while idle or while a second or more of the window is left, as Lambda's pollers do.
      const wait = remaining >= 1000 ? 1 : 0;
      const t0 = performance.now();
      const got = await this.receive(Math.min(10, this.settings.batchSize - batch.length), wait);
      for (const m of got) {
        if (batch.length > 0 && bytes + m.body.length > MAX_PAYLOAD_BYTES) this.carry.push(m);
        else {
          batch.push(m);
          bytes += m.body.length;
        }
      }
      if (this.carry.length > 0) break;
      if (got.length > 0) firstAt ??= performance.now();
      else if (wait === 0 || performance.now() - t0 < 100) await sleep(Math.min(50, Math.max(1, remaining)));
    }
    return batch;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const batch = await this.gather();
      if (batch.length === 0) continue;
      let failed: Set<string>;
      try {
        const r = await this.compactor.invoke(sqsBatchEvent(batch, this.queueArn, this.region, Date.now()));
        this.handlerMs += r.ms;
        this.handlerCpuUs += r.cpuUs;
        const items = (r.result as { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined)
          ?.batchItemFailures;
        failed = new Set((items ?? []).map((f) => f.itemIdentifier));
      } catch (e) {
        // A function error fails the whole batch (and a dead process fails every later one).
        this.lastError = errorText(e);
        failed = new Set(batch.map((m) => m.messageId));
      }
      this.invocations++;
      this.messages += batch.length;
      this.failures += failed.size;
      const done = batch.filter((m) => !failed.has(m.messageId));
      const retry = batch.filter((m) => failed.has(m.messageId));
      for (let i = 0; i < done.length; i += 10) {
        const chunk = done.slice(i, i + 10);
        const out = await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.receiptHandle })),
          }),
        );
        this.deleted += chunk.length - (out.Failed?.length ?? 0);
      }
      for (let i = 0; i < retry.length; i += 10) {
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: retry
              .slice(i, i + 10)
              .map((m, j) => ({ Id: `v${j}`, ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
      }
    }
  }
}

async function datasetSize(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ objects: number; bytes: number; level0Objects: number }> {
  let objects = 0;
  let bytes = 0;
  let level0Objects = 0;
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of out.Contents ?? []) {
      objects++;
      bytes += o.Size ?? 0;
      if ((o.Key ?? "").includes("/_l0/")) level0Objects++;
    }
    token = out.NextContinuationToken;
    if (!out.IsTruncated || token === undefined) break;
  }
  return { objects, bytes, level0Objects };
}

function usageRow(
  name: string,
  work: string,
  host: LambdaHost,
  usage: HostUsage,
  invocations: number,
  handlerMs: number,
  handlerCpuUs: number,
): FunctionUsage {
  return {
    function: name,
    work,
    invocations,
    peakRssBytes: usage.maxRssBytes,
    rssSource: usage.rssSource,
    processCpuSeconds: secondsOf(usage.userCpuUs + usage.systemCpuUs),
    handlerCpuSeconds: secondsOf(handlerCpuUs),
    handlerSeconds: handlerMs / 1000,
    importMs: host.importMs,
  };
}

async function queryRows(
  host: LambdaHost,
  db: string,
  q: string,
  explain = false,
): Promise<{
  ms: number;
  cpuUs: number;
  rows: number;
  body: string;
  error?: string;
  explain?: Record<string, unknown>;
}> {
  const r = await host.invoke(queryEvent(db, q, Date.now(), explain));
  const res = apiResult(r.result);
  const parsed = influxResultRows(res.body);
  const header = res.headers["x-sediment-explain"];
  const error =
    res.status !== 200 || parsed.error !== undefined
      ? `${res.status} ${parsed.error ?? res.body.slice(0, 200)}`
      : undefined;
  return {
    ms: r.ms,
    cpuUs: r.cpuUs,
    rows: parsed.rows,
    body: res.body,
    ...(error === undefined ? {} : { error }),
    ...(header === undefined ? {} : { explain: JSON.parse(header) as Record<string, unknown> }),
  };
}

async function createResources(
  s3: S3Client,
  sqs: SQSClient,
  region: string,
): Promise<{ bucket: string; queueUrl: string; queueArn: string }> {
  const bucket = await createBucket(s3, "bench");
  const { queueUrl } = await createQueue(sqs, "bench-wal", {
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
  });
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  return {
    bucket,
    queueUrl,
    queueArn: attrs.Attributes?.QueueArn ?? `arn:aws:sqs:${region}:000000000000:bench-wal`,
  };
}

/**
 * Runs the whole pipeline. Throws EmulatorUnavailableError when the emulator cannot be started or reached,
 * any other error when a step fails (its message names the folder with the functions' logs).
 */
export async function runPipeline(opts: PipelineOptions, log: (s: string) => void): Promise<PipelineResult> {
  const work = mkdtempSync(join(tmpdir(), "sediment-bench-lambda-"));
  const hosts: LambdaHost[] = [];
  let poller: EventSourcePoller | undefined;
  const emulator = await startEmulator().catch((e: unknown) => {
    rmSync(work, { recursive: true, force: true });
    throw new EmulatorUnavailableError(`the S3/SQS emulator did not start: ${errorText(e)}`);
  });
  let keepLogs = false;
  try {
    const { s3, sqs } = awsClients(emulator.endpoint, emulator.region);
    const { bucket, queueUrl, queueArn } = await createResources(s3, sqs, emulator.region).catch(
      (e: unknown) => {
        throw new EmulatorUnavailableError(
          `the S3/SQS emulator did not start: ${emulator.endpoint} did not create a bucket and a queue: ${errorText(e)}`,
        );
      },
    );
    const t0 = performance.now();
    const bundles: Bundles = await bundleFunctions(join(work, "bundles"));
    log(
      `  lambda: bundled in ${((performance.now() - t0) / 1000).toFixed(1)} s, emulator ${emulator.endpoint}`,
    );
    const env = {
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
      SEDIMENT_BUCKET: bucket,
      // fauxqs ignores conditional writes; one compactor and one merge at a time (ARCHITECTURE.md).
      SEDIMENT_CONDITIONAL_WRITES: emulator.local ? "false" : "true",
      POWERTOOLS_LOG_LEVEL: "INFO",
    };
    const start = async (fn: FunctionName, name: string, extra: Record<string, string> = {}) => {
      const h = await LambdaHost.start(bundles, fn, name, { ...env, ...extra }, join(work, `${name}.log`));
      hosts.push(h);
      return h;
    };
    const stopHost = async (h: LambdaHost) => {
      await h.stop();
      hosts.splice(hosts.indexOf(h), 1);
    };

    // Load: the writer function, one request at a time (one execution environment), while the poller feeds
    // the compactor as the event source mapping would.
    const compactor = await start("compactor", "compactor");
    poller = new EventSourcePoller(sqs, queueUrl, queueArn, emulator.region, compactor, opts.loadPoller);
    poller.start();
    const writer = await start("api", "writer", { SEDIMENT_ROLE: "write", SEDIMENT_QUEUE_URL: queueUrl });
    let rows = 0;
    let writerMs = 0;
    let writerCpuUs = 0;
    const loadStart = performance.now();
    for (const [i, batch] of opts.batches.entries()) {
      const r = await writer.invoke(writeEvent(opts.db, batch, Date.now()));
      const res = apiResult(r.result);
      if (res.status !== 204)
        throw new Error(`writer answered ${res.status} to request ${i}: ${res.body.slice(0, 300)}`);
      rows += countLines(batch);
      writerMs += r.ms;
      writerCpuUs += r.cpuUs;
    }
    const lastAck = performance.now();
    log(`  lambda: ${rows} rows written in ${((lastAck - loadStart) / 1000).toFixed(1)} s; compacting`);
    await poller.waitForDeleted(opts.batches.length, opts.drainTimeoutMs);
    const drainSeconds = (performance.now() - lastAck) / 1000;
    const writerUsage = await writer.report();
    const compactorUsage = await compactor.report();
    const compaction = {
      invocations: poller.invocations,
      messages: poller.messages,
      failures: poller.failures,
      rows,
      handlerSeconds: poller.handlerMs / 1000,
      handlerCpuSeconds: secondsOf(poller.handlerCpuUs),
      rowsPerCpuSecond: rows / secondsOf(poller.handlerCpuUs),
    };
    const functions: FunctionUsage[] = [
      usageRow(
        "writer",
        `${opts.batches.length} requests of ≤${countLines(opts.batches[0] ?? new Uint8Array())} lines, one at a time`,
        writer,
        writerUsage,
        opts.batches.length,
        writerMs,
        writerCpuUs,
      ),
      usageRow(
        "compactor",
        `${compaction.messages} WAL messages in ${compaction.invocations} batches → level-0 Parquet`,
        compactor,
        compactorUsage,
        compaction.invocations,
        poller.handlerMs,
        poller.handlerCpuUs,
      ),
    ];
    log(
      `  lambda: compacted ${drainSeconds.toFixed(1)} s after the last ack, ${Math.round(compaction.rowsPerCpuSecond)} rows per CPU-second`,
    );

    // Merge: the scheduled function, invoked until it finds nothing left to merge.
    const merge = await start("merge", "merge");
    let merged = 0;
    let mergeInvocations = 0;
    let mergeMs = 0;
    let mergeCpuUs = 0;
    for (let i = 0; i < 10; i++) {
      const r = await merge.invoke(scheduleEvent(emulator.region, Date.now()), MERGE_REMAINING_MS);
      const out = r.result as { merged?: number; failed?: number };
      mergeInvocations++;
      mergeMs += r.ms;
      mergeCpuUs += r.cpuUs;
      if ((out.failed ?? 0) > 0)
        throw new Error(`merge reported ${out.failed} failed jobs (log: ${work}/merge.log)`);
      merged += out.merged ?? 0;
      if ((out.merged ?? 0) === 0) break;
    }
    functions.push(
      usageRow(
        "merge",
        `${merged} merge jobs in ${mergeInvocations} scheduled runs`,
        merge,
        await merge.report(),
        mergeInvocations,
        mergeMs,
        mergeCpuUs,
      ),
    );
    await stopHost(merge);
    const mergeResult = {
      invocations: mergeInvocations,
      merged,
      rows,
      handlerCpuSeconds: secondsOf(mergeCpuUs),
      rowsPerCpuSecond: rows / secondsOf(mergeCpuUs),
    };
    const dataset = await datasetSize(s3, bucket, measurementPrefix(opts.db, "cpu"));
    log(`  lambda: ${merged} merges; ${dataset.objects} objects, ${dataset.bytes} bytes on S3`);

    // Warm: one query process runs the whole set, after a warm-up per type.
    const queryEnv = { SEDIMENT_ROLE: "query" };
    const warmHost = await start("api", "query-warm", queryEnv);
    let warmMs = 0;
    let warmCpuUs = 0;
    let warmCount = 0;
    const check = await queryRows(warmHost, opts.db, "SELECT count(usage_user) FROM cpu");
    const countMatch = /"values":\[\[-?\d+,(\d+)\]\]/.exec(check.body);
    const countGot = check.error === undefined && countMatch ? Number(countMatch[1]) : undefined;
    const warm: PipelineResult["warm"] = {};
    for (const [type, qs] of opts.querySet ?? []) {
      const first = qs[0];
      if (first === undefined) continue;
      await queryRows(warmHost, opts.db, first.influxql);
      const w = { ms: [] as number[], rows: 0, errors: [] as string[] };
      for (const q of qs.slice(0, opts.warmDraws)) {
        const a = await queryRows(warmHost, opts.db, q.influxql);
        if (a.error !== undefined) w.errors.push(a.error);
        else w.ms.push(a.ms);
        w.rows += a.rows;
        warmMs += a.ms;
        warmCpuUs += a.cpuUs;
        warmCount++;
      }
      warm[type] = w;
    }
    const warmUsage = await warmHost.report();
    functions.push(
      usageRow(
        "query (warm)",
        `${warmCount} TSBS queries in one process`,
        warmHost,
        warmUsage,
        warmCount,
        warmMs,
        warmCpuUs,
      ),
    );

    // Cold: a fresh process per query, its first invocation timed; explain=true reports what it read.
    const cold: Record<string, ColdQuery> = {};
    let coldPeak = 0;
    let coldRssSource: HostUsage["rssSource"] = "VmHWM";
    let coldCount = 0;
    let coldImportMs = 0;
    for (const [type, qs] of opts.querySet ?? []) {
      const n = Math.min(opts.coldDraws.get(type) ?? 0, qs.length);
      if (n === 0) continue;
      const c: ColdQuery = {
        importMs: [],
        firstMs: [],
        firstCpuMs: [],
        secondMs: [],
        bytes: [],
        requests: [],
        filesRead: [],
        peakRssBytes: [],
        rows: 0,
        errors: [],
      };
      for (const q of qs.slice(0, n)) {
        const h = await start("api", `query-cold-${coldCount++}`, queryEnv);
        try {
          const a = await queryRows(h, opts.db, q.influxql, true);
          const again = await queryRows(h, opts.db, q.influxql);
          const u = await h.report();
          if (again.error === undefined) c.secondMs.push(again.ms);
          c.importMs.push(h.importMs);
          coldImportMs = Math.max(coldImportMs, h.importMs);
          c.peakRssBytes.push(u.maxRssBytes);
          coldPeak = Math.max(coldPeak, u.maxRssBytes);
          coldRssSource = u.rssSource;
          if (a.error !== undefined) c.errors.push(a.error);
          else {
            c.firstMs.push(a.ms);
            c.firstCpuMs.push(a.cpuUs / 1000);
          }
          c.rows += a.rows;
          const num = (k: string) =>
            typeof a.explain?.[k] === "number" ? (a.explain[k] as number) : Number.NaN;
          c.bytes.push(num("bytes"));
          c.requests.push(num("requests"));
          c.filesRead.push(num("filesRead"));
        } finally {
          await stopHost(h);
        }
      }
      cold[type] = c;
    }
    if (coldCount > 0) {
      functions.push({
        function: "query (cold)",
        work: `${coldCount} fresh processes, one query each (max over them)`,
        invocations: coldCount,
        peakRssBytes: coldPeak,
        rssSource: coldRssSource,
        processCpuSeconds: Number.NaN,
        handlerCpuSeconds: Number.NaN,
        handlerSeconds: Number.NaN,
        importMs: coldImportMs,
      });
    }
    log(`  lambda: ${coldCount} cold queries`);

    // Freshness: writer acknowledgment → visible through the query function, per poller setting.
    const freshness: PipelineResult["freshness"] = [];
    for (const [pi, settings] of opts.freshnessPollers.entries()) {
      poller.settings = settings;
      const ms: number[] = [];
      const timeoutMs = Math.max(opts.freshnessTimeoutMs, settings.windowSeconds * 1000 + 10_000);
      try {
        const samples = settings.windowSeconds > 0 ? opts.windowedFreshnessSamples : opts.freshnessSamples;
        for (let i = 0; i < samples; i++) {
          const probe = `lambda_${pi}_${i}`;
          const line = `bench_freshness,probe=${probe} v=${i}i ${BigInt(Date.now()) * 1_000_000n}\n`;
          const r = await writer.invoke(writeEvent(opts.db, new TextEncoder().encode(line), Date.now()));
          const res = apiResult(r.result);
          if (res.status !== 204)
            throw new Error(`probe write answered ${res.status}: ${res.body.slice(0, 200)}`);
          const ack = performance.now();
          let seen = false;
          while (performance.now() - ack < timeoutMs) {
            const a = await queryRows(
              warmHost,
              opts.db,
              `SELECT count(v) FROM bench_freshness WHERE probe = '${probe}'`,
            );
            if (a.error === undefined && a.rows > 0) {
              seen = true;
              break;
            }
            await sleep(20);
          }
          if (!seen)
            throw new Error(`probe ${probe} not visible ${timeoutMs / 1000} s after its acknowledgment`);
          ms.push(performance.now() - ack);
        }
        freshness.push({ poller: settings, ms });
      } catch (e) {
        freshness.push({ poller: settings, ms, error: errorText(e) });
      }
      log(
        `  lambda: freshness (batch ${settings.batchSize}, window ${settings.windowSeconds} s): ${ms.map((x) => Math.round(x)).join(", ")} ms`,
      );
    }

    return {
      emulator: emulator.local ? `fauxqs (local, ${emulator.endpoint})` : emulator.endpoint,
      bundleBytes: bundles.bytes,
      load: {
        rows,
        requests: opts.batches.length,
        messages: opts.batches.length,
        writerSeconds: writerMs / 1000,
        drainSeconds,
        poller: opts.loadPoller,
      },
      compactor: compaction,
      merge: mergeResult,
      dataset,
      countCheck: {
        expected: rows,
        got: countGot,
        ...(check.error === undefined ? {} : { error: check.error }),
      },
      functions,
      cold,
      warm,
      freshness,
    };
  } catch (e) {
    if (e instanceof EmulatorUnavailableError) throw e;
    keepLogs = true;
    throw new Error(`${errorText(e)} (function logs in ${work})`);
  } finally {
    await poller?.stop();
    for (const h of [...hosts]) await h.stop();
    await emulator.stop();
    // The functions' logs stay for a failed run (the error names the folder).
    if (!keepLogs) rmSync(work, { recursive: true, force: true });
  }
}

/** Median and p95 of a list, NaN-free. */
export function summary(xs: readonly number[]): { median: number; p95: number } {
  const clean = xs.filter((x) => Number.isFinite(x));
  return { median: median(clean), p95: quantile(clean, 0.95) };
}
