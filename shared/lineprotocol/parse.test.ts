// Table-driven cases for every rule of the parser, accepted and rejected, with the message and column.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { guessPrecision, parseLineProtocol, parsePrecision } from "./parse.ts";
import type { FieldType, FieldValue, ParseOptions, Point } from "./types.ts";

const enc = new TextEncoder();
const DEFAULT_TIME = 1_700_000_000_000_000_000n;
const ns: ParseOptions = { precision: "ns", defaultTime: DEFAULT_TIME };

function parse(text: string | Uint8Array, options: ParseOptions = ns) {
  return parseLineProtocol(typeof text === "string" ? enc.encode(text) : text, options);
}

type Field = [key: string, type: FieldType, value: FieldValue];
interface Expected {
  measurement?: string;
  tags?: [string, string][];
  fields?: Field[];
  time?: bigint;
}

/** The parts of a point a case asserts on, in one comparable shape. */
function shape(p: Point): Required<Expected> {
  return {
    measurement: p.measurement,
    tags: p.tagKeys.map((k, i) => [k, p.tagValues[i] as string]),
    fields: p.fieldKeys.map((k, i) => [k, p.fieldTypes[i] as FieldType, p.fieldValues[i] as FieldValue]),
    time: p.time,
  };
}

function accepts(text: string, expected: Expected, options: ParseOptions = ns): void {
  const { points, errors } = parse(text, options);
  assert.deepEqual(errors, []);
  assert.equal(points.length, 1);
  const got = shape(points[0] as Point);
  for (const key of Object.keys(expected) as (keyof Expected)[]) {
    if (key === "fields") {
      // Object.is per value, so -0 and 0 differ.
      const want = expected.fields as Field[];
      assert.equal(got.fields.length, want.length, "field count");
      got.fields.forEach(([k, t, v], i) => {
        const [wk, wt, wv] = want[i] as Field;
        assert.equal(k, wk);
        assert.equal(t, wt, `type of ${k}`);
        assert.ok(Object.is(v, wv), `value of ${k}: got ${String(v)}, want ${String(wv)}`);
      });
    } else {
      assert.deepEqual(got[key], expected[key], key);
    }
  }
}

function rejects(text: string, message: string | RegExp, column?: number, options: ParseOptions = ns): void {
  const { points, errors } = parse(text, options);
  assert.equal(points.length, 0, "no point from a rejected line");
  assert.equal(errors.length, 1, `one error, got ${JSON.stringify(errors)}`);
  const err = errors[0];
  assert.ok(err);
  assert.equal(err.line, 1);
  if (typeof message === "string") assert.equal(err.message, message);
  else assert.match(err.message, message);
  if (column !== undefined) assert.equal(err.column, column, `column of: ${err.message}`);
  assert.equal(err.text, text.replace(/\r?\n$/, "").slice(0, 100) + (text.length > 100 ? "…" : ""));
}

const f = (key: string, value: number): Field => [key, "float", value];

describe("structure", () => {
  const cases: [string, string, Expected][] = [
    ["measurement and one field", "cpu value=1", { measurement: "cpu", tags: [], fields: [f("value", 1)] }],
    [
      "a timestamp is read in ns by default",
      "cpu value=1 1465839830100400200",
      { time: 1465839830100400200n },
    ],
    ["no timestamp takes defaultTime", "cpu value=1", { time: DEFAULT_TIME }],
    [
      "tags are sorted by key",
      "cpu,b=2,a=1,c=3 v=1",
      {
        tags: [
          ["a", "1"],
          ["b", "2"],
          ["c", "3"],
        ],
      },
    ],
    [
      "tags sort by UTF-8 bytes, not UTF-16",
      "m,\u{1f600}=x,\uff61=y v=1",
      {
        tags: [
          ["\uff61", "y"],
          ["\u{1f600}", "x"],
        ],
      },
    ],
    ["several spaces between sections", "cpu,a=1   v=1   5", { tags: [["a", "1"]], time: 5n }],
    ["leading blanks before the measurement", "  \tcpu v=1", { measurement: "cpu" }],
    ["trailing blanks after the timestamp", "cpu v=1 5 \t ", { time: 5n }],
    ["trailing spaces after the fields", "cpu v=1   ", { time: DEFAULT_TIME }],
    ["CRLF line ending", "cpu v=1 5\r\n", { time: 5n }],
    ["fields keep their order", "m z=1,a=2,m=3", { fields: [f("z", 1), f("a", 2), f("m", 3)] }],
    [
      "a repeated field key keeps its first position and its last value",
      "m a=1,b=2,a=3i",
      { fields: [["a", "integer", 3n], f("b", 2)] },
    ],
    ["a field named time is dropped, as InfluxDB 2.x does", "m time=1,v=2", { fields: [f("v", 2)] }],
    ["quotes in names are literal", `"m",'t'="v" "f"=1`, { measurement: `"m"`, tags: [[`'t'`, `"v"`]] }],
    ["'=' is literal in a measurement", "a=b v=1", { measurement: "a=b" }],
    [
      "'#' after the start is literal",
      "m#1,t=#2 #f=1",
      { measurement: "m#1", tags: [["t", "#2"]], fields: [f("#f", 1)] },
    ],
    [
      "unicode names",
      "température,ville=Zürich 温度=1",
      { measurement: "température", tags: [["ville", "Zürich"]] },
    ],
  ];
  for (const [name, text, expected] of cases) test(name, () => accepts(text, expected));

  const bad: [string, string, string | RegExp, number][] = [
    ["missing measurement", ",t=1 v=1", "missing measurement name", 1],
    ["measurement only", "cpu", `missing field set: expected a space and field=value after "cpu"`, 4],
    [
      "measurement and tags only",
      "cpu,t=1",
      `missing field set: expected a space and field=value after "cpu"`,
      8,
    ],
    ["nothing after the space", "cpu ", `missing field set: expected field=value after "cpu"`, 5],
    ["missing tag key", "cpu,=v f=1", "missing tag key after ','", 5],
    ["trailing comma in tags", "cpu, f=1", "missing tag key after ','", 5],
    ["tag without '='", "cpu,t f=1", `missing tag value for tag "t": expected '=' after the key`, 6],
    [
      "empty tag value (2.x rejects it)",
      "cpu,t= f=1",
      `missing tag value for tag "t": empty tag values are not allowed`,
      7,
    ],
    ["unescaped '=' in a tag value", "cpu,t=a=b f=1", /unescaped '='/, 8],
    ["duplicate tag key", "cpu,a=1,b=2,a=3 f=1", `duplicate tag key "a"`, 13],
    ["tag key time is reserved", "cpu,time=1 f=1", /^invalid tag key "time": it is reserved/, 5],
    ["missing field key", "cpu =1", "missing field key: expected field=value", 5],
    ["trailing comma in fields", "cpu a=1, 5", "missing field key: expected field=value", 9],
    ["field without '='", "cpu a 5", `missing field value for field "a": expected '=' after the key`, 6],
    ["field without value", "cpu a= 5", `missing field value for field "a"`, 7],
    ["only a time field", "cpu time=1", /^invalid field key "time": it is reserved .* no other field/, 5],
    ["text after the timestamp", "cpu a=1 5 6", "unexpected '6' after the timestamp", 11],
    [
      "control character in a measurement",
      "c\u0001pu a=1",
      /^invalid measurement: control character byte 0x01/,
      2,
    ],
    ["tab inside a tag value", "cpu,t=a\tb a=1", /^invalid tag value: control character byte 0x09/, 8],
    [
      "C1 control character in a field key",
      "cpu a\u0085=1",
      /^invalid field key "a\\u0085": control characters/,
      5,
    ],
    ["lone CR in a name", "cp\ru a=1", /control character byte 0x0d/, 3],
  ];
  for (const [name, text, message, column] of bad)
    test(`rejects: ${name}`, () => rejects(text, message, column));

  test("rejects: invalid UTF-8 in a tag value", () => {
    const body = new Uint8Array([...enc.encode("m,t="), 0xff, 0xfe, ...enc.encode(" v=1")]);
    const { errors } = parse(body);
    assert.equal(errors[0]?.message, "invalid tag value: not valid UTF-8");
    assert.equal(errors[0]?.column, 5);
  });
  test("rejects: invalid UTF-8 in a string value", () => {
    const body = new Uint8Array([...enc.encode('m s="'), 0xc3, 0x28, ...enc.encode('"')]);
    assert.equal(parse(body).errors[0]?.message, `invalid string value for field "s": not valid UTF-8`);
  });
});

describe("lines", () => {
  test("comments, blank lines and whitespace-only lines are skipped but counted", () => {
    const { points, errors } = parse("# header\n\n   \n\t# indented comment\r\n\r\ncpu v=1\n");
    assert.deepEqual(errors, []);
    assert.equal(points[0]?.line, 6);
  });
  test("a bad line does not stop the lines after it", () => {
    const { points, errors } = parse("a v=1\nb v=\nc v=3\nd,t= v=4\ne v=5");
    assert.deepEqual(
      points.map((p) => [p.measurement, p.line]),
      [
        ["a", 1],
        ["c", 3],
        ["e", 5],
      ],
    );
    assert.deepEqual(
      errors.map((e) => [e.line, e.column, e.text]),
      [
        [2, 5, "b v="],
        [4, 5, "d,t= v=4"],
      ],
    );
  });
  test("lineStart and lineEnd exclude the terminator", () => {
    const text = "a v=1\r\n  b v=2\n";
    const { points } = parse(text);
    assert.deepEqual(
      points.map((p) => text.slice(p.lineStart, p.lineEnd)),
      ["a v=1", "  b v=2"],
    );
  });
  test("a string value may span lines; later line numbers still match the body", () => {
    const { points, errors } = parse('a s="x\ny\nz"\nb v=\nc v=1');
    assert.equal(points[0]?.fieldValues[0], "x\ny\nz");
    assert.deepEqual(
      errors.map((e) => e.line),
      [4],
    );
    assert.equal(points[1]?.line, 5);
  });
  test("a bad line holding a multi-line string is skipped whole", () => {
    const { points, errors } = parse('a,t= s="x\ny"\nb v=1');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.text, 'a,t= s="x\ny"');
    assert.deepEqual(
      points.map((p) => [p.measurement, p.line]),
      [["b", 3]],
    );
  });
  test("an unterminated string swallows the rest of the body", () => {
    const { points, errors } = parse('a s="x\nb v=1');
    assert.equal(points.length, 0);
    assert.equal(errors[0]?.message, `unterminated string value for field "s": missing closing '"'`);
  });
  test("error text is truncated to 100 characters with an ellipsis", () => {
    const long = `m,t= v=1,${"x".repeat(200)}=1`;
    const { errors } = parse(long);
    assert.equal(errors[0]?.text, `${long.slice(0, 100)}…`);
  });
  test("an empty body has no points and no errors", () => {
    assert.deepEqual(parse(""), { points: [], errors: [] });
  });
});

describe("escaping", () => {
  const cases: [string, string, Expected][] = [
    ["measurement escapes comma and space", "a\\,b\\ c v=1", { measurement: "a,b c" }],
    ["measurement keeps \\= as written", "a\\=b v=1", { measurement: "a\\=b" }],
    [
      "tag key and value escape comma, equals, space",
      "m,a\\,\\=\\ b=c\\,\\=\\ d v=1",
      { tags: [["a,= b", "c,= d"]] },
    ],
    ["field key escapes comma, equals, space", "m a\\,\\=\\ b=1", { fields: [f("a,= b", 1)] }],
    [
      "a backslash before another character is literal",
      "m\\x,t=a\\b c\\d=1",
      { measurement: "m\\x", tags: [["t", "a\\b"]], fields: [f("c\\d", 1)] },
    ],
    ["two backslashes are one", "m\\\\,t=a\\\\ v=1", { measurement: "m\\", tags: [["t", "a\\"]] }],
    ["three backslashes then a comma", "m,t=a\\\\\\,b v=1", { tags: [["t", "a\\,b"]] }],
    ["string escapes quote and backslash", 'm s="a\\"b\\\\c"', { fields: [["s", "string", 'a"b\\c']] }],
    [
      "other backslashes in a string are literal",
      'm s="a\\nb\\,"',
      { fields: [["s", "string", "a\\nb\\,"]] },
    ],
    [
      "a string may hold commas, spaces, equals and newlines",
      'm s="a, b=c\nd"',
      { fields: [["s", "string", "a, b=c\nd"]] },
    ],
    ["an empty string", 'm s=""', { fields: [["s", "string", ""]] }],
  ];
  for (const [name, text, expected] of cases) test(name, () => accepts(text, expected));
  test("a string of exactly 64 KiB is accepted, one byte more is not", () => {
    const limit = 64 * 1024;
    accepts(`m s="${"a".repeat(limit)}"`, { fields: [["s", "string", "a".repeat(limit)]] });
    rejects(
      `m s="${"\\\\".repeat(limit)}a"`,
      `string value for field "s" is too long: ${limit + 1} bytes, the limit is ${limit}`,
      5,
    );
  });
});

describe("field values", () => {
  const cases: [string, string, Field][] = [
    ["unsuffixed integer is a float", "1", f("x", 1)],
    ["negative float", "-1.5", f("x", -1.5)],
    ["negative zero keeps its sign", "-0", f("x", -0)],
    ["leading dot", ".5", f("x", 0.5)],
    ["trailing dot", "1.", f("x", 1)],
    ["exponent", "1e3", f("x", 1000)],
    ["signed exponent with capital E", "-1.5E-2", f("x", -0.015)],
    ["exponent with plus", "2.5e+10", f("x", 2.5e10)],
    ["many digits round correctly", "0.1000000000000000055511151231257827", f("x", 0.1)],
    ["largest double", "1.7976931348623157e308", f("x", Number.MAX_VALUE)],
    ["smallest subnormal", "5e-324", f("x", 5e-324)],
    ["underflow to zero", "1e-400", f("x", 0)],
    ["integer", "42i", ["x", "integer", 42n]],
    ["negative integer", "-42i", ["x", "integer", -42n]],
    ["int64 max", "9223372036854775807i", ["x", "integer", 9223372036854775807n]],
    ["int64 min", "-9223372036854775808i", ["x", "integer", -9223372036854775808n]],
    ["unsigned", "7u", ["x", "unsigned", 7n]],
    ["uint64 max", "18446744073709551615u", ["x", "unsigned", 18446744073709551615n]],
    ["string", '"hi"', ["x", "string", "hi"]],
    ...["t", "T", "true", "True", "TRUE"].map((v): [string, string, Field] => [
      `boolean ${v}`,
      v,
      ["x", "boolean", true],
    ]),
    ...["f", "F", "false", "False", "FALSE"].map((v): [string, string, Field] => [
      `boolean ${v}`,
      v,
      ["x", "boolean", false],
    ]),
  ];
  for (const [name, value, field] of cases) test(name, () => accepts(`m x=${value}`, { fields: [field] }));

  const bad: [string, string, string | RegExp, number?][] = [
    [
      "int64 overflow",
      "9223372036854775808i",
      `invalid integer value "9223372036854775808i" for field "x": out of int64 range`,
    ],
    ["int64 underflow", "-9223372036854775809i", /out of int64 range/],
    [
      "uint64 overflow",
      "18446744073709551616u",
      `invalid unsigned value "18446744073709551616u" for field "x": out of uint64 range`,
    ],
    [
      "negative unsigned",
      "-1u",
      `invalid unsigned value "-1u" for field "x": unsigned values cannot be negative`,
    ],
    ["integer with a decimal point", "1.5i", /^invalid float value "1.5i"/],
    ["integer without digits", "-i", /^invalid integer value "-i"/],
    ["float overflow", "1e309", `invalid float value "1e309" for field "x": out of float64 range`],
    ["NaN", "NaN", /^invalid field value "NaN" for field "x": expected a number/],
    ["Infinity", "Infinity", /^invalid field value "Infinity"/],
    ["-Infinity", "-Infinity", /^invalid float value "-Infinity"/],
    ["inf spelled as a boolean-ish word", "inf", /^invalid field value "inf"/],
    ["leading plus", "+1", /^invalid field value "\+1"/],
    ["hexadecimal", "0x10", /^invalid float value "0x10"/],
    ["exponent without digits", "1e", /^invalid float value "1e"/],
    ["two dots", "1.2.3", /^invalid float value "1.2.3"/],
    ["lone minus", "-", /^invalid float value "-"/],
    ["lone dot", ".", /^invalid float value "."/],
    ["misspelt boolean", "tru", /^invalid boolean value "tru" for field "x": expected t, T, true/],
    ["mixed-case boolean", "tRUE", /^invalid boolean value "tRUE"/],
    ["unquoted string", "hello", /^invalid field value "hello"/],
    [
      "text after a string",
      '"a"b',
      `unexpected 'b' after the string value of field "x": expected ',', a space or the end of the line`,
      8,
    ],
    ["single-quoted string", "'a'", /^invalid field value "'a'"/],
  ];
  for (const [name, value, message, column = 5] of bad) {
    test(`rejects: ${name}`, () => rejects(`m x=${value}`, message, column));
  }
});

describe("timestamps and precision", () => {
  const at = (precision: ParseOptions["precision"]): ParseOptions => ({
    precision,
    defaultTime: DEFAULT_TIME,
  });
  const cases: [string, string, ParseOptions["precision"], bigint][] = [
    ["ns", "1", "ns", 1n],
    ["us", "1", "us", 1_000n],
    ["ms", "1", "ms", 1_000_000n],
    ["s", "1", "s", 1_000_000_000n],
    ["m means minutes", "2", "m", 120_000_000_000n],
    ["h means hours", "1", "h", 3_600_000_000_000n],
    ["negative timestamps", "-5", "s", -5_000_000_000n],
    ["leading zeros", "007", "ns", 7n],
    ["latest timestamp InfluxDB accepts", "9223372036854775806", "ns", 9223372036854775806n],
    ["earliest timestamp InfluxDB accepts", "-9223372036854775806", "ns", -9223372036854775806n],
    ["auto: seconds", "1708976567", "auto", 1708976567_000_000_000n],
    ["auto: milliseconds", "1708976567000", "auto", 1708976567_000_000_000n],
    ["auto: microseconds", "1708976567000000", "auto", 1708976567_000_000_000n],
    ["auto: nanoseconds", "1708976567000000000", "auto", 1708976567_000_000_000n],
    ["auto: just below 5e9 is seconds", "4999999999", "auto", 4999999999_000_000_000n],
    ["auto: 5e9 is milliseconds", "5000000000", "auto", 5000000000_000_000n],
    ["auto: judged on the absolute value", "-1708976567000", "auto", -1708976567_000_000_000n],
  ];
  for (const [name, ts, precision, want] of cases) {
    test(name, () => accepts(`m v=1 ${ts}`, { time: want }, at(precision)));
  }
  const bad: [string, string, ParseOptions["precision"], string | RegExp][] = [
    ["not a number", "12a", "ns", `invalid timestamp "12a": expected an integer`],
    ["a float", "1.5", "ns", `invalid timestamp "1.5": expected an integer`],
    ["a lone minus", "-", "ns", `invalid timestamp "-": expected an integer`],
    [
      "more than int64",
      "9223372036854775808",
      "ns",
      /^invalid timestamp "9223372036854775808": out of range at precision ns/,
    ],
    ["int64 max is reserved", "9223372036854775807", "ns", /out of range/],
    [
      "twenty digits",
      "10000000000000000000",
      "ns",
      `invalid timestamp "10000000000000000000": out of int64 range`,
    ],
    [
      "overflow after the precision multiply",
      "9223372036854775",
      "s",
      /^invalid timestamp "9223372036854775": out of range at precision s/,
    ],
  ];
  for (const [name, ts, precision, message] of bad) {
    test(`rejects: ${name}`, () => rejects(`m v=1 ${ts}`, message, 7, at(precision)));
  }

  test("guessPrecision thresholds", () => {
    assert.equal(guessPrecision(0n), "s");
    assert.equal(guessPrecision(4_999_999_999n), "s");
    assert.equal(guessPrecision(5_000_000_000n), "ms");
    assert.equal(guessPrecision(5_000_000_000_000n), "us");
    assert.equal(guessPrecision(5_000_000_000_000_000n), "ns");
    assert.equal(guessPrecision(-5_000_000_000_000_000n), "ns");
  });

  test("parsePrecision spellings", () => {
    const table: [string | null | undefined, string | undefined][] = [
      ["ns", "ns"],
      ["n", "ns"],
      ["us", "us"],
      ["u", "us"],
      ["\u00b5", "us"],
      ["\u03bc", "us"],
      ["ms", "ms"],
      ["s", "s"],
      ["m", "m"],
      ["h", "h"],
      ["auto", "auto"],
      ["NS", undefined],
      ["seconds", undefined],
      ["", undefined],
      [null, undefined],
      [undefined, undefined],
    ];
    for (const [input, want] of table) assert.equal(parsePrecision(input), want, String(input));
  });

  test("an unknown precision in the options is a programming error", () => {
    assert.throws(
      () => parse("m v=1", { precision: "x" as ParseOptions["precision"], defaultTime: 0n }),
      /unknown precision "x"/,
    );
  });
});

describe("caches do not leak between lines", () => {
  test("same key bytes, different escaping context, decode differently", () => {
    const { points } = parse("a\\=b,a\\=b=a\\=b a\\=b=1");
    const p = points[0] as Point;
    assert.equal(p.measurement, "a\\=b");
    assert.deepEqual([p.tagKeys, p.tagValues, p.fieldKeys], [["a=b"], ["a=b"], ["a=b"]]);
  });
  test("a type change on the next line gets its own types array", () => {
    const { points } = parse("m a=1,b=2\nm a=1i,b=2\nm a=1,b=2");
    assert.deepEqual(
      points.map((p) => p.fieldTypes),
      [
        ["float", "float"],
        ["integer", "float"],
        ["float", "float"],
      ],
    );
  });
  test("a repeated timestamp is reused only for identical bytes", () => {
    const { points } = parse("m v=1 10\nm v=1 10\nm v=1 100\nm v=1 1");
    assert.deepEqual(
      points.map((p) => p.time),
      [10n, 10n, 100n, 1n],
    );
  });
  test("tag layouts change with the keys", () => {
    const { points } = parse("m,b=1,a=2 v=1\nm,a=3,b=4 v=1\nm,b=5,a=6 v=1\nm,c=7 v=1");
    assert.deepEqual(
      points.map((p) => [p.tagKeys, p.tagValues]),
      [
        [
          ["a", "b"],
          ["2", "1"],
        ],
        [
          ["a", "b"],
          ["3", "4"],
        ],
        [
          ["a", "b"],
          ["6", "5"],
        ],
        [["c"], ["7"]],
      ],
    );
  });
  test("a bad line with the same series key as a good one stays bad", () => {
    const { points, errors } = parse("m,t=1 v=1\nm,t=1\nm,t=1 v=2");
    assert.equal(points.length, 2);
    assert.equal(errors[0]?.line, 2);
  });
  test("more distinct series than the cache holds still parse exactly", () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `m,host=h${i} v=${i}i ${i}`);
    const { points, errors } = parse(lines.join("\n"));
    assert.deepEqual(errors, []);
    points.forEach((p, i) => {
      assert.equal(p.tagValues[0], `h${i}`);
      assert.equal(p.fieldValues[0], BigInt(i));
      assert.equal(p.time, BigInt(i));
    });
  });
});
