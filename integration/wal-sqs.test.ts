// The SQS WAL against the emulator: batching limits, claim checks, retries of failed entries, the consumer side.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { ManualClock, SequentialIds } from "../shared/core/clock.ts";
import { S3ObjectStore } from "../shared/objectstore/s3.ts";
import { WalUnavailableError } from "../shared/wal/errors.ts";
import { injectSqsFaults } from "../shared/wal/faulty.ts";
import type { WalDelivery, WalRecord } from "../shared/wal/port.ts";
import { SqsWalSource, SqsWalWriter } from "../shared/wal/sqs.ts";
import { awsClients, createBucket, createQueue, type Emulator, startEmulator } from "./support/emulator.ts";

let emulator: Emulator;
let clients: { s3: S3Client; sqs: SQSClient };
let store: S3ObjectStore;

before(async () => {
  emulator = await startEmulator();
  clients = awsClients(emulator.endpoint, emulator.region);
  store = new S3ObjectStore({
    client: clients.s3,
    bucket: await createBucket(clients.s3, "wal"),
    conditionalWrites: false,
  });
});
after(async () => {
  await emulator.stop();
});

/** Deterministic incompressible bytes (xorshift32), so sizes on the wire are predictable. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function record(
  n: number,
  body: Uint8Array = new TextEncoder().encode(`cpu,host=h${n} v=${n} ${n}`),
): WalRecord {
  return {
    database: "db",
    writeId: `write-${n}`,
    receivedAtNs: BigInt(n),
    sequence: BigInt(n),
    precision: "ns",
    body,
  };
}

function writer(
  queueUrl: string,
  sqs = clients.sqs,
  extra: Partial<ConstructorParameters<typeof SqsWalWriter>[0]> = {},
) {
  return new SqsWalWriter({
    client: sqs,
    queueUrl,
    store,
    ids: new SequentialIds("e"),
    clock: new ManualClock(),
    sleep: async () => {},
    ...extra,
  });
}

/** Receives until `count` deliveries arrived or a receive comes back empty. */
async function receiveAll(source: SqsWalSource, count: number): Promise<WalDelivery[]> {
  const out: WalDelivery[] = [];
  while (out.length < count) {
    const got = await source.receive(count - out.length);
    if (got.length === 0) break;
    out.push(...got);
  }
  return out;
}

const source = (queueUrl: string, onUndecodable?: (id: string, e: Error) => void) =>
  new SqsWalSource({
    client: clients.sqs,
    queueUrl,
    store,
    waitTimeSeconds: 1,
    ...(onUndecodable ? { onUndecodable } : {}),
  });

describe("SqsWalWriter and SqsWalSource on the emulator", () => {
  it("delivers records exactly as appended, packing at most 10 per batch", async () => {
    const { queueUrl } = await createQueue(clients.sqs, "wal-small");
    const w = writer(queueUrl);
    const records = Array.from({ length: 25 }, (_, i) => record(i));
    await w.append(records);
    assert.equal(w.stats.batches, 3);
    assert.equal(w.stats.messages, 25);
    const got = await receiveAll(source(queueUrl), 25);
    const byId = new Map(got.map((d) => [d.record.writeId, d.record]));
    assert.equal(byId.size, 25);
    for (const r of records) assert.deepEqual(byId.get(r.writeId), r);
    assert.ok(got.every((d) => d.receiveCount === 1));
  });

  it("keeps each SendMessageBatch within 1 MiB", async () => {
    const { queueUrl } = await createQueue(clients.sqs, "wal-bytes");
    const w = writer(queueUrl);
    // ~150 KB of noise -> ~200 KB of base64 per message: five fit in 1 MiB, not six.
    const records = Array.from({ length: 12 }, (_, i) => record(i, noise(150_000, i + 1)));
    await w.append(records);
    assert.equal(w.stats.batches, 3);
    assert.equal(w.stats.claims, 0);
    const got = await receiveAll(source(queueUrl), 12);
    assert.equal(got.length, 12);
    for (const d of got) assert.deepEqual(d.record, records[Number(d.record.writeId.slice(6))]);
  });

  it("sends a 5 MB record through a claim check and reads it back exactly", async () => {
    const { queueUrl } = await createQueue(clients.sqs, "wal-claim");
    const w = writer(queueUrl);
    const big = record(1, noise(5_000_000, 42));
    await w.append([big, record(2)]);
    assert.equal(w.stats.claims, 1);
    assert.equal((await store.list("wal/claims/")).filter((o) => o.key.endsWith("/write-1.bin")).length, 1);
    const got = await receiveAll(source(queueUrl), 2);
    assert.equal(got.length, 2);
    const received = got.find((d) => d.record.writeId === "write-1")?.record;
    assert.ok(received);
    assert.equal(Buffer.compare(received.body, big.body), 0);
    assert.deepEqual({ ...received, body: null }, { ...big, body: null });
  });

  it("retries entries SQS reports failed, sending each record once", async () => {
    const { queueUrl } = await createQueue(clients.sqs, "wal-retry");
    const sqs = awsClients(emulator.endpoint, emulator.region).sqs;
    const faults = injectSqsFaults(sqs);
    const delays: number[] = [];
    const w = writer(queueUrl, sqs, {
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    faults.failNextEntries(13);
    await w.append(Array.from({ length: 15 }, (_, i) => record(i)));
    assert.equal(faults.counts.failed, 13);
    assert.ok(w.stats.retries >= 2);
    assert.ok(delays.every((d, i) => i === 0 || d >= (delays[i - 1] ?? 0)));
    const got = await receiveAll(source(queueUrl), 20);
    assert.deepEqual(
      got.map((d) => d.record.writeId).sort(),
      Array.from({ length: 15 }, (_, i) => `write-${i}`).sort(),
    );
  });

  it("gives up with WalUnavailableError after the bounded attempts", async () => {
    const { queueUrl } = await createQueue(clients.sqs, "wal-down");
    const sqs = awsClients(emulator.endpoint, emulator.region).sqs;
    const faults = injectSqsFaults(sqs);
    faults.failWhen((entry) => entry.id === "e-000002");
    const w = writer(queueUrl, sqs, { maxAttempts: 3 });
    await assert.rejects(w.append([record(1), record(2), record(3)]), (error: unknown) => {
      assert.ok(error instanceof WalUnavailableError);
      assert.match(error.message, /1 of 3 WAL messages after 3 attempts/);
      return true;
    });
    assert.equal(faults.counts.calls, 3);
  });

  it("redelivers released messages with a higher receive count and forgets acknowledged ones", async () => {
    const { queueUrl } = await createQueue(clients.sqs, "wal-ack");
    await writer(queueUrl).append([record(1), record(2), record(3)]);
    const src = source(queueUrl);
    const first = await receiveAll(src, 3);
    assert.equal(first.length, 3);
    const [keep, ...rest] = first;
    assert.ok(keep);
    await src.release([keep.id]);
    await src.ack(rest.map((d) => d.id));
    const again = await receiveAll(src, 3);
    assert.deepEqual(
      again.map((d) => [d.record.writeId, d.receiveCount]),
      [[keep.record.writeId, 2]],
    );
    await src.ack(again.map((d) => d.id));
    const attrs = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    assert.equal(attrs.Attributes?.ApproximateNumberOfMessages, "0");
    assert.equal(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible, "0");
  });

  it("reports an undecodable message and still delivers the rest", async () => {
    const { queueUrl } = await createQueue(clients.sqs, "wal-poison");
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "garbage!" }));
    await writer(queueUrl).append([record(1)]);
    const bad: string[] = [];
    const got = await receiveAll(
      source(queueUrl, (id) => bad.push(id)),
      1,
    );
    assert.deepEqual(
      got.map((d) => d.record.writeId),
      ["write-1"],
    );
    assert.equal(bad.length, 1);
  });
});
