import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { floorDiv, formatRfc3339, parseTimeString, toEpoch } from "./time.ts";

describe("formatRfc3339", () => {
  const cases: [bigint, string][] = [
    [0n, "1970-01-01T00:00:00Z"],
    [1_451_606_400_000_000_000n, "2016-01-01T00:00:00Z"],
    [1_451_606_400_500_000_000n, "2016-01-01T00:00:00.5Z"],
    [1_451_606_400_000_000_001n, "2016-01-01T00:00:00.000000001Z"],
    [1_451_606_400_123_450_000n, "2016-01-01T00:00:00.12345Z"],
    [-1n, "1969-12-31T23:59:59.999999999Z"],
    [-1_000_000_000n, "1969-12-31T23:59:59Z"],
  ];
  for (const [ns, text] of cases) it(`${ns} -> ${text}`, () => assert.equal(formatRfc3339(ns), text));

  it("parses back to the same nanosecond", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -2_000_000_000_000_000_000n, max: 4_000_000_000_000_000_000n }), (ns) => {
        assert.equal(parseTimeString(formatRfc3339(ns)), ns);
      }),
    );
  });
});

describe("parseTimeString", () => {
  it("honours zone offsets and date-only forms", () => {
    assert.equal(parseTimeString("2016-01-01T01:00:00+01:00"), 1_451_606_400_000_000_000n);
    assert.equal(parseTimeString("2016-01-01"), 1_451_606_400_000_000_000n);
    assert.equal(parseTimeString("2016-01-01 00:00:00.25"), 1_451_606_400_250_000_000n);
    assert.equal(parseTimeString("yesterday"), undefined);
  });
});

describe("floorDiv and epochs", () => {
  it("rounds toward negative infinity", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (a, b) => {
          const q = floorDiv(a, b);
          assert.ok(q * b <= a && a < (q + 1n) * b);
        },
      ),
    );
  });
  it("converts to epoch units by truncation", () => {
    assert.equal(toEpoch(1_451_606_400_500_000_000n, "s"), 1_451_606_400n);
    assert.equal(toEpoch(1_451_606_400_500_000_000n, "ms"), 1_451_606_400_500n);
    assert.equal(toEpoch(3_600_000_000_000n, "h"), 1n);
  });
});
