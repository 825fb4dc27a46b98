// The Athena/Glue view of the storage contract: one table per configured measurement, as a pure model
// that both the CDK Glue tables (analytics.ts) and the CREATE EXTERNAL TABLE text below are built from.
import { encodePartitionValue } from "../shared/layout/encode.ts";
import { measurementPrefix } from "../shared/layout/keys.ts";
import { bucketWidth } from "../shared/layout/partition.ts";
import type { FieldKind, MeasurementConfig, SedimentConfig } from "./config.ts";
import { glueTableName, partName } from "./config.ts";

export interface Column {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
}

export interface TableDefinition {
  readonly name: string;
  readonly database: string;
  readonly measurement: string;
  /** `s3://bucket/data/<db>/<measurement>/` */
  readonly location: string;
  readonly columns: readonly Column[];
  readonly partitionKeys: readonly Column[];
  /** Table properties: classification and partition projection. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** Hive/Athena type per line-protocol field type. */
export const GLUE_TYPE: Readonly<Record<FieldKind, string>> = {
  float: "double",
  integer: "bigint",
  // Athena has no unsigned 64-bit type: values at or above 2^63 read as negative.
  unsigned: "bigint",
  string: "string",
  boolean: "boolean",
};

const FIXED_COLUMNS: readonly Column[] = [
  { name: "time", type: "timestamp", comment: "event time (microseconds, UTC)" },
  { name: "time_ns", type: "bigint", comment: "exact event time, ns since the epoch" },
  { name: "_seq", type: "bigint", comment: "WAL sequence of the write (dedup tie-break)" },
];

function tableDefinition(
  config: SedimentConfig,
  database: string,
  m: MeasurementConfig,
  bucketName: string,
): TableDefinition {
  // The writer's own key builder, so escaped names (percent-encoding) land in the same place.
  const location = `s3://${bucketName}/${measurementPrefix(database, m.name)}`;
  const tagParts = new Set(m.partitions.filter((p) => p.kind === "tag").map((p) => p.tag));
  const columns: Column[] = [
    ...FIXED_COLUMNS,
    // A tag that is also a partition part is read from the path (Hive forbids the same name twice).
    ...m.tags.filter((t) => !tagParts.has(t)).map((t) => ({ name: t, type: "string", comment: "tag" })),
    ...Object.entries(m.fields).map(([name, kind]) => ({
      name,
      type: GLUE_TYPE[kind],
      comment: `${kind} field`,
    })),
  ];
  const parameters: Record<string, string> = {
    classification: "parquet",
    EXTERNAL: "TRUE",
    "projection.enabled": "true",
    "projection.day.type": "date",
    "projection.day.format": "yyyy-MM-dd",
    "projection.day.range": `${config.projectionStartDay},NOW`,
    "projection.day.interval": "1",
    "projection.day.interval.unit": "DAYS",
  };
  let template = `${location}day=\${day}`;
  for (const part of m.partitions) {
    const name = partName(part);
    if (part.kind === "bucket") {
      parameters[`projection.${name}.type`] = "integer";
      parameters[`projection.${name}.range`] = `0,${part.buckets - 1}`;
      parameters[`projection.${name}.digits`] = String(bucketWidth(part.buckets));
    } else if (part.values) {
      // Athena matches folder names, which hold the encoded value.
      parameters[`projection.${name}.type`] = "enum";
      parameters[`projection.${name}.values`] = part.values.map((v) => encodePartitionValue(v)).join(",");
    } else {
      parameters[`projection.${name}.type`] = "injected";
    }
    template += `/${name}=\${${name}}`;
  }
  parameters["storage.location.template"] = template;
  return {
    name: glueTableName(database, m.name),
    database,
    measurement: m.name,
    location,
    columns,
    partitionKeys: [
      { name: "day", type: "string", comment: "UTC day, YYYY-MM-DD" },
      ...m.partitions.map((p) => ({
        name: partName(p),
        type: "string",
        comment: p.kind === "bucket" ? `hash bucket of tag ${p.tag}` : "tag (partition)",
      })),
    ],
    parameters,
  };
}

/** Every configured measurement's table, in configuration order. */
export function tableDefinitions(config: SedimentConfig, bucketName: string): TableDefinition[] {
  return config.databases.flatMap((db) =>
    db.measurements.map((m) => tableDefinition(config, db.name, m, bucketName)),
  );
}

const quoteString = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** CREATE DATABASE / CREATE EXTERNAL TABLE statements for users who set up Athena without CDK. */
export function athenaDdl(config: SedimentConfig, bucketName: string): string {
  const db = config.glueDatabaseName;
  const statements = [`CREATE DATABASE IF NOT EXISTS \`${db}\`;`];
  for (const table of tableDefinitions(config, bucketName)) {
    const column = (c: Column) =>
      `  \`${c.name}\` ${c.type}${c.comment ? ` COMMENT ${quoteString(c.comment)}` : ""}`;
    const properties = Object.entries(table.parameters)
      .filter(([key]) => key !== "EXTERNAL")
      .map(([key, value]) => `  ${quoteString(key)}=${quoteString(value)}`);
    statements.push(
      [
        `CREATE EXTERNAL TABLE IF NOT EXISTS \`${db}\`.\`${table.name}\` (`,
        table.columns.map(column).join(",\n"),
        ")",
        `PARTITIONED BY (${table.partitionKeys.map((c) => `\`${c.name}\` ${c.type}`).join(", ")})`,
        "STORED AS PARQUET",
        `LOCATION ${quoteString(table.location)}`,
        "TBLPROPERTIES (",
        properties.join(",\n"),
        ");",
      ].join("\n"),
    );
  }
  return `${statements.join("\n\n")}\n`;
}
