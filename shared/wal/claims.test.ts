import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { validateKey } from "../objectstore/errors.ts";
import { claimKey, parseClaimKey } from "./claims.ts";
import { WalCorruptError } from "./errors.ts";

describe("claim-check keys", () => {
  it("builds the documented layout", () => {
    assert.equal(
      claimKey(Date.UTC(2024, 0, 31, 23, 59), "0b6c7f1e-aaaa"),
      "wal/claims/2024-01-31/0b6c7f1e-aaaa.bin",
    );
  });

  it("round-trips any writeId into one safe key segment", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 60, unit: "grapheme" }),
        fc.nat(4_102_444_800_000),
        (id, ms) => {
          const key = claimKey(ms, id);
          validateKey(key);
          assert.equal(key.split("/").length, 4);
          assert.equal(parseClaimKey(key).writeId, id);
        },
      ),
    );
  });

  it("rejects keys outside the claim layout", () => {
    for (const key of ["wal/claims/x.bin", "data/db/m/a.bin", "wal/claims/2024-01-01/a/b.bin"])
      assert.throws(() => parseClaimKey(key), WalCorruptError);
  });
});
