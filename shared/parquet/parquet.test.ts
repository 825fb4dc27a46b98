import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { mergedFileKey } from "../layout/keys.ts";
import { columnarFromRows, rowsFromColumnar, sliceColumnar } from "./columnar.ts";
import { readCalls, readColumnarParquet, readFileMetadata, readMeasurementParquet } from "./reader.ts";
import type { MeasurementTable, Row } from "./table.ts";
import { tsbsTable } from "./tsbs.ts";
import {
  alignedRowGroupRows,
  writeColumnarParquet,
  writeColumnarParquetStreaming,
  writeMeasurementParquet,
} from "./writer.ts";

const rows: Row[] = [
  {
    tags: [null, "h1"],
    timeNs: -1_500n, // before the epoch, not a whole microsecond
    seq: 1n,
    values: [true, 1.5, -9_223_372_036_854_775_808n, "a", 18_446_744_073_709_551_615n],
  },
  {
    tags: ["région-ü", "h1"],
    timeNs: 1_700_000_000_123_456_789n,
    seq: 2n,
    values: [null, null, null, null, null],
  },
  {
    tags: ["région-ü", "😀 h2"],
    timeNs: 1_700_000_000_123_456_789n,
    seq: 9_007_199_254_740_993n, // above 2^53
    values: [false, Number.NaN, 9_223_372_036_854_775_807n, "", 0n],
  },
  {
    tags: ["z", "h3"],
    timeNs: 9_223_372_036_854_775_806n,
    seq: 3n,
    values: [null, -0.25, 0n, 'ünïcødé \n\t"quoted"', null],
  },
];

const table: MeasurementTable = {
  tagKeys: ["area", "host"],
  fields: [
    { name: "ok", type: "boolean" },
    { name: "temp", type: "float" },
    { name: "count", type: "integer" },
    { name: "note", type: "string" },
    { name: "big", type: "unsigned" },
  ],
  rows,
};

describe("Parquet writer and reader", () => {
  it("round-trips every type, null, unicode and exact nanoseconds through the hyparquet reader", async () => {
    const out = writeMeasurementParquet(table, { level: 1 });
    assert.equal(out.rowCount, rows.length);
    assert.equal(out.minTimeNs, -1_500n);
    assert.equal(out.maxSeq, 9_007_199_254_740_993n);
    const back = await readMeasurementParquet(out.bytes);
    assert.deepEqual(back.tagKeys, table.tagKeys);
    assert.deepEqual(back.fields, table.fields);
    assert.deepEqual(back.rows, rows);
    const meta = readFileMetadata(out.bytes);
    assert.equal(meta.level, 1);
    assert.equal(meta.rowCount, 4);
    assert.equal(meta.maxTimeNs, 9_223_372_036_854_775_806n);
  });

  it("round-trips every type, null and exact value through columns (parquet-wasm reader)", () => {
    const out = writeColumnarParquet(columnarFromRows(table), { level: 0 });
    const back = readColumnarParquet(out.bytes);
    assert.deepEqual(back.tagKeys, table.tagKeys);
    assert.deepEqual(back.fields, table.fields);
    assert.deepEqual(rowsFromColumnar(back), rows);
    assert.equal(back.meta.level, 0);
  });

  it("reads columns across row groups, calls and Arrow batches with one dictionary per column", () => {
    const t = tsbsTable({ hosts: 30, pointsPerHost: 3000, form: "float" });
    const bytes = writeMeasurementParquet(t, { level: 1, rowGroupRows: 20_000 }).bytes;
    assert.deepEqual(readFileMetadata(bytes).rowGroupRows, [18_000, 18_000, 18_000, 18_000, 18_000]);
    for (const rowsPerCall of [1, 40_000, 1_000_000]) {
      const back = readColumnarParquet(bytes, rowsPerCall);
      assert.equal(back.length, t.rows.length);
      assert.equal(back.tags[2]?.dictionary.length, 30, "hostname");
      assert.deepEqual(rowsFromColumnar(back), t.rows);
    }
  });

  it("reads plain (not dictionary) strings and booleans from files written without an Arrow schema", async () => {
    const { parquetWriteBuffer } = await import("hyparquet-writer");
    const meta: Record<string, string> = {
      "sediment.format_version": "1",
      "sediment.min_time_ns": "1",
      "sediment.max_time_ns": "3",
      "sediment.row_count": "3",
      "sediment.min_seq": "1",
      "sediment.max_seq": "1",
      "sediment.level": "1",
      "sediment.tags": JSON.stringify(["host"]),
      "sediment.fields": JSON.stringify({ ok: "boolean", note: "string" }),
    };
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: "time_ns", data: BigInt64Array.from([1n, 2n, 3n]), type: "INT64" },
          { name: "_seq", data: BigInt64Array.from([1n, 1n, 1n]), type: "INT64" },
          { name: "host", data: ["a", null, "é"], type: "STRING" },
          { name: "ok", data: [true, null, false], type: "BOOLEAN" },
          { name: "note", data: [null, "x", "x"], type: "STRING" },
        ],
        kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
      }),
    );
    assert.deepEqual(rowsFromColumnar(readColumnarParquet(bytes)), [
      { tags: ["a"], timeNs: 1n, seq: 1n, values: [true, null] },
      { tags: [null], timeNs: 2n, seq: 1n, values: [null, "x"] },
      { tags: ["é"], timeNs: 3n, seq: 1n, values: [false, "x"] },
    ]);
  });

  it("records the sort key (the tag column order); files without one read as alphabetical", async () => {
    const hostFirst: MeasurementTable = {
      tagKeys: ["host", "area"],
      fields: [{ name: "v", type: "float" }],
      rows: [
        { tags: ["h1", "z"], timeNs: 1n, seq: 1n, values: [1] },
        { tags: ["h2", "a"], timeNs: 1n, seq: 1n, values: [2] },
      ],
    };
    const meta = readFileMetadata(writeMeasurementParquet(hostFirst, { level: 0 }).bytes);
    assert.deepEqual(
      [meta.tagKeys, meta.sortKey],
      [
        ["host", "area"],
        ["host", "area"],
      ],
    );
    const { parquetWriteBuffer } = await import("hyparquet-writer");
    const legacy = (extra: Record<string, string>) =>
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: "time_ns", data: BigInt64Array.from([1n]), type: "INT64" },
            { name: "_seq", data: BigInt64Array.from([1n]), type: "INT64" },
            { name: "host", data: ["h"], type: "STRING" },
            { name: "area", data: ["a"], type: "STRING" },
          ],
          kvMetadata: Object.entries({
            "sediment.format_version": "1",
            "sediment.min_time_ns": "1",
            "sediment.max_time_ns": "1",
            "sediment.row_count": "1",
            "sediment.min_seq": "1",
            "sediment.max_seq": "1",
            "sediment.level": "1",
            "sediment.tags": JSON.stringify(["host", "area"]),
            "sediment.fields": "{}",
            ...extra,
          }).map(([key, value]) => ({ key, value })),
        }),
      );
    assert.deepEqual(readFileMetadata(legacy({})).sortKey, ["area", "host"]);
    assert.throws(
      () => readFileMetadata(legacy({ "sediment.sort_key": JSON.stringify(["area", "host"]) })),
      /"sediment.sort_key" \["area","host"\] does not match the tag columns \["host","area"\]/,
    );
  });

  it("groups consecutive row groups into reads of bounded rows", () => {
    assert.deepEqual(readCalls([5, 5, 5, 20, 1], 10), [[0, 1], [2], [3], [4]]);
    assert.deepEqual(readCalls([], 10), []);
  });

  it("the streaming writer gives the same rows, metadata and row groups in batches", async () => {
    const { parquetMetadata } = await import("hyparquet");
    const t = tsbsTable({ hosts: 7, pointsPerHost: 30, form: "integer" });
    const whole = writeMeasurementParquet(t, { level: 1, rowGroupRows: 60 });
    const streamed = await writeColumnarParquetStreaming(
      columnarFromRows(t),
      { level: 1, rowGroupRows: 60 },
      17,
    );
    assert.deepEqual({ ...streamed, bytes: undefined }, { ...whole, bytes: undefined });
    assert.deepEqual((await readMeasurementParquet(streamed.bytes)).rows, t.rows);
    assert.deepEqual(readFileMetadata(streamed.bytes), readFileMetadata(whole.bytes));
    const groups = (b: Uint8Array) =>
      parquetMetadata(b.slice().buffer).row_groups.map((g) => Number(g.num_rows));
    assert.deepEqual(groups(streamed.bytes), groups(whole.bytes));
    const oneGroupPerBatch = await writeColumnarParquetStreaming(columnarFromRows(t), {
      level: 1,
      rowGroupRows: 60,
    });
    assert.equal(oneGroupPerBatch.bytes.length, whole.bytes.length, "batches of one row group cost nothing");
    const mixed = await writeColumnarParquetStreaming(columnarFromRows(table), { level: 0 }, 3);
    assert.deepEqual((await readMeasurementParquet(mixed.bytes)).rows, rows);
  });

  it("slices keep only the dictionary values the slice uses", () => {
    const c = columnarFromRows(table);
    const part = sliceColumnar(c, 2, 4);
    assert.deepEqual(part.tags[1]?.dictionary, ["😀 h2", "h3"]);
    assert.deepEqual(rowsFromColumnar(part), rows.slice(2, 4));
  });

  it("refuses reserved and duplicate column names", () => {
    assert.throws(
      () => writeMeasurementParquet({ ...table, tagKeys: ["time", "host"] }, { level: 0 }),
      /reserved/,
    );
    assert.throws(
      () =>
        writeMeasurementParquet(
          { ...table, fields: [{ name: "host", type: "float" }], rows: [] },
          { level: 0 },
        ),
      /no rows/,
    );
  });

  it("honours the row group size, cutting between series when they are regular", async () => {
    const { parquetMetadata } = await import("hyparquet");
    const t = tsbsTable({ hosts: 5, pointsPerHost: 30, form: "integer" });
    const regular = parquetMetadata(
      writeMeasurementParquet(t, { level: 0, rowGroupRows: 100 }).bytes.slice().buffer,
    );
    assert.deepEqual(
      regular.row_groups.map((g) => Number(g.num_rows)),
      [90, 60],
    );
    const irregular = { ...t, rows: t.rows.slice(1) };
    const meta = parquetMetadata(
      writeMeasurementParquet(irregular, { level: 0, rowGroupRows: 40 }).bytes.slice().buffer,
    );
    assert.equal(meta.row_groups.length, Math.ceil(149 / 40));
    assert.ok(meta.row_groups.every((g) => Number(g.num_rows) <= 40));
    assert.equal(alignedRowGroupRows(t.rows, 20), 20, "series longer than a row group");
  });
});

describe("DuckDB reads our files", () => {
  let dir = "";
  let key = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sediment-parquet-"));
    key = mergedFileKey(
      "db",
      "weather",
      { day: "2023-11-14", parts: [{ name: "host_bucket", value: "07" }] },
      1n,
      3n,
      "t1",
    );
    const path = join(dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, writeMeasurementParquet(table, { level: 1 }).bytes);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("sees every value, time as a timestamp, and Hive partition columns", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    const glob = join(dir, "data", "**", "*.parquet").replaceAll("'", "''");
    const reader = await conn.runAndReadAll(
      `SELECT typeof(time) AS time_type, epoch_us(time) AS time_us, time_ns, _seq, area, host, ok, temp, count,
              note, big, CAST(day AS VARCHAR) AS day, host_bucket
       FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY area NULLS FIRST, host, time_ns`,
    );
    const got = reader.getRowObjectsJS();
    assert.equal(got.length, rows.length);
    got.forEach((g, i) => {
      const r = rows[i] as Row;
      assert.match(String(g.time_type), /^TIMESTAMP/);
      const us = r.timeNs / 1000n - (r.timeNs < 0n && r.timeNs % 1000n !== 0n ? 1n : 0n);
      assert.equal(BigInt(g.time_us as bigint), us);
      assert.equal(g.time_ns, r.timeNs);
      assert.equal(g._seq, r.seq);
      assert.equal(g.area, r.tags[0]);
      assert.equal(g.host, r.tags[1]);
      assert.equal(g.ok, r.values[0]);
      if (Number.isNaN(r.values[1])) assert.ok(Number.isNaN(g.temp));
      else assert.equal(g.temp, r.values[1]);
      assert.equal(g.count, r.values[2]);
      assert.equal(g.note, r.values[3]);
      assert.equal(g.big, r.values[4]);
      assert.equal(g.day, "2023-11-14");
      assert.equal(String(g.host_bucket), "7".padStart(String(g.host_bucket).length, "0"));
    });
    const kinds = (
      await conn.runAndReadAll(
        `SELECT name, type, logical_type FROM parquet_schema('${glob}') WHERE name IN ('time', 'time_ns', 'big')`,
      )
    ).getRowObjectsJS();
    const time = kinds.find((k) => k.name === "time");
    assert.match(String(time?.logical_type), /MICROS/);
    const stats = (
      await conn.runAndReadAll(
        `SELECT path_in_schema, compression, encodings, stats_min_value, stats_max_value
         FROM parquet_metadata('${glob}') WHERE path_in_schema IN ('time_ns', 'host')`,
      )
    ).getRowObjectsJS();
    const timeNs = stats.find((s) => s.path_in_schema === "time_ns");
    assert.equal(String(timeNs?.compression), "ZSTD");
    assert.match(String(timeNs?.encodings), /DELTA_BINARY_PACKED/);
    assert.equal(String(timeNs?.stats_min_value), "-1500");
    const host = stats.find((s) => s.path_in_schema === "host");
    assert.equal(String(host?.stats_min_value), "h1");
    conn.closeSync();
  });
});
