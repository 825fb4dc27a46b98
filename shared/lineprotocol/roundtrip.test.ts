// Property tests: any point the serializer accepts parses back to exactly the same point.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { InvalidPointError } from "./errors.ts";
import { compareUtf8 } from "./order.ts";
import { parseLineProtocol } from "./parse.ts";
import { serializePoint, serializePoints } from "./serialize.ts";
import type { PointInput, TypedFieldValue } from "./types.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const nasty = fc.constantFrom(" ", ",", "=", '"', "\\", "\\\\", "#", "é", "\u{1f600}", "\uff61", "'", "time");
/** Names with every character that needs escaping, plus any valid non-control Unicode. */
const name = fc
  .array(fc.oneof(nasty, fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => parts.join(""))
  .filter((s) => !/\p{Cc}/u.test(s) && s !== "time");
const measurement = name.filter((s) => !s.startsWith("#"));
const fieldValue: fc.Arbitrary<TypedFieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => ({ type: "float" as const, value })),
  fc
    .constantFrom(-0, 0, 5e-324, -Number.MAX_VALUE, Number.MAX_VALUE, 2.2250738585072014e-308, 0.1, 1e21)
    .map((value) => ({ type: "float" as const, value })),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map((value) => ({ type: "integer" as const, value })),
  fc.constantFrom(INT64_MIN, INT64_MAX, 0n).map((value) => ({ type: "integer" as const, value })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => ({ type: "unsigned" as const, value })),
  fc.string({ unit: "grapheme" }).map((value) => ({ type: "string" as const, value })),
  fc.constantFrom('"', "\\", '\\"', "a\nb", "").map((value) => ({ type: "string" as const, value })),
  fc.boolean().map((value) => ({ type: "boolean" as const, value })),
);
const point: fc.Arbitrary<PointInput> = fc.record({
  measurement,
  tags: fc.uniqueArray(fc.tuple(name, name), { selector: ([k]) => k, maxLength: 5 }),
  fields: fc.uniqueArray(fc.tuple(name, fieldValue), { selector: ([k]) => k, minLength: 1, maxLength: 5 }),
  time: fc.bigInt({ min: -9_223_372_036_854_775_806n, max: 9_223_372_036_854_775_806n }),
});

function assertRoundTrip(
  input: PointInput,
  parsed: ReturnType<typeof parseLineProtocol>["points"][number],
): void {
  const tags = [...(input.tags as [string, string][])].sort(([a], [b]) => compareUtf8(a, b));
  assert.equal(parsed.measurement, input.measurement);
  assert.deepEqual(
    parsed.tagKeys,
    tags.map(([k]) => k),
  );
  assert.deepEqual(
    parsed.tagValues,
    tags.map(([, v]) => v),
  );
  const fields = input.fields as [string, TypedFieldValue][];
  assert.deepEqual(
    parsed.fieldKeys,
    fields.map(([k]) => k),
  );
  assert.deepEqual(
    parsed.fieldTypes,
    fields.map(([, f]) => f.type),
  );
  fields.forEach(([k, f], i) => {
    assert.ok(
      Object.is(parsed.fieldValues[i], f.value),
      `${k}: got ${String(parsed.fieldValues[i])}, want ${String(f.value)}`,
    );
  });
  assert.equal(parsed.time, input.time);
}

describe("serialize → parse round trip", () => {
  test("one point", () => {
    fc.assert(
      fc.property(point, (input) => {
        const { points, errors } = parseLineProtocol(new TextEncoder().encode(serializePoint(input)), {
          precision: "ns",
          defaultTime: 0n,
        });
        assert.deepEqual(errors, []);
        assert.equal(points.length, 1);
        assertRoundTrip(input, points[0] as (typeof points)[number]);
      }),
      { numRuns: 2000 },
    );
  });
  test("many points in one body, exercising the caches across lines", () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 30 }), (inputs) => {
        // Repeat each point so cache hits are compared against cache misses.
        const doubled = inputs.flatMap((p) => [p, p]);
        const { points, errors } = parseLineProtocol(new TextEncoder().encode(serializePoints(doubled)), {
          precision: "ns",
          defaultTime: 0n,
        });
        assert.deepEqual(errors, []);
        assert.equal(points.length, doubled.length);
        for (const [i, p] of doubled.entries()) assertRoundTrip(p, points[i] as (typeof points)[number]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("serializer", () => {
  test("canonical form: sorted tags, escapes, typed values", () => {
    assert.equal(
      serializePoint({
        measurement: "a b,c=d\\",
        tags: { z: "1", "a,= \\": "x y" },
        fields: [
          ["f", { type: "float", value: 1 }],
          ["i", { type: "integer", value: -3n }],
          ["u", { type: "unsigned", value: 3n }],
          ["s", { type: "string", value: 'say "hi" \\' }],
          ["b", { type: "boolean", value: false }],
          ["z", { type: "float", value: -0 }],
        ],
        time: 5n,
      }),
      'a\\ b\\,c=d\\\\,a\\,\\=\\ \\\\=x\\ y,z=1 f=1,i=-3i,u=3u,s="say \\"hi\\" \\\\",b=false,z=-0 5',
    );
  });
  test("empty tag values are dropped and time may be omitted", () => {
    assert.equal(
      serializePoint({
        measurement: "m",
        tags: { a: "", b: "1" },
        fields: { v: { type: "boolean", value: true } },
      }),
      "m,b=1 v=true",
    );
  });
  const bad: [string, PointInput, RegExp][] = [
    ["NaN", { measurement: "m", fields: { v: { type: "float", value: Number.NaN } } }, /no NaN or infinity/],
    [
      "infinity",
      { measurement: "m", fields: { v: { type: "float", value: -Infinity } } },
      /no NaN or infinity/,
    ],
    [
      "int64 overflow",
      { measurement: "m", fields: { v: { type: "integer", value: 2n ** 63n } } },
      /int64 range/,
    ],
    [
      "negative unsigned",
      { measurement: "m", fields: { v: { type: "unsigned", value: -1n } } },
      /uint64 range/,
    ],
    ["no fields", { measurement: "m", fields: {} }, /has no fields/],
    [
      "empty measurement",
      { measurement: "", fields: { v: { type: "float", value: 1 } } },
      /measurement is empty/,
    ],
    [
      "comment-like measurement",
      { measurement: "#m", fields: { v: { type: "float", value: 1 } } },
      /cannot start with '#'/,
    ],
    [
      "control character",
      { measurement: "m\n", fields: { v: { type: "float", value: 1 } } },
      /control character/,
    ],
    [
      "lone surrogate",
      { measurement: "m\ud800", fields: { v: { type: "float", value: 1 } } },
      /not valid Unicode/,
    ],
    [
      "tag key time",
      { measurement: "m", tags: { time: "1" }, fields: { v: { type: "float", value: 1 } } },
      /reserved/,
    ],
    ["field key time", { measurement: "m", fields: { time: { type: "float", value: 1 } } }, /reserved/],
    [
      "time out of range",
      { measurement: "m", fields: { v: { type: "float", value: 1 } }, time: 2n ** 63n - 1n },
      /out of range/,
    ],
    [
      "string over 64 KiB",
      { measurement: "m", fields: { v: { type: "string", value: "é".repeat(32769) } } },
      /longer than 65536 bytes/,
    ],
    [
      "duplicate tag keys",
      {
        measurement: "m",
        tags: [
          ["a", "1"],
          ["a", "2"],
        ],
        fields: { v: { type: "float", value: 1 } },
      },
      /duplicate tag key "a"/,
    ],
    [
      "duplicate field keys",
      {
        measurement: "m",
        fields: [
          ["v", { type: "float", value: 1 }],
          ["v", { type: "float", value: 2 }],
        ],
      },
      /duplicate field key "v"/,
    ],
  ];
  for (const [what, input, message] of bad) {
    test(`refuses ${what}`, () => {
      assert.throws(
        () => serializePoint(input),
        (err: unknown) => err instanceof InvalidPointError && message.test(err.message),
      );
    });
  }
});

describe("compareUtf8", () => {
  test("agrees with comparing UTF-8 bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        assert.equal(Math.sign(compareUtf8(a, b)), want);
      }),
      { numRuns: 2000 },
    );
  });
});
