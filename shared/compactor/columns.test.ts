import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { FieldColumn } from "../parquet/columnar.ts";
import { allocFieldValues, columnarFromRows, rowsFromColumnar, setFieldValue } from "../parquet/columnar.ts";
import type { FieldDef, Row } from "../parquet/table.ts";
import type { SeriesColumns } from "./columns.ts";
import { sortDedupColumns, splitColumnarAtSeries, summariseTagColumns } from "./columns.ts";
import { sortAndDedup } from "./rows.ts";

const FIELDS: FieldDef[] = [
  { name: "f", type: "float" },
  { name: "i", type: "integer" },
  { name: "s", type: "string" },
  { name: "b", type: "boolean" },
];

/** Rows as unsorted series columns (series ids in first-seen order). */
function toSeriesColumns(tagKeys: string[], rows: readonly Row[]): SeriesColumns {
  const ids = new Map<string, number>();
  const series: (string | null)[][] = [];
  const n = rows.length;
  const seriesOf = new Int32Array(n);
  const values: FieldColumn[] = FIELDS.map((d) => ({
    values: allocFieldValues(d.type, n),
    valid: new Uint8Array(n),
  }));
  rows.forEach((r, i) => {
    const key = JSON.stringify(r.tags);
    let id = ids.get(key);
    if (id === undefined) {
      id = series.length;
      ids.set(key, id);
      series.push([...r.tags]);
    }
    seriesOf[i] = id;
    FIELDS.forEach((d, f) => {
      setFieldValue(d.type, values[f] as FieldColumn, i, r.values[f] ?? null);
    });
  });
  return {
    tagKeys,
    fields: FIELDS,
    series,
    length: n,
    seriesOf,
    timeNs: BigInt64Array.from(rows, (r) => r.timeNs),
    seq: BigInt64Array.from(rows, (r) => r.seq),
    values,
  };
}

const rowArb = fc
  .record({
    host: fc.constantFrom("a", "b", "é", "\u{1F600}", null),
    dc: fc.constantFrom("x", null),
    t: fc.integer({ min: -2, max: 3 }),
    seq: fc.integer({ min: 1, max: 5 }),
    f: fc.option(fc.constantFrom(0.5, -1, Number.NaN), { nil: null }),
    i: fc.option(fc.bigInt({ min: -3n, max: 3n }), { nil: null }),
    s: fc.option(fc.constantFrom("", "v", "w"), { nil: null }),
    b: fc.option(fc.boolean(), { nil: null }),
  })
  .filter((r) => r.f !== null || r.i !== null || r.s !== null || r.b !== null)
  .map(
    (r): Row => ({
      tags: [r.dc, r.host],
      timeNs: BigInt(r.t),
      seq: BigInt(r.seq),
      values: [r.f, r.i, r.s, r.b],
    }),
  );

describe("sortDedupColumns", () => {
  it("orders and deduplicates exactly like the row reference (sortAndDedup)", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 40 }), (rows) => {
        const got = rowsFromColumnar(sortDedupColumns(toSeriesColumns(["dc", "host"], rows)));
        assert.deepEqual(got, sortAndDedup(rows));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a row that is the only one at its key even when it arrives out of time order", () => {
    const rows: Row[] = [
      { tags: ["h"], timeNs: 5n, seq: 1n, values: [1, null, null, null] },
      { tags: ["h"], timeNs: 2n, seq: 1n, values: [2, null, null, null] },
      { tags: ["g"], timeNs: 9n, seq: 2n, values: [3, null, null, null] },
    ];
    const got = rowsFromColumnar(sortDedupColumns(toSeriesColumns(["host"], rows)));
    assert.deepEqual(
      got.map((r) => [r.tags[0], r.timeNs]),
      [
        ["g", 9n],
        ["h", 2n],
        ["h", 5n],
      ],
    );
  });
});

describe("splitColumnarAtSeries and summariseTagColumns", () => {
  it("cuts only between series, covers every row once and summarises what each part holds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 50 }),
        fc.integer({ min: 1, max: 6 }),
        (hosts, parts) => {
          const rows: Row[] = hosts
            .sort()
            .map((h, i) => ({ tags: [h], timeNs: BigInt(i), seq: 1n, values: [1] }));
          const table = columnarFromRows({ tagKeys: ["host"], fields: [{ name: "v", type: "float" }], rows });
          const out = splitColumnarAtSeries(table, parts);
          assert.deepEqual(out.flatMap(rowsFromColumnar), rows);
          assert.ok(out.length <= Math.max(1, parts));
          for (let i = 1; i < out.length; i++) {
            const prev = rowsFromColumnar(out[i - 1] as never);
            const next = rowsFromColumnar(out[i] as never);
            assert.notEqual(prev[prev.length - 1]?.tags[0], next[0]?.tags[0]);
          }
          for (const part of out) {
            const expected = [...new Set(rowsFromColumnar(part).map((r) => r.tags[0] as string))].sort();
            assert.deepEqual(summariseTagColumns(part, 64).get("host") ?? [], expected);
            assert.equal(summariseTagColumns(part, 1).has("host"), expected.length <= 1);
          }
        },
      ),
    );
  });
});
