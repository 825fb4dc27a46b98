// The InfluxQL syntax tree produced by parser.ts and consumed by the query engine (shared/query/).

export type DataType = "float" | "integer" | "unsigned" | "string" | "boolean" | "field" | "tag";

export type Expr =
  | { readonly kind: "VarRef"; readonly name: string; readonly dataType?: DataType }
  | { readonly kind: "Wildcard"; readonly dataType?: "field" | "tag" }
  | { readonly kind: "Number"; readonly value: number }
  /** Integers keep 64-bit precision (epoch nanoseconds exceed 2^53). */
  | { readonly kind: "Integer"; readonly value: bigint }
  | { readonly kind: "String"; readonly value: string }
  | { readonly kind: "Boolean"; readonly value: boolean }
  /** A duration literal (`1h30m`) in nanoseconds. */
  | { readonly kind: "Duration"; readonly ns: bigint; readonly text: string }
  | { readonly kind: "Regex"; readonly pattern: string }
  | { readonly kind: "Call"; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: "Binary"; readonly op: BinaryOp; readonly lhs: Expr; readonly rhs: Expr }
  | { readonly kind: "Paren"; readonly expr: Expr };

export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "AND"
  | "OR"
  | "="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "=~"
  | "!~";

export interface Field {
  readonly expr: Expr;
  readonly alias?: string;
}

export interface MeasurementSource {
  readonly database?: string;
  readonly retentionPolicy?: string;
  /** Exactly one of name / regex. */
  readonly name?: string;
  readonly regex?: string;
}

export type Dimension =
  | { readonly kind: "time"; readonly intervalNs: bigint; readonly offsetNs: bigint }
  | { readonly kind: "tag"; readonly name: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "regex"; readonly pattern: string };

export type Fill =
  | { readonly kind: "null" }
  | { readonly kind: "none" }
  | { readonly kind: "previous" }
  | { readonly kind: "linear" }
  | { readonly kind: "value"; readonly value: number };

export interface SelectStatement {
  readonly kind: "select";
  readonly fields: readonly Field[];
  readonly sources: readonly MeasurementSource[];
  readonly condition?: Expr;
  readonly dimensions: readonly Dimension[];
  /** Absent when no fill() was written (InfluxDB's default is null). */
  readonly fill?: Fill;
  readonly order: "asc" | "desc";
  /** 0 = none, as in InfluxDB. */
  readonly limit: number;
  readonly offset: number;
  readonly slimit: number;
  readonly soffset: number;
  readonly tz?: string;
}

/** `WITH KEY` clause of SHOW TAG VALUES. */
export type KeyFilter =
  | { readonly op: "=" | "!="; readonly key: string }
  | { readonly op: "=~" | "!~"; readonly pattern: string }
  | { readonly op: "IN"; readonly keys: readonly string[] };

export interface ShowCommon {
  readonly on?: string;
  readonly sources: readonly MeasurementSource[];
  readonly condition?: Expr;
  readonly limit: number;
  readonly offset: number;
}

export type Statement =
  | SelectStatement
  | { readonly kind: "showDatabases" }
  | (ShowCommon & {
      readonly kind: "showMeasurements";
      readonly measurement?: { readonly op: "=" | "=~" | "!=" | "!~"; readonly value: string };
    })
  | (ShowCommon & { readonly kind: "showTagKeys" })
  | (ShowCommon & { readonly kind: "showTagValues"; readonly key: KeyFilter })
  | (ShowCommon & { readonly kind: "showFieldKeys" })
  | (ShowCommon & { readonly kind: "showSeries" })
  | { readonly kind: "showRetentionPolicies"; readonly on?: string }
  | { readonly kind: "createDatabase"; readonly name: string }
  | { readonly kind: "dropDatabase"; readonly name: string }
  | { readonly kind: "dropMeasurement"; readonly name: string }
  | {
      readonly kind: "dropSeries";
      readonly sources: readonly MeasurementSource[];
      readonly condition?: Expr;
    };

export interface Query {
  readonly statements: readonly Statement[];
}
