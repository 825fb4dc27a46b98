import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parquetMetadata } from "hyparquet";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import type { ColumnarTable } from "../parquet/columnar.ts";
import { writeColumnarParquet } from "../parquet/writer.ts";
import { runWarmup, WARMUP_DATA, WARMUP_PARQUET_BASE64, WARMUP_QUERIES } from "./warmup.ts";

const deps = () => ({ clock: new ManualClock(), ids: new SequentialIds("warmup-test") });

/** WARMUP_DATA as the columnar table the compactor and merge hand to the writer. */
function fixtureTable(): ColumnarTable {
  const d = WARMUP_DATA;
  const n = d.hosts.length * d.pointsPerHost;
  const timeNs = new BigInt64Array(n);
  const usage = new BigInt64Array(n);
  const load = new Float64Array(n);
  const hosts = new Int32Array(n);
  for (let h = 0; h < d.hosts.length; h++) {
    for (let i = 0; i < d.pointsPerHost; i++) {
      const r = h * d.pointsPerHost + i;
      hosts[r] = h;
      timeNs[r] = d.startNs + BigInt(i) * d.stepNs;
      usage[r] = d.usageOf(h, i);
      load[r] = d.loadOf(h, i);
    }
  }
  return {
    tagKeys: [d.tagKey],
    fields: [...d.fields].map(([name, type]) => ({ name, type })),
    length: n,
    timeNs,
    seq: new BigInt64Array(n).fill(1n),
    tags: [{ dictionary: [...d.hosts], indices: hosts }],
    values: [
      { values: usage, valid: null },
      { values: load, valid: null },
    ],
  };
}

/** What decides the reader's code paths: schema, per-chunk type/encodings/codec, row counts, metadata. */
function layout(bytes: Uint8Array) {
  const copy = bytes.slice();
  const meta = parquetMetadata(copy.buffer as ArrayBuffer);
  return {
    schema: meta.schema,
    rows: meta.num_rows,
    rowGroups: meta.row_groups.map((g) => ({
      rows: g.num_rows,
      columns: g.columns.map((c) => ({
        path: c.meta_data?.path_in_schema,
        type: c.meta_data?.type,
        encodings: c.meta_data?.encodings,
        codec: c.meta_data?.codec,
        values: c.meta_data?.num_values,
      })),
    })),
    // The writer's key-value order varies from run to run: compare as a sorted list.
    keyValues: (meta.key_value_metadata ?? [])
      .map((kv) => `${kv.key}=${kv.value}`)
      .sort()
      .filter((kv) => !kv.startsWith("ARROW:schema=")),
  };
}

describe("query warm-up", () => {
  it("answers its own queries: an aggregate GROUP BY time and a raw select", async () => {
    const report = await runWarmup(deps());
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.deepEqual(
      WARMUP_QUERIES.map((q) => q.name),
      ["groupby-time", "raw-select"],
    );
  });

  it("reports a query whose answer differs from the expected one", async () => {
    const [first, second] = WARMUP_QUERIES;
    assert.ok(first && second);
    const wrong = {
      ...first,
      expected: first.expected.replace("[1704067200000000000,11,", "[1704067200000000000,12,"),
    };
    assert.notEqual(wrong.expected, first.expected);
    const report = await runWarmup({ ...deps(), queries: [wrong, second] });
    assert.equal(report.ok, false);
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0] ?? "", /^groupby-time: expected 200 .*,12,.* got 200 .*,11,/);
  });

  it("reports a query that fails instead of answering", async () => {
    const report = await runWarmup({
      ...deps(),
      queries: [{ name: "broken", q: "SELECT FROM", expected: "{}" }],
    });
    assert.equal(report.ok, false);
    assert.match(report.problems[0] ?? "", /^broken: expected 200 \{\}, got 400 /);
  });

  it("holds a file laid out as the real writer lays out WARMUP_DATA now", () => {
    const fresh = writeColumnarParquet(fixtureTable(), { level: 1 }).bytes;
    const stored = new Uint8Array(Buffer.from(WARMUP_PARQUET_BASE64, "base64"));
    assert.deepEqual(
      layout(stored),
      layout(fresh),
      `the writer changed: replace WARMUP_PARQUET_BASE64 in shared/query/warmup.ts with\n${Buffer.from(fresh).toString("base64")}`,
    );
  });
});
