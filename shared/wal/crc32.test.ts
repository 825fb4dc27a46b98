import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { crc32, crc32Table } from "./crc32.ts";

describe("crc32", () => {
  it("matches the standard check value and known vectors", () => {
    assert.equal(crc32Table(new TextEncoder().encode("123456789")), 0xcbf43926);
    assert.equal(crc32Table(new Uint8Array(0)), 0);
    assert.equal(
      crc32Table(new TextEncoder().encode("The quick brown fox jumps over the lazy dog")),
      0x414fa339,
    );
  });

  it("continues across chunks and agrees with the exported implementation", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        const whole = crc32Table(bytes);
        assert.equal(crc32Table(bytes.subarray(at), crc32Table(bytes.subarray(0, at))), whole);
        assert.equal(crc32(bytes), whole);
        assert.equal(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at))), whole);
      }),
    );
  });

  it("continues unchanged over no bytes, however the empty array was made", () => {
    for (const empty of [new Uint8Array(0), Uint8Array.from([]), new Uint8Array(new ArrayBuffer(0))]) {
      assert.equal(crc32(empty, 0xcbf43926), 0xcbf43926);
      assert.equal(crc32(empty), 0);
    }
  });
});
