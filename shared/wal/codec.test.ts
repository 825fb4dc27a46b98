import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Precision } from "../lineprotocol/types.ts";
import { decodeRecord, encodeRecord, encodeRecordAsync, encodeRecordPartsAsync } from "./codec.ts";
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

  it("round-trips any record stored uncompressed, keeping the body bytes verbatim", () => {
    fc.assert(
      fc.property(record, (r) => {
        const encoded = encodeRecord(r, { compress: false });
        assert.equal(encoded[9], 0, "flags: not deflated");
        assert.deepEqual(encoded.subarray(encoded.length - r.body.length), new Uint8Array(r.body));
        assert.deepEqual(decodeRecord(encoded), decodeRecord(encodeRecord(r)));
      }),
      { numRuns: 200 },
    );
  });

  it("gives header and body pieces that concatenate to the encoded record, without copying a stored body", async () => {
    await fc.assert(
      fc.asyncProperty(record, fc.boolean(), async (r, compress) => {
        const parts = await encodeRecordPartsAsync(r, { compress });
        const joined = new Uint8Array(parts.length);
        joined.set(parts.header);
        joined.set(parts.body, parts.header.length);
        assert.deepEqual(joined, encodeRecord(r, { compress }));
        if (!compress) assert.equal(parts.body, r.body);
      }),
      { numRuns: 100 },
    );
  });

  it("detects a flipped byte in a stored body", () => {
    const encoded = encodeRecord(sample, { compress: false });
    encoded[encoded.length - 10] = (encoded[encoded.length - 10] as number) ^ 1;
    assert.throws(() => decodeRecord(encoded), /checksum mismatch/);
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
