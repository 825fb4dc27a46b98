// The in-memory shape of one measurement file's rows, shared by the Parquet writer, reader and the compactor.
import type { FieldType, FieldValue } from "../lineprotocol/types.ts";

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
}

export interface Row {
  /** Tag values in the table's tagKeys order; null when the series has no such tag. */
  readonly tags: readonly (string | null)[];
  readonly timeNs: bigint;
  /** WAL sequence of the write that set this row's non-null fields. */
  readonly seq: bigint;
  /** Field values in the table's fields order; null when not set by this row. */
  readonly values: readonly (FieldValue | null)[];
}

export interface MeasurementTable {
  /** In sort-key order: rows are sorted by these tags' values in this order (see META.sortKey). */
  readonly tagKeys: readonly string[];
  readonly fields: readonly FieldDef[];
  readonly rows: readonly Row[];
}

/** Column names the contract reserves; tag and field keys must not use them. */
export const RESERVED_COLUMNS: ReadonlySet<string> = new Set(["time", "time_ns", "_seq"]);

export const FORMAT_VERSION = "1";

/** Key-value metadata keys (ARCHITECTURE.md, storage contract). */
export const META = {
  formatVersion: "sediment.format_version",
  minTimeNs: "sediment.min_time_ns",
  maxTimeNs: "sediment.max_time_ns",
  rowCount: "sediment.row_count",
  minSeq: "sediment.min_seq",
  maxSeq: "sediment.max_seq",
  level: "sediment.level",
  /** JSON array of tag column names, in sort-key order: tells tag columns from string fields. */
  tags: "sediment.tags",
  /**
   * JSON array of the tag keys rows are sorted by, most significant first (then time_ns). Files written
   * before it existed lack it and are sorted by their tags alphabetically.
   */
  sortKey: "sediment.sort_key",
  /** JSON object field name -> FieldType. */
  fields: "sediment.fields",
} as const;
