import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compareInt64At, floorDivInt64, gatherInt64, int32View, int64Range } from "./columnar.ts";

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const edges = [
  -(2n ** 63n),
  -(2n ** 32n) - 1n,
  -1001n,
  -1000n,
  -999n,
  -1n,
  0n,
  1n,
  999n,
  2n ** 32n,
  2n ** 63n - 1n,
];

/** Floor division as the definition says (BigInt division truncates toward zero). */
function floorDiv(a: bigint, d: bigint): bigint {
  const q = a / d;
  return a % d !== 0n && a < 0n ? q - 1n : q;
}

describe("INT64 column helpers (no BigInt per row)", () => {
  it("floor-divides exactly, negatives and the extremes included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(int64, fc.constantFrom(...edges))),
        fc.constantFrom(1, 7, 1000, 2 ** 20),
        (values, d) => {
          const from = BigInt64Array.from(values);
          const to = new BigInt64Array(values.length);
          floorDivInt64(from, d, to);
          assert.deepEqual(
            [...to],
            values.map((v) => floorDiv(v, BigInt(d))),
          );
        },
      ),
    );
  });

  it("finds the range, compares and gathers like BigInt would, also on subarrays", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(int64, fc.constantFrom(...edges)), { minLength: 2 }), (values) => {
        const whole = BigInt64Array.from([0n, ...values]);
        const a = whole.subarray(1);
        const sorted = [...values].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        assert.deepEqual(int64Range(a), [sorted[0], sorted[sorted.length - 1]]);
        const v = int32View(a);
        const x = values[0] as bigint;
        const y = values[1] as bigint;
        assert.equal(compareInt64At(v, 0, 1), x < y ? -1 : x > y ? 1 : 0);
        const src = Int32Array.from(values.map((_, i) => values.length - 1 - i));
        const out = new BigInt64Array(values.length);
        gatherInt64(a, src, out);
        assert.deepEqual([...out], [...values].reverse());
      }),
    );
  });
});
