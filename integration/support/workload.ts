// Generated points, their line protocol, and the expected state after the dedup rule (per field, the value
// of the latest write wins), plus readers that put query answers and DuckDB rows in the same shape.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";

export type FieldValue =
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "integer"; readonly value: bigint }
  | { readonly type: "unsigned"; readonly value: bigint }
  | { readonly type: "boolean"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string };

export interface TestPoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Nanoseconds since the epoch. */
  readonly time: bigint;
}

const escapeKey = (s: string) => s.replace(/[\\, =]/g, (c) => `\\${c}`);
const escapeMeasurement = (s: string) => s.replace(/[\\, ]/g, (c) => `\\${c}`);

function fieldText(f: FieldValue): string {
  switch (f.type) {
    case "float":
      return Number.isInteger(f.value) ? `${f.value}.0` : String(f.value);
    case "integer":
      return `${f.value}i`;
    case "unsigned":
      return `${f.value}u`;
    case "boolean":
      return f.value ? "true" : "false";
    case "string":
      return `"${f.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }
}

export function toLine(p: TestPoint): string {
  const tags = Object.entries(p.tags)
    .map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`)
    .join("");
  const fields = Object.entries(p.fields)
    .map(([k, v]) => `${escapeKey(k)}=${fieldText(v)}`)
    .join(",");
  return `${escapeMeasurement(p.measurement)}${tags} ${fields} ${p.time}`;
}

export const toBody = (points: readonly TestPoint[]) => points.map(toLine).join("\n");

/** Plain JS values as both readers hand them back: numbers for floats, bigint for 64-bit integers. */
export type Plain = number | bigint | boolean | string;
/** series key ("k=v,k=v" in tag-key order) → time → field → value. */
export type State = Map<string, Map<bigint, Map<string, Plain>>>;

export function seriesKey(tags: Readonly<Record<string, string | null | undefined>>): string {
  return Object.keys(tags)
    .filter((k) => tags[k] !== null && tags[k] !== undefined && tags[k] !== "")
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(",");
}

/** Expected contents per database and measurement, points applied in write (sequence) order. */
export class Model {
  private readonly data = new Map<string, State>();

  apply(database: string, points: readonly TestPoint[]): void {
    for (const p of points) {
      const id = `${database}/${p.measurement}`;
      let state = this.data.get(id);
      if (!state) {
        state = new Map();
        this.data.set(id, state);
      }
      const key = seriesKey(p.tags);
      let series = state.get(key);
      if (!series) {
        series = new Map();
        state.set(key, series);
      }
      let row = series.get(p.time);
      if (!row) {
        row = new Map();
        series.set(p.time, row);
      }
      for (const [name, f] of Object.entries(p.fields)) row.set(name, f.value);
    }
  }

  state(database: string, measurement: string): State {
    return this.data.get(`${database}/${measurement}`) ?? new Map();
  }

  rows(database: string, measurement: string): number {
    let n = 0;
    for (const s of this.state(database, measurement).values()) n += s.size;
    return n;
  }
}

/** Numbers compared as query answers carry them: JSON numbers, 64-bit integers exactly. */
export function normalise(state: State, numbers: "json" | "exact"): State {
  const out: State = new Map();
  for (const [k, series] of state) {
    const s = new Map<bigint, Map<string, Plain>>();
    for (const [t, row] of series) {
      const r = new Map<string, Plain>();
      for (const [f, v] of row) r.set(f, numbers === "json" && typeof v === "bigint" ? Number(v) : v);
      s.set(t, r);
    }
    out.set(k, s);
  }
  return out;
}

/** JSON.parse, but integers of 16 or more digits (nanosecond times) become exact bigints. */
export function parseJsonExact(text: string): unknown {
  const marked = text.replace(/([[,:])(-?\d{16,})(?=[,\]}])/g, '$1{"$big":"$2"}');
  return JSON.parse(marked, (_k, v: unknown) =>
    v !== null && typeof v === "object" && "$big" in v ? BigInt((v as { $big: string }).$big) : v,
  );
}

interface V1Series {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  readonly values: unknown[][];
}

/** A `SELECT * FROM m GROUP BY *` answer (epoch=ns) as State; also checks each series is time-ordered. */
export function stateFromQuery(body: unknown): State {
  const results = (body as { results: { series?: V1Series[]; error?: string }[] }).results;
  const first = results[0];
  if (first?.error) throw new Error(`query failed: ${first.error}`);
  const state: State = new Map();
  for (const s of first?.series ?? []) {
    const key = seriesKey(s.tags ?? {});
    const series = new Map<bigint, Map<string, Plain>>();
    let last: bigint | undefined;
    for (const v of s.values) {
      const t = v[0];
      if (typeof t !== "bigint") throw new Error(`time ${String(t)} is not an exact integer`);
      if (last !== undefined && t <= last) throw new Error(`series ${key}: time ${t} after ${last}`);
      last = t;
      const row = new Map<string, Plain>();
      s.columns.forEach((c, i) => {
        const x = v[i];
        if (i > 0 && x !== null && x !== undefined) row.set(c, x as Plain);
      });
      series.set(t, row);
    }
    state.set(key, series);
  }
  return state;
}

/** Downloads every object under `prefix` into `dir`, keeping the key as the relative path. */
export async function downloadPrefix(
  s3: S3Client,
  bucket: string,
  prefix: string,
  dir: string,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    if (!bytes) throw new Error(`object ${key} has no body`);
    const path = join(dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
  return keys;
}

export interface ParquetRows {
  readonly state: State;
  readonly rows: number;
  /** (series, time) keys held by more than one row. */
  readonly duplicates: number;
  /** Rows whose `day` partition is not the UTC day of time_ns, or whose `time` is not time_ns in µs. */
  readonly badTimes: string[];
}

/**
 * Reads a measurement's Parquet files with DuckDB (Hive partitioning on) into State. Tag columns are
 * named in `tags`; every other column but time, time_ns, _seq and partition columns is a field.
 */
export async function readParquetState(
  glob: string,
  tags: readonly string[],
  partitionColumns: readonly string[] = [],
): Promise<ParquetRows> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    const g = glob.replaceAll("'", "''");
    const reader = await conn.runAndReadAll(
      `SELECT * EXCLUDE (time, day), epoch_us(time) AS time_us, CAST(day AS VARCHAR) AS day_text
       FROM read_parquet('${g}', hive_partitioning = true, union_by_name = true)`,
    );
    const skip = new Set(["time_us", "time_ns", "_seq", "day_text", "filename", ...partitionColumns]);
    const state: State = new Map();
    const badTimes: string[] = [];
    let rows = 0;
    let duplicates = 0;
    for (const r of reader.getRowObjectsJS()) {
      rows += 1;
      const timeNs = r.time_ns as bigint;
      const floorUs = timeNs / 1000n - (timeNs < 0n && timeNs % 1000n !== 0n ? 1n : 0n);
      const day = new Date(Number(timeNs / 1_000_000n)).toISOString().slice(0, 10);
      if (BigInt(r.time_us as bigint) !== floorUs || r.day_text !== day)
        badTimes.push(`${String(r.time_us)} / ${day} for ${timeNs} in day ${String(r.day_text)}`);
      const key = seriesKey(Object.fromEntries(tags.map((t) => [t, r[t] as string | null])));
      let series = state.get(key);
      if (!series) {
        series = new Map();
        state.set(key, series);
      }
      if (series.has(timeNs)) duplicates += 1;
      const row = new Map<string, Plain>();
      for (const [c, v] of Object.entries(r)) {
        if (skip.has(c) || tags.includes(c) || v === null || v === undefined) continue;
        row.set(c, v as Plain);
      }
      series.set(timeNs, row);
    }
    return { state, rows, duplicates, badTimes };
  } finally {
    conn.closeSync();
  }
}

/** Deterministic pseudo-random numbers (xorshift32): the workload is reproducible from its seed. */
export function prng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
