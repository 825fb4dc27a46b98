import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Precision } from "../lineprotocol/types.ts";
import { decodeRecord, encodeRecord, encodeRecordAsync } from "./codec.ts";
import { WalCorruptError, WalRecordRejectedError } from "./errors.ts";
import type { WalRecord } from "./port.ts";

const precisions: Precision[] = ["ns", "us", "ms", "s", "m", "h", "auto"];
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const body = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.string({ unit: "grapheme", maxLength: 500 }).map((s) => new TextEncoder().encode(s.repeat(3))),
);
const record: fc.Arbitrary<WalRecord> = fc.record({
  database: fc.string({ unit: "grapheme", maxLength: 40 }),
  writeId: fc.string({ maxLength: 40 }),
  receivedAtNs: int64,
  sequence: int64,
  precision: fc.constantFrom(...precisions),
  body,
});

const sample: WalRecord = {
  database: "telegraf",
  writeId: "w-1",
  receivedAtNs: 1_700_000_000_000_000_000n,
  sequence: 1_700_000_000_000_000_001n,
  precision: "ms",
  body: new TextEncoder().encode("cpu,host=a usage=1 1\n".repeat(100)),
};

describe("WAL record codec", () => {
  it("round-trips any record exactly", () => {
    fc.assert(
      fc.property(record, (r) => {
        assert.deepEqual(decodeRecord(encodeRecord(r)), { ...r, body: new Uint8Array(r.body) });
      }),
      { numRuns: 300 },
    );
  });

  it("encodes the same bytes synchronously and on the thread pool", async () => {
    await fc.assert(
      fc.asyncProperty(record, async (r) => {
        assert.deepEqual(await encodeRecordAsync(r), encodeRecord(r));
      }),
      { numRuns: 50 },
    );
  });

  it("compresses repetitive line protocol", () => {
    assert.ok(encodeRecord(sample).length < sample.body.length / 4);
  });

  it("rejects every single flipped byte with WalCorruptError", () => {
    const encoded = encodeRecord(sample);
    for (let i = 0; i < encoded.length; i++) {
      const bad = encoded.slice();
      bad[i] = (bad[i] as number) ^ 0x40;
      assert.throws(() => decodeRecord(bad), WalCorruptError, `flip at ${i}`);
    }
  });

  it("rejects truncations and trailing bytes", () => {
    const encoded = encodeRecord(sample);
    for (const cut of [0, 3, 12, 40, 41, encoded.length - 1])
      assert.throws(() => decodeRecord(encoded.subarray(0, cut)), WalCorruptError, `cut at ${cut}`);
    const longer = new Uint8Array(encoded.length + 1);
    longer.set(encoded);
    assert.throws(() => decodeRecord(longer), /does not match/);
  });

  it("names the unsupported version", () => {
    const encoded = encodeRecord(sample);
    encoded[8] = 9;
    assert.throws(() => decodeRecord(encoded), /format version 9 is not supported/);
  });

  it("refuses records it cannot represent", () => {
    assert.throws(() => encodeRecord({ ...sample, sequence: 1n << 63n }), WalRecordRejectedError);
    assert.throws(() => encodeRecord({ ...sample, database: "x".repeat(70_000) }), WalRecordRejectedError);
  });
});
