import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import { claimKey } from "./claims.ts";
import { encodeRecord } from "./codec.ts";
import { WalClaimMissingError, WalCorruptError } from "./errors.ts";
import type { WalRecord } from "./port.ts";
import { CLAIM_PREFIX, decodeWalMessage, packBatches, SQS_MAX_BATCH_BYTES } from "./sqs.ts";

const record: WalRecord = {
  database: "db",
  writeId: "w-1",
  receivedAtNs: 5n,
  sequence: 6n,
  precision: "s",
  body: new TextEncoder().encode("m f=1 1"),
};

describe("packBatches", () => {
  it("keeps order and stays within 10 entries and 1 MiB per batch", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: SQS_MAX_BATCH_BYTES }), { maxLength: 60 }), (sizes) => {
        const messages = sizes.map((size, i) => ({ i, body: "x".repeat(size) }));
        const batches = packBatches(messages);
        assert.deepEqual(
          batches.flat().map((m) => m.i),
          messages.map((m) => m.i),
        );
        for (const batch of batches) {
          assert.ok(batch.length >= 1 && batch.length <= 10);
          assert.ok(batch.reduce((n, m) => n + m.body.length, 0) <= SQS_MAX_BATCH_BYTES);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("fills batches greedily", () => {
    const small = Array.from({ length: 25 }, (_, i) => ({ body: `m${i}` }));
    assert.deepEqual(
      packBatches(small).map((b) => b.length),
      [10, 10, 5],
    );
    const quarter = Array.from({ length: 9 }, () => ({ body: "x".repeat(SQS_MAX_BATCH_BYTES / 4) }));
    assert.deepEqual(
      packBatches(quarter).map((b) => b.length),
      [4, 4, 1],
    );
  });
});

describe("decodeWalMessage", () => {
  it("decodes an inline base64 message", async () => {
    const body = Buffer.from(encodeRecord(record)).toString("base64");
    assert.deepEqual(await decodeWalMessage(body, new MemoryObjectStore()), record);
  });

  it("follows a claim-check pointer, and names a missing claim", async () => {
    const store = new MemoryObjectStore();
    const key = claimKey(0, "w-1");
    await store.put(key, encodeRecord(record));
    assert.deepEqual(await decodeWalMessage(CLAIM_PREFIX + key, store), record);
    await store.delete([key]);
    await assert.rejects(decodeWalMessage(CLAIM_PREFIX + key, store), WalClaimMissingError);
  });

  it("rejects garbage and pointers outside the claim layout", async () => {
    const store = new MemoryObjectStore();
    await assert.rejects(decodeWalMessage("not a record", store), WalCorruptError);
    await assert.rejects(decodeWalMessage(`${CLAIM_PREFIX}data/x.parquet`, store), WalCorruptError);
  });
});
