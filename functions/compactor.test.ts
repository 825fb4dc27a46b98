// The compactor Lambda handler, loaded as Lambda loads it (configuration from the environment at import),
// invoked with SQS events shaped as the event source mapping sends them; S3 is fauxqs (or AWS_ENDPOINT_URL).
import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { awsClients, createBucket, type Emulator, startEmulator } from "../integration/support/emulator.ts";
import { ObjectStoreCatalog } from "../shared/catalog/catalog.ts";
import { ManualClock, SequentialIds } from "../shared/core/clock.ts";
import { S3ObjectStore } from "../shared/objectstore/s3.ts";
import { claimKey } from "../shared/wal/claims.ts";
import { encodeRecord } from "../shared/wal/codec.ts";
import type { WalRecord } from "../shared/wal/port.ts";
import { CLAIM_PREFIX } from "../shared/wal/sqs.ts";

let emulator: Emulator;
let store: S3ObjectStore;
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
const logs: string[] = [];

before(async () => {
  emulator = await startEmulator();
  const { s3 } = awsClients(emulator.endpoint, emulator.region);
  const bucket = await createBucket(s3, "compactor-fn");
  store = new S3ObjectStore({ client: s3, bucket, conditionalWrites: false });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
    SEDIMENT_BUCKET: bucket,
    SEDIMENT_CONDITIONAL_WRITES: "false",
    POWERTOOLS_DEV: "true",
    POWERTOOLS_LOG_LEVEL: "WARN",
  });
  for (const method of ["log", "info", "warn", "error"] as const)
    mock.method(console, method, (...args: unknown[]) => {
      logs.push(args.map(String).join(" "));
    });
  ({ handler } = await import("./compactor.ts"));
});
after(async () => {
  mock.restoreAll();
  await emulator?.stop();
});

function walRecord(n: number, database: string, body: string): WalRecord {
  return {
    database,
    writeId: `write-${n}`,
    receivedAtNs: 1_764_028_800_000_000_000n,
    sequence: 1_764_028_800_000_000_000n + BigInt(n),
    precision: "ns",
    body: new TextEncoder().encode(body),
  };
}

const base64 = (record: WalRecord) => Buffer.from(encodeRecord(record)).toString("base64");

function sqsRecord(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: "1764028800000",
      SenderId: "AROAEXAMPLE:sediment-writer",
      ApproximateFirstReceiveTimestamp: "1764028800001",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:sediment-wal",
    awsRegion: "us-east-1",
  };
}

const catalog = () =>
  new ObjectStoreCatalog({ store, clock: new ManualClock(), ids: new SequentialIds("test") });

async function rowsIn(database: string, measurement: string): Promise<number> {
  const partitions = await catalog().catalogPartitions(database, measurement);
  return partitions.flatMap((p) => p.files).reduce((n, f) => n + f.rowCount, 0);
}

describe("compactor handler", () => {
  it("compacts inline and claim-check messages and names only the undecodable ones as failures", async () => {
    const claimed = walRecord(
      2,
      "fn",
      "cpu,host=b v=2 1764028800000000002\ncpu,host=c v=3 1764028800000000003",
    );
    const key = claimKey(Date.UTC(2025, 10, 25), claimed.writeId);
    await store.put(key, encodeRecord(claimed));
    const missingClaim = claimKey(Date.UTC(2025, 10, 25), "write-gone");
    const event: SQSEvent = {
      Records: [
        sqsRecord("m-inline", base64(walRecord(1, "fn", "cpu,host=a v=1 1764028800000000001"))),
        sqsRecord("m-claim", CLAIM_PREFIX + key),
        sqsRecord("m-garbage", "this is not a WAL record", 2),
        sqsRecord("m-missing-claim", CLAIM_PREFIX + missingClaim),
        sqsRecord("m-other-db", base64(walRecord(3, "fn2", "mem free=10i 1764028800000000004"))),
      ],
    };
    const response = await handler(event);
    assert.deepEqual(response.batchItemFailures.map((f) => f.itemIdentifier).sort(), [
      "m-garbage",
      "m-missing-claim",
    ]);
    assert.equal(await rowsIn("fn", "cpu"), 3);
    assert.equal(await rowsIn("fn2", "mem"), 1);
    assert.ok(logs.some((l) => l.includes("m-missing-claim") && l.includes(missingClaim)));
  });

  it("reports points that conflict with the catalog's field types, without failing their message", async () => {
    const first = await handler({
      Records: [sqsRecord("t-1", base64(walRecord(10, "types", "m x=1i 1764028800000000010")))],
    });
    assert.deepEqual(first.batchItemFailures, []);
    const before = logs.length;
    const second = await handler({
      Records: [
        sqsRecord(
          "t-2",
          base64(walRecord(11, "types", 'm x="one" 1764028800000000011\nm x=2i 1764028800000000012')),
        ),
      ],
    });
    assert.deepEqual(second.batchItemFailures, [], "a rejected point is not a retryable failure");
    assert.equal(await rowsIn("types", "m"), 2);
    const warning = logs
      .slice(before)
      .map((l) => JSON.parse(l) as { message?: string; count?: number })
      .find((l) => l.message === "points rejected by the compactor");
    assert.equal(warning?.count, 1);
  });

  it("an event with no records succeeds with no failures", async () => {
    assert.deepEqual(await handler({ Records: [] }), { batchItemFailures: [] });
  });
});
