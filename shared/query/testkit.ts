// Test support only: an in-memory ObjectStore that counts range reads, a fake CatalogReader, and a
// writer of Parquet files following the storage contract (ARCHITECTURE.md) via hyparquet-writer.
import type { SchemaElement } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { CatalogReader, FileEntry, MeasurementEntry, PartitionEntry } from "../catalog/port.ts";
import type { FieldType, FieldValue } from "../lineprotocol/types.ts";
import type { ObjectInfo, ObjectStore, PutResult } from "../objectstore/port.ts";

export class CountingStore implements ObjectStore {
  readonly conditionalWrites = true;
  readonly objects = new Map<string, Uint8Array>();
  rangeReads = 0;
  bytesRead = 0;

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.objects.get(key);
    if (v) {
      this.rangeReads++;
      this.bytesRead += v.length;
    }
    return v;
  }
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const v = this.objects.get(key);
    if (!v) throw new Error(`not found: ${key}`);
    this.rangeReads++;
    this.bytesRead += end - start;
    return v.slice(start, end);
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    const v = this.objects.get(key);
    return v ? { key, size: v.length } : undefined;
  }
  async put(key: string, body: Uint8Array): Promise<PutResult> {
    this.objects.set(key, body);
    return { ok: true };
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((k) => ({ key: k, size: this.objects.get(k)?.length ?? 0 }));
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

export interface TestPoint {
  readonly time: bigint;
  readonly seq?: bigint;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue | null>>;
}

export interface WrittenFile {
  readonly bytes: Uint8Array;
  readonly entry: Omit<FileEntry, "key">;
}

const PARQUET_TYPES: Record<FieldType, Partial<SchemaElement>> = {
  float: { type: "DOUBLE" },
  integer: { type: "INT64" },
  unsigned: { type: "INT64", converted_type: "UINT_64" },
  string: { type: "BYTE_ARRAY", converted_type: "UTF8" },
  boolean: { type: "BOOLEAN" },
};

/** A Parquet file with the contract's columns, rows sorted by series key then time. */
export function writeContractFile(
  points: readonly TestPoint[],
  tagKeys: readonly string[],
  fields: ReadonlyMap<string, FieldType>,
  options: {
    rowGroupSize?: number;
    level?: number;
    statisticsTruncateLength?: number;
    /** Target page size in bytes and a column index, to exercise page-level pruning. */
    pageSize?: number;
    columnIndex?: boolean;
  } = {},
): WrittenFile {
  const sk = (p: TestPoint): string =>
    tagKeys.map((k) => (p.tags[k] === undefined ? "\u0000" : `\u0001${p.tags[k]}`)).join("\u0002");
  const rows = [...points].sort((a, b) => {
    const x = sk(a);
    const y = sk(b);
    if (x !== y) return x < y ? -1 : 1;
    return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
  });
  const fieldNames = [...fields.keys()];
  const schema: SchemaElement[] = [
    { name: "root", num_children: 3 + tagKeys.length + fieldNames.length },
    {
      name: "time",
      type: "INT64",
      repetition_type: "REQUIRED",
      converted_type: "TIMESTAMP_MICROS",
      logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
    },
    { name: "time_ns", type: "INT64", repetition_type: "REQUIRED" },
    { name: "_seq", type: "INT64", repetition_type: "REQUIRED" },
    ...tagKeys.map(
      (k): SchemaElement => ({
        name: k,
        type: "BYTE_ARRAY",
        converted_type: "UTF8",
        repetition_type: "OPTIONAL",
      }),
    ),
    ...fieldNames.map(
      (f): SchemaElement => ({
        ...PARQUET_TYPES[fields.get(f) as FieldType],
        name: f,
        repetition_type: "OPTIONAL",
      }),
    ),
  ];
  const floorDiv = (a: bigint, b: bigint): bigint => (a < 0n && a % b !== 0n ? a / b - 1n : a / b);
  const columnData = [
    { name: "time", data: rows.map((r) => floorDiv(r.time, 1000n)) },
    { name: "time_ns", data: rows.map((r) => r.time) },
    { name: "_seq", data: rows.map((r) => r.seq ?? 1n) },
    ...tagKeys.map((k) => ({ name: k, data: rows.map((r) => r.tags[k] ?? null) })),
    ...fieldNames.map((f) => ({ name: f, data: rows.map((r) => r.fields[f] ?? null) })),
  ];
  const buffer = parquetWriteBuffer({
    columnData: options.columnIndex ? columnData.map((c) => ({ ...c, columnIndex: true })) : columnData,
    schema,
    rowGroupSize: options.rowGroupSize ?? 10_000,
    statisticsTruncateLength: options.statisticsTruncateLength ?? Number.POSITIVE_INFINITY,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const tagValues = new Map<string, string[]>();
  for (const k of tagKeys) {
    tagValues.set(
      k,
      [...new Set(rows.map((r) => r.tags[k]).filter((v): v is string => v !== undefined))].sort(),
    );
  }
  const times = rows.map((r) => r.time);
  const seqs = rows.map((r) => r.seq ?? 1n);
  const sorted = (xs: bigint[]): bigint[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const min = (xs: bigint[]): bigint => sorted(xs)[0] as bigint;
  const max = (xs: bigint[]): bigint => sorted(xs).at(-1) as bigint;
  return {
    bytes: new Uint8Array(buffer),
    entry: {
      level: options.level ?? 1,
      sizeBytes: buffer.byteLength,
      rowCount: rows.length,
      minTimeNs: min(times),
      maxTimeNs: max(times),
      minSeq: min(seqs),
      maxSeq: max(seqs),
      tagValues,
    },
  };
}

/** A CatalogReader over files put into a CountingStore by `add`. */
export class FakeCatalog implements CatalogReader {
  private readonly parts: { db: string; measurement: string; partition: PartitionEntry }[] = [];
  private readonly ms = new Map<string, Map<string, MeasurementEntry>>();
  private n = 0;

  constructor(private readonly store: CountingStore) {}

  add(
    db: string,
    measurement: MeasurementEntry,
    day: string,
    file: WrittenFile,
    parts: Record<string, string> = {},
  ): FileEntry {
    const key = `data/${db}/${measurement.name}/day=${day}${Object.entries(parts)
      .map(([k, v]) => `/${k}=${v}`)
      .join("")}/part-${++this.n}.parquet`;
    this.store.objects.set(key, file.bytes);
    const entry: FileEntry = { key, ...file.entry };
    const existing = this.parts.find(
      (p) =>
        p.db === db &&
        p.measurement === measurement.name &&
        p.partition.day === day &&
        JSON.stringify(p.partition.parts) === JSON.stringify(parts),
    );
    if (existing) existing.partition = { ...existing.partition, files: [...existing.partition.files, entry] };
    else this.parts.push({ db, measurement: measurement.name, partition: { day, parts, files: [entry] } });
    const dbm = this.ms.get(db) ?? new Map<string, MeasurementEntry>();
    dbm.set(measurement.name, measurement);
    this.ms.set(db, dbm);
    return entry;
  }

  async databases(): Promise<string[]> {
    return [...this.ms.keys()];
  }
  async measurements(database: string): Promise<MeasurementEntry[]> {
    return [...(this.ms.get(database)?.values() ?? [])];
  }
  async partitions(
    database: string,
    measurement: string,
    minTimeNs: bigint,
    maxTimeNs: bigint,
  ): Promise<PartitionEntry[]> {
    const day = 86_400_000_000_000n;
    return this.parts
      .filter((p) => {
        if (p.db !== database || p.measurement !== measurement) return false;
        const start = BigInt(Date.parse(`${p.partition.day}T00:00:00Z`)) * 1_000_000n;
        return start <= maxTimeNs && start + day - 1n >= minTimeNs;
      })
      .map((p) => p.partition);
  }
}
