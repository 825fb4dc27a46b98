import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parquetReadObjects } from "hyparquet";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { compressors } from "hyparquet-compressors";
import type { FileEntry } from "../catalog/port.ts";
import type { FieldType, FieldValue } from "../lineprotocol/types.ts";
import type { Row as TableRow } from "../parquet/table.ts";
import { prng } from "../parquet/tsbs.ts";
import { writeMeasurementParquet } from "../parquet/writer.ts";
import { unpackHybrid } from "./columns.ts";
import type { Row } from "./condition.ts";
import type { PruneInput } from "./planner.ts";
import { batchRows, emptyStats, readFileBatches, selectRows } from "./source.ts";
import { CountingStore, type TestPoint, writeContractFile } from "./testkit.ts";
import { MAX_TIME, MIN_TIME } from "./time.ts";

const T0 = 1_451_606_400_000_000_000n;
const S = 1_000_000_000n;
const TAGS = ["host", "region"];
const FIELDS: [string, FieldType][] = [
  ["f", "float"],
  ["i", "integer"],
  ["u", "unsigned"],
  ["b", "boolean"],
  ["s", "string"],
];

/** Sorted rows by series then time; each host has its own null rate (h3 none) so pages differ. */
function randomPoints(seed: number, n: number): TestPoint[] {
  const rnd = prng(seed);
  const out: TestPoint[] = [];
  const hosts = ["h1", "h2", "h3"];
  hosts.forEach((host, h) => {
    const nulls = [0.3, 0.05, 0][h] as number;
    for (let k = 0; k < n; k++) {
      const v = <T>(x: T): T | null => (rnd() < nulls ? null : x);
      out.push({
        time: T0 + BigInt(k) * 10n * S + BigInt(Math.floor(rnd() * 1000)),
        seq: BigInt(1 + Math.floor(rnd() * 5)),
        tags: k % 7 === 0 ? { host } : { host, region: rnd() < 0.5 ? "r1" : "r2" },
        fields: {
          f: v(Math.round(rnd() * 1e6) / 8),
          i: v(BigInt(Math.floor(rnd() * 2000) - 1000) * 1_000_000_007n),
          u: v(rnd() < 0.1 ? 18_000_000_000_000_000_000n : BigInt(Math.floor(rnd() * 1e6))),
          b: v(rnd() < 0.5),
          s: v(["alpha", "beta", "γ", ""][Math.floor(rnd() * 4)] as string),
        },
      });
    }
  });
  const key = (p: TestPoint) =>
    TAGS.map((t) => (p.tags[t] === undefined ? "\u0000" : `\u0001${p.tags[t]}`)).join("\u0002");
  return out.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x !== y ? (x < y ? -1 : 1) : a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
  });
}

/** The same points through the production writer (parquet-wasm: v1 pages, zstd, dictionaries). */
function productionFile(
  points: readonly TestPoint[],
  options: { integerEncoding?: "dictionary" | "delta"; floatEncoding?: "dictionary" | "byte_stream_split" },
): Uint8Array {
  const rows: TableRow[] = points.map((p) => ({
    tags: TAGS.map((t) => p.tags[t] ?? null),
    timeNs: p.time,
    seq: p.seq ?? 1n,
    values: FIELDS.map(([f]) => (p.fields[f] ?? null) as FieldValue | null),
  }));
  return writeMeasurementParquet(
    { tagKeys: TAGS, fields: FIELDS.map(([name, type]) => ({ name, type })), rows },
    { level: 1, rowGroupRows: 97, ...options },
  ).bytes;
}

async function decodeAll(bytes: Uint8Array, range = { min: MIN_TIME, max: MAX_TIME }): Promise<Row[]> {
  const store = new CountingStore();
  store.objects.set("f.parquet", bytes);
  const file: FileEntry = {
    key: "f.parquet",
    level: 1,
    sizeBytes: bytes.length,
    rowCount: 0,
    minTimeNs: MIN_TIME,
    maxTimeNs: MAX_TIME,
    minSeq: 0n,
    maxSeq: 99n,
    tagValues: new Map(),
  };
  const prune: PruneInput = { range, nowNs: T0, isTag: (n) => TAGS.includes(n) };
  const out: Row[] = [];
  await readFileBatches({
    store,
    file,
    prune,
    projection: { tagNames: TAGS, fieldNames: FIELDS.map(([f]) => f), seq: true },
    stats: emptyStats(),
    footerBytes: 1 << 16,
    onBatch: (b) => out.push(...batchRows(b, selectRows(b, prune, TAGS))),
  });
  return out;
}

/** What hyparquet's general reader makes of the same file, in the engine's row shape. */
async function reference(bytes: Uint8Array, range = { min: MIN_TIME, max: MAX_TIME }): Promise<Row[]> {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const objects = (await parquetReadObjects({ file: buf, compressors })) as Record<string, unknown>[];
  return objects
    .map((o) => ({
      time: o.time_ns as bigint,
      tags: TAGS.map((t) => (o[t] as string | null | undefined) ?? null),
      values: FIELDS.map(([f]) => (o[f] as FieldValue | null | undefined) ?? null),
      seq: o._seq as bigint,
    }))
    .filter((r) => r.time >= range.min && r.time <= range.max);
}

describe("column decoder", () => {
  const points = randomPoints(7, 260);
  const cases: [string, Uint8Array][] = [
    ["parquet-wasm, dictionaries", productionFile(points, {})],
    ["parquet-wasm, dictionary integers", productionFile(points, { integerEncoding: "dictionary" })],
    [
      "parquet-wasm, byte-stream-split floats",
      productionFile(points, { floatEncoding: "byte_stream_split" }),
    ],
    [
      "hyparquet-writer, v2 pages with and without nulls, page index",
      writeContractFile(points, TAGS, new Map(FIELDS), {
        rowGroupSize: 200,
        pageSize: 200,
        columnIndex: true,
      }).bytes,
    ],
    [
      "hyparquet-writer, no page index",
      writeContractFile(points, TAGS, new Map(FIELDS), { rowGroupSize: 150 }).bytes,
    ],
  ];
  for (const [name, bytes] of cases) {
    it(`reads every row as hyparquet does (${name})`, async () => {
      const want = await reference(bytes);
      assert.equal(want.length, points.length);
      assert.deepEqual(await decodeAll(bytes), want);
    });
    it(`reads a time range that starts and ends inside pages (${name})`, async () => {
      const range = { min: T0 + 731n * S, max: T0 + 1890n * S };
      const want = await reference(bytes, range);
      assert.ok(want.length > 100 && want.length < points.length);
      assert.deepEqual(await decodeAll(bytes, range), want);
    });
  }
});

describe("unpackHybrid", () => {
  it("decodes random RLE and bit-packed runs as hyparquet does, for widths 1 to 24", () => {
    const rnd = prng(11);
    for (let width = 1; width <= 24; width++) {
      const bytes: number[] = [];
      const varint = (v: number) => {
        let x = v;
        while (x >= 0x80) {
          bytes.push((x & 0x7f) | 0x80);
          x >>>= 7;
        }
        bytes.push(x);
      };
      let n = 0;
      for (let run = 0; run < 40; run++) {
        if (rnd() < 0.5) {
          const count = 1 + Math.floor(rnd() * 300);
          varint(count << 1);
          const v = Math.floor(rnd() * 2 ** width);
          for (let b = 0; b < (width + 7) >> 3; b++) bytes.push((v >>> (8 * b)) & 0xff);
          n += count;
        } else {
          const groups = 1 + Math.floor(rnd() * 20);
          varint((groups << 1) | 1);
          for (let b = 0; b < groups * width; b++) bytes.push(Math.floor(rnd() * 256));
          n += groups * 8;
        }
      }
      // Stop inside the last run, as a page's last bit-packed group often does.
      const want = new Int32Array(n - 3);
      const src = Uint8Array.from(bytes);
      readRleBitPackedHybrid({ view: new DataView(src.buffer), offset: 0 }, width, want, src.length);
      const got = new Int32Array(n - 3);
      unpackHybrid(src, 0, src.length, width, got);
      assert.deepEqual(got, want, `width ${width}`);
    }
  });
});
