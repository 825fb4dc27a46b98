// The parser's shortcuts must give exactly what the slow way gives: floats bit-for-bit equal to Number(),
// field keys and series keys served from the previous line or the cache only when the bytes are the same.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseLineProtocol } from "./parse.ts";
import type { Point } from "./types.ts";

const enc = new TextEncoder();
const ns = { precision: "ns", defaultTime: 0n } as const;

function parse(text: string) {
  return parseLineProtocol(enc.encode(text), ns);
}

function sameBits(got: unknown, literal: string): void {
  const want = Number(literal);
  assert.equal(typeof got, "number", literal);
  assert.ok(Object.is(got, want), `${literal}: got ${String(got)}, Number() gives ${want}`);
}

describe("float literals equal Number(text) bit for bit", () => {
  const literals = [
    "0",
    "-0",
    "-0.0",
    "0.0",
    "-.0",
    ".5",
    "5.",
    "58.31",
    "-58.31",
    "0.1",
    "0.3",
    "99.99",
    "000000000000000000001.5",
    "1.000000000000000000001",
    "0.000000000000000000000000000001",
    "123456789012345", // 15 digits: exact mantissa
    "1234567890123456", // 16 digits
    "12345678901234567890", // beyond 2^64
    "9007199254740991", // 2^53 - 1
    "9007199254740992", // 2^53
    "9007199254740993", // 2^53 + 1: rounds
    "9007199254740993.5",
    "900719925474099.3",
    "4.35", // not exactly representable: one division must round correctly
    "1e22",
    "1e23", // 10^23 is not a double: outside the exact powers
    "1.5e-22",
    "1.5e-23",
    "123.456e5",
    "123.456E-5",
    "1e+2",
    "-1e-2",
    "5e-324",
    "2.2250738585072014e-308",
    "1.7976931348623157e308",
    "8.98846567431158e307",
    "0.1e1",
    "12.34e-10",
    "1e0000000000000000000000000000001",
  ];
  for (const literal of literals) {
    test(literal, () => {
      const { points, errors } = parse(`m x=${literal}`);
      assert.deepEqual(errors, []);
      sameBits(points[0]?.fieldValues[0], literal);
    });
  }

  test("short decimals as TSBS writes them (ddd.dd), every one up to 100", () => {
    const lines: string[] = [];
    const want: string[] = [];
    for (let i = 0; i <= 10_000; i++) {
      const literal = String(i / 100);
      want.push(literal, `-${literal}`);
      lines.push(`m a=${literal},b=-${literal}`);
    }
    const { points, errors } = parse(lines.join("\n"));
    assert.deepEqual(errors, []);
    points.forEach((p, i) => {
      sameBits(p.fieldValues[0], want[2 * i] as string);
      sameBits(p.fieldValues[1], want[2 * i + 1] as string);
    });
  });

  test("random decimal literals", () => {
    const digits = (max: number) => fc.stringMatching(new RegExp(`^[0-9]{1,${max}}$`));
    const literal = fc
      .tuple(
        fc.boolean(),
        digits(20),
        fc.option(digits(20), { nil: undefined }),
        fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }),
      )
      .map(
        ([neg, int, frac, exp]) =>
          `${neg ? "-" : ""}${int}${frac === undefined ? "" : `.${frac}`}${exp === undefined ? "" : `e${exp}`}`,
      );
    fc.assert(
      fc.property(literal, (text) => {
        const { points, errors } = parse(`m x=${text}`);
        assert.deepEqual(errors, []);
        sameBits(points[0]?.fieldValues[0], text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("field keys are reused from the previous line only when the bytes match", () => {
  const keysOf = (p: Point | undefined) => p?.fieldKeys;
  const cases: [string, string[], string[][]][] = [
    [
      "same keys",
      ["m a=1,b=2", "m a=3,b=4"],
      [
        ["a", "b"],
        ["a", "b"],
      ],
    ],
    ["a longer key with the same start", ["m ab=1", "m abc=2"], [["ab"], ["abc"]]],
    ["a shorter key", ["m abc=1", "m ab=2"], [["abc"], ["ab"]]],
    ["a key that only differs in its last byte", ["m usage_a=1", "m usage_b=1"], [["usage_a"], ["usage_b"]]],
    [
      "more fields, then fewer",
      ["m a=1,b=2,c=3", "m a=1", "m a=1,c=2"],
      [["a", "b", "c"], ["a"], ["a", "c"]],
    ],
    [
      "escaped keys",
      ["m a\\ b=1,c\\=d=2", "m a\\ b=1,c\\=d=2"],
      [
        ["a b", "c=d"],
        ["a b", "c=d"],
      ],
    ],
    ["an escape that changes where the key ends", ["m a\\\\=1", "m a\\=b=1"], [["a\\"], ["a=b"]]],
  ];
  for (const [name, lines, want] of cases) {
    test(name, () => {
      const { points, errors } = parse(lines.join("\n"));
      assert.deepEqual(errors, []);
      assert.deepEqual(points.map(keysOf), want);
    });
  }

  test("a key the previous line had, now without '=', is still an error", () => {
    const { points, errors } = parse("m abc=1\nm abc\nm abc=2");
    assert.equal(points.length, 2);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.line, 2);
  });
});

describe("field values keep their types line after line", () => {
  test("float lines, then mixed, then float again", () => {
    const { points, errors } = parse(
      ["m a=1.5,b=2.5", "m a=1i,b=2.5", 'm a=1.5,b="s"', "m a=-0.0,b=t", "m a=0.25,b=0.5"].join("\n"),
    );
    assert.deepEqual(errors, []);
    const got = points.map((p) => [[...p.fieldTypes], [...p.fieldValues]]);
    assert.deepEqual(got, [
      [
        ["float", "float"],
        [1.5, 2.5],
      ],
      [
        ["integer", "float"],
        [1n, 2.5],
      ],
      [
        ["float", "string"],
        [1.5, "s"],
      ],
      [
        ["float", "boolean"],
        [-0, true],
      ],
      [
        ["float", "float"],
        [0.25, 0.5],
      ],
    ]);
    assert.ok(Object.is(points[3]?.fieldValues[0], -0));
  });

  test("values are not shared between points", () => {
    const { points } = parse("m a=1,b=2\nm a=3,b=4");
    assert.deepEqual(
      points.map((p) => p.fieldValues),
      [
        [1, 2],
        [3, 4],
      ],
    );
    assert.notEqual(points[0]?.fieldValues, points[1]?.fieldValues);
  });
});

describe("series keys are cached by their exact bytes", () => {
  test("keys with equal lengths and shared prefixes stay apart", () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++)
      lines.push(`cpu,host=h${String(i % 1000).padStart(4, "0")},rack=${i % 7} v=1`);
    const { points, errors } = parse(lines.join("\n"));
    assert.deepEqual(errors, []);
    points.forEach((p, i) => {
      assert.deepEqual(p.tagValues, [`h${String(i % 1000).padStart(4, "0")}`, String(i % 7)]);
    });
  });
});
