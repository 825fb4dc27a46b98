// The merge Lambda handler, loaded as Lambda loads it, invoked with an EventBridge scheduled event and a
// Lambda context; level-0 files are made by the shared compactor on S3 (fauxqs, or AWS_ENDPOINT_URL).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Context, ScheduledEvent } from "aws-lambda";
import { awsClients, createBucket, type Emulator, startEmulator } from "../integration/support/emulator.ts";
import { ObjectStoreCatalog } from "../shared/catalog/catalog.ts";
import { compactRecords } from "../shared/compactor/l0.ts";
import { record, visibleRows } from "../shared/compactor/testkit.ts";
import { ManualClock, SequentialIds } from "../shared/core/clock.ts";
import { parseLineProtocol } from "../shared/lineprotocol/parse.ts";
import { S3ObjectStore } from "../shared/objectstore/s3.ts";

type Handler = (
  event: ScheduledEvent,
  context?: Context,
) => Promise<{ merged: number; lostRaces: number; failed: number }>;

let emulator: Emulator;
let store: S3ObjectStore;
let catalog: ObjectStoreCatalog;
let handler: Handler;

before(async () => {
  emulator = await startEmulator();
  const { s3 } = awsClients(emulator.endpoint, emulator.region);
  const bucket = await createBucket(s3, "merge-fn");
  store = new S3ObjectStore({ client: s3, bucket, conditionalWrites: false });
  catalog = new ObjectStoreCatalog({ store, clock: new ManualClock(), ids: new SequentialIds("test") });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
    SEDIMENT_BUCKET: bucket,
    SEDIMENT_CONDITIONAL_WRITES: "false",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
  ({ handler } = await import("./merge.ts"));
});
after(async () => {
  await emulator?.stop();
});

const scheduled: ScheduledEvent = {
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2025-11-25T00:05:00Z",
  region: "us-east-1",
  resources: ["arn:aws:events:us-east-1:123456789012:rule/sediment-merge"],
  detail: {},
};

function context(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "sediment-merge",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:sediment-merge",
    memoryLimitInMB: "1024",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: "/aws/lambda/sediment-merge",
    logStreamName: "2025/11/25/[$LATEST]0123456789",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

describe("merge handler", () => {
  it("merges level-0 files into one deduplicated file when time allows, and starts nothing when it does not", async () => {
    const deps = {
      store,
      catalog,
      ids: new SequentialIds("l0"),
      parse: parseLineProtocol,
    };
    const t = 1_764_028_800_000_000_000n;
    for (const [seq, lines] of [
      [1n, [`cpu,host=a v=1 ${t}`, `cpu,host=b v=2 ${t + 1n}`]],
      [2n, [`cpu,host=a v=10 ${t}`, `cpu,host=c v=3 ${t + 2n}`]],
    ] as const) {
      const result = await compactRecords([{ id: `r${seq}`, record: record("db", seq, lines) }], deps);
      assert.deepEqual(result.failed, []);
    }
    const levels = async () =>
      (await catalog.catalogPartitions("db", "cpu")).flatMap((p) => p.files.map((f) => f.level));
    assert.deepEqual(await levels(), [0, 0]);

    // Less time left than one merge job may need: the handler starts none.
    assert.deepEqual(await handler(scheduled, context(60_000)), { merged: 0, lostRaces: 0, failed: 0 });
    assert.deepEqual(await levels(), [0, 0]);

    assert.deepEqual(await handler(scheduled, context(900_000)), { merged: 1, lostRaces: 0, failed: 0 });
    const levelsAfter = await levels();
    assert.equal(levelsAfter.length, 1);
    assert.notEqual(levelsAfter[0], 0);
    const rows = await visibleRows(store, catalog, "db", "cpu");
    assert.deepEqual(rows.map((r) => [r.key, r.values.v]).sort(), [
      [`host=a@${t}`, 10],
      [`host=b@${t + 1n}`, 2],
      [`host=c@${t + 2n}`, 3],
    ]);
    const keys = (await store.list("data/db/cpu/")).map((o) => o.key);
    assert.ok(
      keys.every((k) => !k.includes("/_l0/")),
      `merged inputs deleted: ${keys.join(", ")}`,
    );

    // Nothing left to merge; an invocation without a context (as in a test console) also works.
    assert.deepEqual(await handler(scheduled), { merged: 0, lostRaces: 0, failed: 0 });
  });
});
