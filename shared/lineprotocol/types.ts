// The parsed form of InfluxDB line protocol shared by the writer, the WAL consumer and the compactor.

export type FieldType = "float" | "integer" | "unsigned" | "string" | "boolean";

/**
 * float: number; integer/unsigned: bigint (exact int64/uint64); string: string; boolean: boolean.
 * The field's FieldType says which.
 */
export type FieldValue = number | bigint | string | boolean;

export type Precision = "ns" | "us" | "ms" | "s" | "m" | "h" | "auto";

export interface Point {
  readonly measurement: string;
  /**
   * Tag keys, sorted ascending by UTF-8 bytes (see compareUtf8), unique, values never empty: the parser
   * rejects `t=` as InfluxDB 2.x does, and the serializer drops empty-valued tags (an absent tag and an
   * empty one mean the same in InfluxQL). Key and type arrays may be shared between points of one parse.
   */
  readonly tagKeys: readonly string[];
  readonly tagValues: readonly string[];
  /** Field keys in first-appearance order, unique (a repeated key keeps its last value). At least one. */
  readonly fieldKeys: readonly string[];
  readonly fieldTypes: readonly FieldType[];
  readonly fieldValues: readonly FieldValue[];
  /** Nanoseconds since the Unix epoch, after precision was applied (or the receive time when absent). */
  readonly time: bigint;
  /** 1-based line number in the body. */
  readonly line: number;
  /** Byte offsets of the line in the body: [lineStart, lineEnd) excluding the line terminator. */
  readonly lineStart: number;
  readonly lineEnd: number;
}

export interface LineError {
  /** 1-based line number. */
  readonly line: number;
  /** 1-based byte column where the problem was found, when known. */
  readonly column?: number;
  /** The offending line, truncated for display. */
  readonly text: string;
  /** Human-readable message naming the rule broken, e.g. `invalid field value "12x" for field "temp": ...`. */
  readonly message: string;
}

export interface ParseOptions {
  readonly precision: Precision;
  /** Timestamp (ns) given to points without one: the server's receive time. */
  readonly defaultTime: bigint;
}

export interface ParseResult {
  readonly points: Point[];
  readonly errors: LineError[];
}

/** A field value with its type spelled out, so the serializer never has to guess float versus integer. */
export type TypedFieldValue =
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "integer"; readonly value: bigint }
  | { readonly type: "unsigned"; readonly value: bigint }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "boolean"; readonly value: boolean };

/** What the serializer takes: tags and fields as a record or as [key, value] pairs (pairs keep any key safe). */
export interface PointInput {
  readonly measurement: string;
  readonly tags?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  readonly fields:
    | Readonly<Record<string, TypedFieldValue>>
    | ReadonlyArray<readonly [string, TypedFieldValue]>;
  /** Nanoseconds since the Unix epoch; omitted means the receiver stamps the point. */
  readonly time?: bigint;
}
