// `npm start` against S3 and SQS (AWS_ENDPOINT_URL, else fauxqs): the official client writes, the server's
// compactor and merge timers move the points through the queue into Parquet on S3, the query finds them,
// and SIGTERM stops the process cleanly.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { InfluxDB, Point } from "@influxdata/influxdb-client";
import { awsClients, createBucket, createQueue, type Emulator, startEmulator } from "./support/emulator.ts";
import { parseJsonExact } from "./support/workload.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const DEADLINE_MS = 30_000;
const BASE = 1_764_028_800_000_000_000n; // 2025-11-25T00:00:00Z

let emulator: Emulator;
let dir = "";
let child: ChildProcess | undefined;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), "sediment-server-s3-"));
});
after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
  await emulator?.stop();
});

/** Polls `check` until it returns a value, failing with the last observation after the deadline. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} not within ${DEADLINE_MS} ms (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it("the local server on S3/SQS: client writes become Parquet on S3, queries see them, SIGTERM exits 0", async () => {
  const { s3, sqs } = awsClients(emulator.endpoint, emulator.region);
  const bucket = await createBucket(s3, "server");
  const { queueUrl } = await createQueue(sqs, "server", { visibilityTimeoutSeconds: 10 });
  child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "server/main.ts",
      ...["--port", "0", "--data-dir", dir, "--object-store", "s3", "--bucket", bucket],
      ...[
        "--wal",
        "sqs",
        "--queue-url",
        queueUrl,
        "--compact-interval-ms",
        "100",
        "--merge-interval-ms",
        "500",
      ],
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: emulator.endpoint,
        AWS_REGION: emulator.region,
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const proc = child;
  let stdout = "";
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    proc.once("exit", (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });

  const hosts = ["a", "b", "c"];
  const expected = new Map<string, [bigint, number, number][]>();
  for (let batch = 0; batch < 2; batch++) {
    // Two flushes: two level-0 files per partition, which the merge timer folds into one.
    const writeApi = new InfluxDB({ url }).getWriteApi("org", "srv", "ns", { maxRetries: 0 });
    for (let i = 0; i < 30; i++) {
      const host = hosts[i % 3] as string;
      const time = BASE + BigInt(batch * 30 + i) * 1_000_000_007n;
      const usage = batch * 100 + i + 0.25;
      writeApi.writePoint(
        new Point("cpu")
          .tag("host", host)
          .floatField("usage", usage)
          .intField("n", i)
          .timestamp(String(time)),
      );
      expected.set(host, [...(expected.get(host) ?? []), [time, usage, i]]);
    }
    await writeApi.close();
  }

  const query = async (q: string) => {
    const res = await fetch(`${url}/query?db=srv&epoch=ns&q=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200);
    return parseJsonExact(await res.text()) as {
      results: { series?: { tags?: Record<string, string>; values: unknown[][] }[] }[];
    };
  };
  const answer = await eventually("all 60 points in query results", async () => {
    const got = await query("SELECT usage, n FROM cpu GROUP BY host");
    const series = got.results[0]?.series ?? [];
    return series.reduce((n, s) => n + s.values.length, 0) === 60 ? series : undefined;
  });
  assert.deepEqual(
    answer.map((s) => [s.tags?.host, s.values]),
    hosts.map((h) => [h, expected.get(h)]),
  );

  const { Contents = [] } = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: "data/srv/cpu/" }),
  );
  assert.ok(
    Contents.some((o) => o.Key?.endsWith(".parquet")),
    "Parquet on S3",
  );
  await eventually("the merge timer folded the level-0 files", async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "data/srv/cpu/" }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? "");
    return keys.length > 0 && keys.every((k) => !k.includes("/_l0/")) ? keys : undefined;
  });
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  assert.equal(attrs.Attributes?.ApproximateNumberOfMessages, "0", "every WAL message acknowledged");
  assert.equal(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible, "0");
  assert.deepEqual(
    (await query("SELECT usage, n FROM cpu GROUP BY host")).results[0]?.series?.map((s) => s.values),
    hosts.map((h) => expected.get(h)),
    "the same answer after the merge",
  );

  const exited = once(proc, "exit");
  proc.kill("SIGTERM");
  const [code, signal] = await exited;
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /"message":"stopped"/);
});
