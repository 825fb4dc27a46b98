// What the write path needs from the catalog: the field types already fixed per measurement.
import type { FieldType } from "../lineprotocol/types.ts";

/** measurement -> field -> type */
export type FieldTypeMap = ReadonlyMap<string, ReadonlyMap<string, FieldType>>;

export interface FieldTypeLookup {
  /** Field types known for a database's measurements. Implementations cache briefly (seconds). */
  fieldTypes(database: string): Promise<FieldTypeMap>;
}

/** One Parquet file as the catalog knows it: enough to prune without opening the footer. */
export interface FileEntry {
  /** Object key (see ARCHITECTURE.md, storage contract). */
  readonly key: string;
  /** 0 = level-0 (one WAL batch, may duplicate other files), 1+ = merged and deduplicated. */
  readonly level: number;
  readonly sizeBytes: number;
  readonly rowCount: number;
  readonly minTimeNs: bigint;
  readonly maxTimeNs: bigint;
  readonly minSeq: bigint;
  readonly maxSeq: bigint;
  /**
   * Distinct tag values present in the file, per tag key, sorted. A key is absent from the map when its
   * values were too many to summarise (then the file may hold any value of it).
   */
  readonly tagValues: ReadonlyMap<string, readonly string[]>;
}

export interface PartitionEntry {
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  /** Tag-based partition parts, e.g. { host_bucket: "07" } or { region: "us-west-1" }; empty when none. */
  readonly parts: Readonly<Record<string, string>>;
  readonly files: readonly FileEntry[];
}

export interface MeasurementEntry {
  readonly name: string;
  /** Sorted tag keys ever seen. */
  readonly tagKeys: readonly string[];
  /** Field name -> type, fixed once seen. */
  readonly fields: ReadonlyMap<string, FieldType>;
}

/** What the query planner and SHOW statements read. */
export interface CatalogReader {
  databases(): Promise<string[]>;
  measurements(database: string): Promise<MeasurementEntry[]>;
  /** Partitions (with their files) of a measurement whose days overlap [minTimeNs, maxTimeNs]. */
  partitions(
    database: string,
    measurement: string,
    minTimeNs: bigint,
    maxTimeNs: bigint,
  ): Promise<PartitionEntry[]>;
}
