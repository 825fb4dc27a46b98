// The whole AWS pipeline against S3 and SQS (AWS_ENDPOINT_URL, else fauxqs): the Lambda handlers loaded as
// Lambda loads them (configuration from the environment at import), API Gateway v2 events into the writer,
// an SQS event source mapping driving the compactor (partial batch failures, redelivery, DLQ), the merge
// handler on a schedule, queries through the query handler, and the Parquet on S3 read back with DuckDB.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, mock } from "node:test";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, ScheduledEvent } from "aws-lambda";
import { measurementPrefix } from "../shared/layout/keys.ts";
import { awsClients, createBucket, createQueue, type Emulator, startEmulator } from "./support/emulator.ts";
import {
  type ApiHandler,
  type ApiRequest,
  apiGatewayEvent,
  lambdaContext,
  loadFresh,
  type PumpReport,
  pumpQueue,
  responseText,
  type SqsHandler,
  scheduledEvent,
} from "./support/lambda.ts";
import {
  downloadPrefix,
  Model,
  normalise,
  parseJsonExact,
  prng,
  readParquetState,
  shuffle,
  stateFromQuery,
  type TestPoint,
  toBody,
} from "./support/workload.ts";

type MergeHandler = (
  event: ScheduledEvent,
  context?: Context,
) => Promise<{ merged: number; lostRaces: number; failed: number }>;

const DAY_NS = 86_400_000_000_000n;
const BASE = 1_764_028_800_000_000_000n; // 2025-11-25T00:00:00Z
const MAX_RECEIVE_COUNT = 3;

let emulator: Emulator;
let s3: S3Client;
let sqs: SQSClient;
let bucket: string;
let queueUrl: string;
let queueArn: string;
let dlqUrl: string;
let writer: ApiHandler;
/** A second writer instance (another Lambda container): it has not seen what the first one accepted. */
let otherWriter: ApiHandler;
let query: ApiHandler;
let compactor: SqsHandler;
let merge: MergeHandler;
let work: string;
const logs: string[] = [];
const model = new Model();

before(async () => {
  emulator = await startEmulator();
  ({ s3, sqs } = awsClients(emulator.endpoint, emulator.region));
  bucket = await createBucket(s3, "pipeline");
  const queues = await createQueue(sqs, "pipeline", {
    dlq: { maxReceiveCount: MAX_RECEIVE_COUNT },
    visibilityTimeoutSeconds: 5,
  });
  queueUrl = queues.queueUrl;
  dlqUrl = queues.dlqUrl ?? "";
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  queueArn = attrs.Attributes?.QueueArn ?? "";
  work = await mkdtemp(join(tmpdir(), "sediment-pipeline-s3-"));

  // The handlers log through Powertools; in dev mode it writes to the global console, captured here.
  for (const method of ["log", "info", "warn", "error", "debug"] as const)
    mock.method(console, method, (...args: unknown[]) => {
      logs.push(args.map(String).join(" "));
    });
  const common = {
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
    SEDIMENT_BUCKET: bucket,
    SEDIMENT_CONDITIONAL_WRITES: process.env.SEDIMENT_TEST_CONDITIONAL_WRITES === "1" ? "true" : "false",
    SEDIMENT_PARTITION_TEMPLATES: JSON.stringify([
      { database: "*", measurement: "cpu", parts: [{ kind: "bucket", tag: "host", buckets: 4 }] },
    ]),
    POWERTOOLS_DEV: "true",
    POWERTOOLS_LOG_LEVEL: "WARN",
  };
  type Api = { handler: ApiHandler };
  const api = "../functions/api.ts";
  const writeEnv = { ...common, SEDIMENT_ROLE: "write", SEDIMENT_QUEUE_URL: queueUrl };
  writer = (await loadFresh<Api>(api, import.meta.url, "writer-1", writeEnv)).handler;
  otherWriter = (await loadFresh<Api>(api, import.meta.url, "writer-2", writeEnv)).handler;
  query = (await loadFresh<Api>(api, import.meta.url, "query", { ...common, SEDIMENT_ROLE: "query" }))
    .handler;
  compactor = (
    await loadFresh<{ handler: SqsHandler }>("../functions/compactor.ts", import.meta.url, "c", common)
  ).handler;
  merge = (await loadFresh<{ handler: MergeHandler }>("../functions/merge.ts", import.meta.url, "m", common))
    .handler;
});

after(async () => {
  mock.restoreAll();
  await rm(work, { recursive: true, force: true });
  await emulator?.stop();
});

/** Writes through the writer function; records the points in the model when it answers 204. */
async function write(
  database: string,
  points: readonly TestPoint[],
  options: { api?: "v1" | "v2" | "v3"; handler?: ApiHandler } = {},
): Promise<{ status: number; body: string }> {
  const api = options.api ?? "v1";
  const request: ApiRequest =
    api === "v1"
      ? { method: "POST", path: "/write", query: `db=${database}&precision=ns`, body: toBody(points) }
      : api === "v2"
        ? {
            method: "POST",
            path: "/api/v2/write",
            query: `org=sediment&bucket=${database}&precision=ns`,
            headers: { "content-type": "text/plain; charset=utf-8" },
            body: toBody(points),
          }
        : {
            method: "POST",
            path: "/api/v3/write_lp",
            query: `db=${database}&precision=nanosecond`,
            body: toBody(points),
          };
  const result = await (options.handler ?? writer)(apiGatewayEvent(request));
  if (result.statusCode === 204) model.apply(database, points);
  return { status: result.statusCode ?? 0, body: responseText(result) };
}

async function influxql(database: string, q: string): Promise<unknown> {
  const result = await query(
    apiGatewayEvent({
      method: "GET",
      path: "/query",
      query: `db=${encodeURIComponent(database)}&epoch=ns&q=${encodeURIComponent(q)}`,
    }),
  );
  const text = responseText(result);
  assert.equal(result.statusCode, 200, text);
  return parseJsonExact(text);
}

async function assertQueryMatches(database: string, measurement: string): Promise<void> {
  const got = stateFromQuery(await influxql(database, `SELECT * FROM "${measurement}" GROUP BY *`));
  assert.deepEqual(got, normalise(model.state(database, measurement), "json"), `${database}/${measurement}`);
}

/** Downloads the measurement's objects and checks DuckDB sees exactly the model, one row per point. */
async function assertParquetMatches(
  database: string,
  measurement: string,
  tags: readonly string[],
  partitionColumns: readonly string[] = [],
): Promise<string[]> {
  const dir = await mkdtemp(join(work, `${database}-`));
  const prefix = measurementPrefix(database, measurement);
  const keys = await downloadPrefix(s3, bucket, prefix, dir);
  const read = await readParquetState(join(dir, prefix, "**", "*.parquet"), tags, partitionColumns);
  assert.deepEqual(read.badTimes, []);
  assert.equal(read.duplicates, 0, "no (series, time) twice");
  assert.equal(read.rows, model.rows(database, measurement));
  assert.deepEqual(read.state, normalise(model.state(database, measurement), "exact"));
  return keys;
}

const drain = (options: { deleteSuccesses?: boolean } = {}): Promise<PumpReport> =>
  pumpQueue({ sqs, queueUrl, queueArn, region: emulator.region, handler: compactor, ...options });

async function runMerge(): Promise<{ merged: number; lostRaces: number; failed: number }> {
  const result = await merge(scheduledEvent(emulator.region) as ScheduledEvent, lambdaContext("merge"));
  assert.equal(result.failed, 0, logs.filter((l) => l.includes("merge failed")).join("\n"));
  return result;
}

async function listKeys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function queueDepth(url: string): Promise<{ visible: number; inFlight: number }> {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(attrs.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

function assertNoFailures(report: PumpReport): void {
  assert.equal(report.failures.size, 0, logs.filter((l) => l.includes("not compacted")).join("\n"));
}

function cpuPoints(random: () => number, hosts: number, perHost: number, from: bigint): TestPoint[] {
  const points: TestPoint[] = [];
  for (let h = 0; h < hosts; h++)
    for (let i = 0; i < perHost; i++)
      points.push({
        measurement: "cpu",
        tags: { host: `host-${h}`, region: h % 2 === 0 ? "us west" : "eu,central" },
        fields: {
          usage: { type: "float", value: Math.round(random() * 1e6) / 1e3 },
          n: { type: "integer", value: BigInt(Math.floor(random() * 1e12)) - 500_000_000_000n },
          ok: { type: "boolean", value: random() < 0.5 },
          note: { type: "string", value: `say "hi" \\ ${i}` },
          u: { type: "unsigned", value: BigInt(Math.floor(random() * 1e9)) },
        },
        // Nanosecond-exact times spread over two days.
        time: from + (BigInt(i) * 2n * DAY_NS) / BigInt(perHost) + BigInt(h * 1_000 + 7),
      });
  return points;
}

describe("pipeline on S3/SQS through the Lambda handlers", () => {
  it("a multi-database, multi-measurement workload reads back exactly through queries and DuckDB", async () => {
    const random = prng(1);
    const cpu = shuffle(cpuPoints(random, 4, 60, BASE), random);
    const mem: TestPoint[] = Array.from({ length: 50 }, (_, i) => ({
      measurement: "mem",
      tags: { host: `host-${i % 5}` },
      fields: { free: { type: "integer", value: BigInt(i * 1_000_003) } },
      time: BASE + BigInt(i) * 60_000_000_001n,
    }));
    const log: TestPoint[] = Array.from({ length: 40 }, (_, i) => ({
      measurement: "app log",
      tags: { app: i % 3 === 0 ? "api" : "web" },
      fields: {
        msg: { type: "string", value: `request ${i} took ${i * 3} ms` },
        level: { type: "integer", value: BigInt(i % 4) },
      },
      time: BASE + BigInt(i) * 1_000_000_003n,
    }));
    // Two rounds, so each partition gets two level-0 files and the merge has work.
    assert.equal((await write("metrics", cpu.slice(0, 120), { api: "v1" })).status, 204);
    assert.equal((await write("metrics", mem.slice(0, 25), { api: "v2" })).status, 204);
    assert.equal((await write("events", log.slice(0, 20), { api: "v3" })).status, 204);
    assertNoFailures(await drain());
    assert.equal((await write("metrics", cpu.slice(120), { api: "v3" })).status, 204);
    assert.equal((await write("metrics", mem.slice(25), { api: "v1" })).status, 204);
    assert.equal((await write("events", log.slice(20), { api: "v2" })).status, 204);
    // Overwrite one cpu point: the later write wins, field by field.
    const first = cpu[0] as TestPoint;
    const overwrite = {
      ...first,
      fields: { ...first.fields, usage: { type: "float" as const, value: -1.25 } },
    };
    assert.equal((await write("metrics", [overwrite])).status, 204);
    const second = await drain();
    assertNoFailures(second);
    assert.equal(second.deleted, 4);
    assert.deepEqual(await queueDepth(queueUrl), { visible: 0, inFlight: 0 });

    for (const [db, m] of [
      ["metrics", "cpu"],
      ["metrics", "mem"],
      ["events", "app log"],
    ] as const)
      await assertQueryMatches(db, m);
    const l0 = (await listKeys("data/metrics/cpu/")).filter((k) => k.includes("/_l0/"));
    assert.ok(
      l0.some((k) => k.includes("/host_bucket=")),
      `partitioned by the template: ${l0[0]}`,
    );

    const merged = await runMerge();
    assert.ok(merged.merged >= 3, `merged ${merged.merged} partitions`);
    for (const [db, m] of [
      ["metrics", "cpu"],
      ["metrics", "mem"],
      ["events", "app log"],
    ] as const)
      await assertQueryMatches(db, m);
    const keys = await assertParquetMatches("metrics", "cpu", ["host", "region"], ["host_bucket"]);
    assert.ok(
      keys.every((k) => !k.includes("/_l0/")),
      `every L0 file merged: ${keys.join(", ")}`,
    );
    await assertParquetMatches("metrics", "mem", ["host"]);
    await assertParquetMatches("events", "app log", ["app"]);
  });

  it("a body over 1 MiB encoded goes through a claim check and arrives whole", async () => {
    const random = prng(2);
    const hex = () =>
      Array.from({ length: 8 }, () =>
        Math.floor(random() * 2 ** 32)
          .toString(16)
          .padStart(8, "0"),
      ).join("");
    const points: TestPoint[] = Array.from({ length: 22_000 }, (_, i) => ({
      measurement: "blob",
      tags: { shard: `s${i % 7}` },
      fields: { h: { type: "string", value: hex() }, x: { type: "float", value: random() } },
      time: BASE + BigInt(i) * 1_000_000_001n,
    }));
    const claimsBefore = await listKeys("wal/claims/");
    const result = await write("bulk", points, { api: "v2" });
    assert.equal(result.status, 204, result.body);
    const claims = (await listKeys("wal/claims/")).filter((k) => !claimsBefore.includes(k));
    assert.equal(claims.length, 1, "one claim-check object for the one record");

    const report = await drain();
    assertNoFailures(report);
    assert.equal(report.deleted, 1);
    const count = (await influxql("bulk", "SELECT count(h) FROM blob")) as {
      results: { series: { values: unknown[][] }[] }[];
    };
    assert.equal(count.results[0]?.series[0]?.values[0]?.[1], points.length);
    await assertQueryMatches("bulk", "blob");
    await assertParquetMatches("bulk", "blob", ["shard"]);
  });

  it("a poison message ends in the DLQ after maxReceiveCount while the rest of its batch is written", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not a WAL record" }));
    const points: TestPoint[] = Array.from({ length: 5 }, (_, i) => ({
      measurement: "m",
      tags: { k: "v" },
      fields: { v: { type: "float", value: i + 0.5 } },
      time: BASE + BigInt(i),
    }));
    assert.equal((await write("poison", points)).status, 204);

    const report = await drain();
    assert.equal(report.deleted, 1, "the good record was acknowledged");
    assert.equal(report.failures.size, 1, "only the poison message failed");
    const [poisonId = "", times] = [...report.failures][0] ?? [];
    assert.equal(times, MAX_RECEIVE_COUNT);
    assert.equal(report.receiveCounts.get(poisonId), MAX_RECEIVE_COUNT);
    assert.ok(logs.some((l) => l.includes("WAL message could not be decoded") && l.includes(poisonId)));
    await assertQueryMatches("poison", "m");

    const dlq = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    assert.deepEqual(
      (dlq.Messages ?? []).map((m) => [m.MessageId, m.Body]),
      [[poisonId, "not a WAL record"]],
    );
    assert.deepEqual(await queueDepth(queueUrl), { visible: 0, inFlight: 0 });
  });

  it("records redelivered after a compactor crash leave no duplicates in queries or after the merge", async () => {
    const random = prng(3);
    const points = cpuPoints(random, 3, 20, BASE + 5n * DAY_NS);
    for (let i = 0; i < 3; i++)
      assert.equal((await write("crash", points.slice(i * 20, (i + 1) * 20))).status, 204);
    const crashed = await drain({ deleteSuccesses: false });
    assert.equal(crashed.delivered, 3);
    assert.equal(crashed.deleted, 0);
    const retried = await drain();
    assertNoFailures(retried);
    assert.equal(retried.delivered, 3, "all three come back");
    assert.ok([...retried.receiveCounts.values()].every((c) => c === 2));
    const l0 = (await listKeys("data/crash/cpu/")).filter((k) => k.includes("/_l0/"));
    assert.ok(l0.length >= 2, "each delivery wrote its own level-0 files");
    await assertQueryMatches("crash", "cpu");

    await runMerge();
    await assertQueryMatches("crash", "cpu");
    await assertParquetMatches("crash", "cpu", ["host", "region"], ["host_bucket"]);
  });

  it("out-of-order and late points (older than a merge) are found, ordered, and merged", async () => {
    const series = (n: number, offsetNs: bigint, value: number): TestPoint[] =>
      Array.from({ length: n }, (_, i) => ({
        measurement: "temp",
        tags: { room: i % 2 === 0 ? "a" : "b" },
        fields: { c: { type: "float", value: value + i } },
        time: BASE + offsetNs + BigInt(i) * 10_000_000_000n + 123n,
      }));
    const random = prng(4);
    assert.equal((await write("late", shuffle(series(20, 3_600_000_000_000n, 0), random))).status, 204);
    await drain();
    assert.equal((await write("late", shuffle(series(20, 7_200_000_000_000n, 100), random))).status, 204);
    await drain();
    assert.equal((await runMerge()).failed, 0);
    const mergedBefore = (await listKeys("data/late/temp/")).filter((k) => !k.includes("/_l0/"));
    assert.equal(mergedBefore.length, 1);

    // Late: older than everything merged, in between, in the previous day, and an overwrite of a merged point.
    const late = shuffle<TestPoint>(
      [
        ...series(6, 0n, 1000),
        ...series(4, 3_600_000_000_005n, 2000),
        ...series(2, -DAY_NS + 1n, 3000),
        {
          ...(series(1, 3_600_000_000_000n, 0)[0] as TestPoint),
          fields: { c: { type: "float" as const, value: 42.5 } },
        },
      ],
      random,
    );
    assert.equal((await write("late", late)).status, 204);
    assertNoFailures(await drain());
    await assertQueryMatches("late", "temp");

    await runMerge();
    await assertQueryMatches("late", "temp");
    const keys = await assertParquetMatches("late", "temp", ["room"]);
    const day = keys.filter((k) => k.includes("day=2025-11-25/") && !k.includes("/_l0/"));
    assert.equal(day.length, 1, `one merged file for the day: ${keys.join(", ")}`);

    // The merged file is sorted by series key, then time.
    const dir = await mkdtemp(join(work, "late-sorted-"));
    await downloadPrefix(s3, bucket, day[0] as string, dir);
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const conn = await (await DuckDBInstance.create(":memory:")).connect();
    const rows = (
      await conn.runAndReadAll(`SELECT room, time_ns FROM read_parquet('${join(dir, day[0] as string)}')`)
    ).getRowObjectsJS();
    conn.closeSync();
    const sorted = [...rows].sort((x, y) =>
      x.room !== y.room
        ? String(x.room).localeCompare(String(y.room))
        : (x.time_ns as bigint) < (y.time_ns as bigint)
          ? -1
          : 1,
    );
    assert.deepEqual(rows, sorted);
  });

  it("a field type conflict: the writer answers 400 once the catalog knows; one reaching the compactor is reported, not written", async () => {
    const point = (
      measurement: string,
      host: string,
      value: TestPoint["fields"][string],
      i: number,
    ): TestPoint => ({
      measurement,
      tags: { host },
      fields: { x: value },
      time: BASE + BigInt(i),
    });
    assert.equal((await write("types", [point("t", "a", { type: "float", value: 1.5 }, 1)])).status, 204);
    assertNoFailures(await drain());
    // The other writer never saw "x": only the catalog can tell it the type.
    const refused = await write("types", [point("t", "b", { type: "string", value: "oops" }, 2)], {
      handler: otherWriter,
    });
    assert.equal(refused.status, 400);
    const message = (JSON.parse(refused.body) as { error: string }).error;
    assert.match(message, /field "x" on measurement "t" is type string, already exists as type float/);

    // Neither writer knows "fresh" yet and the catalog has no type: both accept, the compactor decides.
    assert.equal(
      (await write("types", [point("fresh", "a", { type: "integer", value: 7n }, 3)])).status,
      204,
    );
    const logsBefore = logs.length;
    const second = point("fresh", "b", { type: "string", value: "seven" }, 4);
    const accepted = await write("types", [second], { handler: otherWriter });
    assert.equal(accepted.status, 204);
    const report = await drain();
    assertNoFailures(report);
    assert.equal(report.deleted, 2, "a rejected point is not a failed message");
    const reported = logs
      .slice(logsBefore)
      .map((l) => JSON.parse(l) as { message?: string; count?: number; first?: Record<string, unknown>[] })
      .filter((l) => l.message === "points rejected by the compactor");
    assert.equal(reported.length, 1);
    assert.equal(reported[0]?.count, 1);
    assert.equal(reported[0]?.first?.[0]?.measurement, "fresh");
    assert.match(String(reported[0]?.first?.[0]?.message), /"x" is integer, got string/);
    // The model took the rejected point when the writer accepted it; the expected state is without it.
    const expected = new Model();
    expected.apply("types", [point("fresh", "a", { type: "integer", value: 7n }, 3)]);
    const got = stateFromQuery(await influxql("types", 'SELECT * FROM "fresh" GROUP BY *'));
    assert.deepEqual(got, normalise(expected.state("types", "fresh"), "json"));
    await assertQueryMatches("types", "t");
  });
});
