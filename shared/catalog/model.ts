// The catalog's documents (schema per database, files per measurement) and their JSON forms.
import type { PartitionId, PartitionTemplate } from "../layout/partition.ts";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { FieldType } from "../lineprotocol/types.ts";
import { CorruptCatalogError } from "./errors.ts";
import type { FileEntry } from "./port.ts";

export interface MeasurementSchema {
  readonly name: string;
  /** Sorted by UTF-8 bytes. */
  readonly tagKeys: readonly string[];
  readonly fields: ReadonlyMap<string, FieldType>;
  /** Fixed when the measurement is first seen. */
  readonly template: PartitionTemplate;
  /**
   * The order of tag keys that rows of every file written from now on are sorted by (a permutation of
   * tagKeys): fixed when the measurement is first seen, later tag keys appended. Schemas written before it
   * existed read as alphabetical, which is how their files were sorted.
   */
  readonly sortKey: readonly string[];
}

export interface SchemaDoc {
  readonly database: string;
  readonly measurements: ReadonlyMap<string, MeasurementSchema>;
}

export interface CatalogPartition {
  /** `day=.../<part>=.../` (layout.partitionPath): the partition's identity within the measurement. */
  readonly path: string;
  readonly id: PartitionId;
  readonly files: readonly FileEntry[];
}

export interface FilesDoc {
  readonly database: string;
  readonly measurement: string;
  /** Keyed by CatalogPartition.path. */
  readonly partitions: ReadonlyMap<string, CatalogPartition>;
}

const FIELD_TYPES: ReadonlySet<string> = new Set(["float", "integer", "unsigned", "string", "boolean"]);

export function schemaToJson(doc: SchemaDoc): unknown {
  return {
    database: doc.database,
    measurements: [...doc.measurements.values()].map((m) => ({
      name: m.name,
      tagKeys: m.tagKeys,
      fields: Object.fromEntries(m.fields),
      template: m.template,
      sortKey: m.sortKey,
    })),
  };
}

export function schemaFromJson(key: string, json: unknown): SchemaDoc {
  try {
    const j = json as {
      database: string;
      measurements: {
        name: string;
        tagKeys: string[];
        fields: Record<string, string>;
        template: PartitionTemplate;
        sortKey?: unknown;
      }[];
    };
    const measurements = new Map<string, MeasurementSchema>();
    for (const m of j.measurements) {
      const fields = new Map<string, FieldType>();
      for (const [k, v] of Object.entries(m.fields)) {
        if (!FIELD_TYPES.has(v)) throw new Error(`bad field type ${v}`);
        fields.set(k, v as FieldType);
      }
      const tagKeys = [...m.tagKeys];
      measurements.set(m.name, {
        name: m.name,
        tagKeys,
        fields,
        template: m.template,
        sortKey: sortKeyFromJson(m.name, tagKeys, m.sortKey),
      });
    }
    if (typeof j.database !== "string") throw new Error("missing database");
    return { database: j.database, measurements };
  } catch (cause) {
    throw new CorruptCatalogError(key, `bad schema document (${String(cause)})`);
  }
}

/** A stored sort key must order exactly the measurement's tag keys; absent (older schemas) = alphabetical. */
function sortKeyFromJson(measurement: string, tagKeys: readonly string[], json: unknown): string[] {
  if (json === undefined) return [...tagKeys].sort(compareUtf8);
  if (
    !Array.isArray(json) ||
    json.length !== tagKeys.length ||
    new Set(json).size !== json.length ||
    !json.every((k) => typeof k === "string" && tagKeys.includes(k))
  )
    throw new Error(`sort key of "${measurement}" is not an ordering of its tag keys`);
  return json as string[];
}

interface FileJson {
  key: string;
  level: number;
  sizeBytes: number;
  rowCount: number;
  minTimeNs: string;
  maxTimeNs: string;
  minSeq: string;
  maxSeq: string;
  tagValues: Record<string, string[]>;
}

export function fileToJson(f: FileEntry): FileJson {
  return {
    key: f.key,
    level: f.level,
    sizeBytes: f.sizeBytes,
    rowCount: f.rowCount,
    minTimeNs: f.minTimeNs.toString(),
    maxTimeNs: f.maxTimeNs.toString(),
    minSeq: f.minSeq.toString(),
    maxSeq: f.maxSeq.toString(),
    tagValues: Object.fromEntries([...f.tagValues].map(([k, v]) => [k, [...v]])),
  };
}

function fileFromJson(f: FileJson): FileEntry {
  return {
    key: f.key,
    level: f.level,
    sizeBytes: f.sizeBytes,
    rowCount: f.rowCount,
    minTimeNs: BigInt(f.minTimeNs),
    maxTimeNs: BigInt(f.maxTimeNs),
    minSeq: BigInt(f.minSeq),
    maxSeq: BigInt(f.maxSeq),
    tagValues: new Map(Object.entries(f.tagValues)),
  };
}

export function filesToJson(doc: FilesDoc): unknown {
  return {
    database: doc.database,
    measurement: doc.measurement,
    partitions: [...doc.partitions.values()].map((p) => ({
      path: p.path,
      id: p.id,
      files: p.files.map(fileToJson),
    })),
  };
}

export function filesFromJson(key: string, json: unknown): FilesDoc {
  try {
    const j = json as {
      database: string;
      measurement: string;
      partitions: { path: string; id: PartitionId; files: FileJson[] }[];
    };
    const partitions = new Map<string, CatalogPartition>();
    for (const p of j.partitions)
      partitions.set(p.path, { path: p.path, id: p.id, files: p.files.map(fileFromJson) });
    return { database: j.database, measurement: j.measurement, partitions };
  } catch (cause) {
    throw new CorruptCatalogError(key, `bad files document (${String(cause)})`);
  }
}
