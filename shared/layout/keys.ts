// Every object key Sediment writes, built and parsed here (one builder and one parser per kind).
import { decodeSegment, encodeSegment } from "./encode.ts";
import { LayoutError } from "./errors.ts";
import type { PartitionId } from "./partition.ts";
import { parsePartitionSegments, partitionPath } from "./partition.ts";

export const DATA_ROOT = "data/";
export const CATALOG_ROOT = "catalog/";
export const L0_DIR = "_l0";

/** Sequences are written as 20 decimal digits (uint64 max) so that keys sort by sequence. */
export function formatSeq(seq: bigint): string {
  if (seq < 0n || seq > 0xffffffffffffffffn) throw new LayoutError(`sequence out of range: ${seq}`);
  return seq.toString().padStart(20, "0");
}

function parseSeq(s: string): bigint | undefined {
  return /^\d{20}$/.test(s) ? BigInt(s) : undefined;
}

/** Ids placed in keys (from an IdSource) must be plain: letters, digits, '-'. */
export function assertKeyId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(id)) throw new LayoutError(`id not usable in a key: "${id}"`);
}

export function measurementPrefix(database: string, measurement: string): string {
  return `${DATA_ROOT}${encodeSegment(database)}/${encodeSegment(measurement)}/`;
}

export function partitionPrefix(database: string, measurement: string, partition: PartitionId): string {
  return `${measurementPrefix(database, measurement)}${partitionPath(partition)}`;
}

export function l0FileKey(
  database: string,
  measurement: string,
  partition: PartitionId,
  seq: bigint,
  id: string,
): string {
  assertKeyId(id);
  return `${partitionPrefix(database, measurement, partition)}${L0_DIR}/${formatSeq(seq)}-${id}.parquet`;
}

export function mergedFileKey(
  database: string,
  measurement: string,
  partition: PartitionId,
  minSeq: bigint,
  maxSeq: bigint,
  id: string,
): string {
  assertKeyId(id);
  return `${partitionPrefix(database, measurement, partition)}part-${formatSeq(minSeq)}-${formatSeq(maxSeq)}-${id}.parquet`;
}

export interface DataFileKey {
  readonly database: string;
  readonly measurement: string;
  readonly partition: PartitionId;
  readonly level: 0 | 1;
  readonly minSeq: bigint;
  /** Only merged files carry their maximum sequence in the name. */
  readonly maxSeq?: bigint;
  readonly id: string;
}

/** Parses a data file key; undefined for anything else (including shortened, non-decodable names). */
export function parseDataFileKey(key: string): DataFileKey | undefined {
  if (!key.startsWith(DATA_ROOT)) return undefined;
  const segs = key.slice(DATA_ROOT.length).split("/");
  if (segs.length < 4) return undefined;
  const file = segs[segs.length - 1] as string;
  const isL0 = segs[segs.length - 2] === L0_DIR;
  const partSegs = segs.slice(2, isL0 ? -2 : -1);
  try {
    const db = decodeSegment(segs[0] as string);
    const m = decodeSegment(segs[1] as string);
    const partition = parsePartitionSegments(partSegs);
    if (!db.complete || !m.complete || partition === undefined) return undefined;
    const base = { database: db.value, measurement: m.value, partition };
    if (isL0) {
      const match = /^(\d{20})-([A-Za-z0-9][A-Za-z0-9-]{0,63})\.parquet$/.exec(file);
      const seq = match ? parseSeq(match[1] as string) : undefined;
      if (!match || seq === undefined) return undefined;
      return { ...base, level: 0, minSeq: seq, id: match[2] as string };
    }
    const match = /^part-(\d{20})-(\d{20})-([A-Za-z0-9][A-Za-z0-9-]{0,63})\.parquet$/.exec(file);
    if (!match) return undefined;
    const minSeq = parseSeq(match[1] as string);
    const maxSeq = parseSeq(match[2] as string);
    if (minSeq === undefined || maxSeq === undefined) return undefined;
    return { ...base, level: 1, minSeq, maxSeq, id: match[3] as string };
  } catch {
    return undefined;
  }
}

// Catalog objects: immutable versions, `catalog/<db>/schema/<version>.json` and
// `catalog/<db>/files/<measurement>/<version>.json`; the highest version is current.

export function catalogDatabasePrefix(database: string): string {
  return `${CATALOG_ROOT}${encodeSegment(database)}/`;
}

export function catalogSchemaPrefix(database: string): string {
  return `${catalogDatabasePrefix(database)}schema/`;
}

export function catalogFilesPrefix(database: string, measurement: string): string {
  return `${catalogDatabasePrefix(database)}files/${encodeSegment(measurement)}/`;
}

export function catalogVersionKey(prefix: string, version: bigint): string {
  return `${prefix}${formatSeq(version)}.json`;
}

export type CatalogKey =
  | { readonly kind: "schema"; readonly database: string; readonly version: bigint }
  | {
      readonly kind: "files";
      readonly database: string;
      readonly measurement: string;
      readonly version: bigint;
    };

export function parseCatalogKey(key: string): CatalogKey | undefined {
  if (!key.startsWith(CATALOG_ROOT)) return undefined;
  const segs = key.slice(CATALOG_ROOT.length).split("/");
  const versionOf = (s: string | undefined) => {
    const m = s === undefined ? null : /^(\d{20})\.json$/.exec(s);
    return m ? BigInt(m[1] as string) : undefined;
  };
  try {
    const db = decodeSegment(segs[0] ?? "");
    if (!db.complete) return undefined;
    if (segs.length === 3 && segs[1] === "schema") {
      const version = versionOf(segs[2]);
      return version === undefined ? undefined : { kind: "schema", database: db.value, version };
    }
    if (segs.length === 4 && segs[1] === "files") {
      const m = decodeSegment(segs[2] ?? "");
      const version = versionOf(segs[3]);
      if (!m.complete || version === undefined) return undefined;
      return { kind: "files", database: db.value, measurement: m.value, version };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The database a catalog key belongs to, decoded from the first segment (for listing databases). */
export function catalogDatabaseOf(key: string): string | undefined {
  const parsed = parseCatalogKey(key);
  return parsed?.database;
}
