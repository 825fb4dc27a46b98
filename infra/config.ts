// Deployment settings: the `sediment` CDK context value, parsed once into a typed, validated object.
// Every construct takes its slice of SedimentConfig; nothing else in infra/ reads context.
import { partName as layoutPartName, MAX_BUCKETS } from "../shared/layout/partition.ts";

/** Glue/Athena column type of a field, from its line-protocol type. */
export type FieldKind = "float" | "integer" | "unsigned" | "string" | "boolean";

/**
 * One partition part below `day=`, as shared/layout/partition.ts defines them: `<tag>=<value>` for a tag,
 * `<tag>_bucket=NN` for a hash bucket. `values` (tag parts only) lists the values Athena may project; without
 * it Athena needs the value in every query's WHERE clause (injected projection).
 */
export type PartitionPartConfig =
  | { readonly kind: "tag"; readonly tag: string; readonly values?: readonly string[] }
  | { readonly kind: "bucket"; readonly tag: string; readonly buckets: number };

export interface MeasurementConfig {
  readonly name: string;
  readonly tags: readonly string[];
  readonly fields: Readonly<Record<string, FieldKind>>;
  /** Tag partition parts below `day=`, in folder order; empty when the measurement is split by day only. */
  readonly partitions: readonly PartitionPartConfig[];
}

export interface DatabaseConfig {
  readonly name: string;
  readonly measurements: readonly MeasurementConfig[];
}

export interface MemoryConfig {
  readonly writer: number;
  readonly query: number;
  readonly compactor: number;
  readonly merge: number;
  readonly authorizer: number;
}

export interface SedimentConfig {
  /** Databases and measurements published to Glue/Athena (writes to others are still accepted). */
  readonly databases: readonly DatabaseConfig[];
  /** Expire `data/` objects after this many days; undefined keeps data forever. */
  readonly retentionDays: number | undefined;
  /** Expire WAL claim checks (`wal/claims/`) after this many days. */
  readonly claimExpiryDays: number;
  /** Use a customer-managed KMS key for the bucket and the WAL queue instead of S3/SQS-managed keys. */
  readonly kms: boolean;
  /** Keep the bucket (and its data) when the stack is deleted. */
  readonly retainData: boolean;
  /** SSM parameter holding the JSON token list read by the authorizer. */
  readonly tokensParameterName: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxConcurrency: number;
  /** Deliveries of one WAL message before it is moved to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly compactorTimeoutSeconds: number;
  readonly mergeTimeoutSeconds: number;
  readonly mergeScheduleMinutes: number;
  readonly memory: MemoryConfig;
  readonly logRetentionDays: number;
  readonly logLevel: "DEBUG" | "INFO" | "WARN" | "ERROR";
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /** Authorizer result cache (seconds); 0 disables it. Must be 0 when queryStringAuth is on. */
  readonly authorizerCacheSeconds: number;
  /** Accept InfluxDB v1 `?u=&p=` credentials: the authorizer then runs uncached on every request. */
  readonly queryStringAuth: boolean;
  /** Alarm when the oldest WAL message is older than this. */
  readonly walAgeAlarmSeconds: number;
  /** Glue database name for the Athena tables. */
  readonly glueDatabaseName: string;
  /** First day (`YYYY-MM-DD`) of the `day` partition projection range. */
  readonly projectionStartDay: string;
  /** E-mail address subscribed to the alarm topic, if any. */
  readonly alarmEmail: string | undefined;
}

export const DEFAULTS: SedimentConfig = {
  databases: [],
  retentionDays: undefined,
  claimExpiryDays: 15,
  kms: false,
  retainData: true,
  tokensParameterName: "/sediment/tokens",
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  maxConcurrency: 5,
  maxReceiveCount: 5,
  compactorTimeoutSeconds: 120,
  mergeTimeoutSeconds: 600,
  mergeScheduleMinutes: 15,
  memory: { writer: 512, query: 1769, compactor: 2048, merge: 3008, authorizer: 256 },
  logRetentionDays: 30,
  logLevel: "INFO",
  throttleRateLimit: 500,
  throttleBurstLimit: 1000,
  authorizerCacheSeconds: 300,
  queryStringAuth: false,
  walAgeAlarmSeconds: 900,
  glueDatabaseName: "sediment",
  projectionStartDay: "2024-01-01",
  alarmEmail: undefined,
};

/** A bad `sediment` context value; the message names the setting and the value found. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`sediment config: ${setting}: ${message}`);
    this.name = "ConfigError";
  }
}

/** Database and measurement names: any non-empty text; shared/layout escapes them in keys. */
const SAFE_NAME = /^\P{Cc}{1,200}$/u;
/** Athena column names: lowercase, so the Parquet column and the Glue column match without folding. */
const COLUMN_NAME = /^[a-z_][a-z0-9_]{0,127}$/;
const RESERVED_COLUMNS = new Set(["time", "time_ns", "_seq", "day"]);
const FIELD_KINDS: readonly FieldKind[] = ["float", "integer", "unsigned", "string", "boolean"];
const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;
/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

type Json = Record<string, unknown>;

/** Partition column of a part: the same rule as the writer's (shared/layout/partition.ts). */
export function partName(part: PartitionPartConfig): string {
  return layoutPartName(part.kind === "tag" ? { kind: "tag", tag: part.tag } : part);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unknownKeys(setting: string, value: Json, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(setting, `unknown setting "${key}" (known: ${allowed.join(", ")})`);
    }
  }
}

function int(raw: Json, key: string, fallback: number, min: number, max: number, prefix = ""): number {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${prefix}${key}`,
      `expected an integer in [${min}, ${max}], got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function bool(raw: Json, key: string, fallback: boolean): boolean {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean")
    throw new ConfigError(key, `expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

function str(raw: Json, key: string, fallback: string, pattern: RegExp, what: string): string {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new ConfigError(key, `expected ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseMeasurement(setting: string, raw: unknown): MeasurementConfig {
  if (!isObject(raw)) throw new ConfigError(setting, "expected an object");
  unknownKeys(setting, raw, ["name", "tags", "fields", "partitions"]);
  const name = raw.name;
  if (typeof name !== "string" || !SAFE_NAME.test(name)) {
    throw new ConfigError(
      `${setting}.name`,
      `expected 1-200 printable characters, got ${JSON.stringify(name)}`,
    );
  }
  const columns = new Set<string>();
  const column = (where: string, col: unknown): string => {
    if (typeof col !== "string" || !COLUMN_NAME.test(col) || RESERVED_COLUMNS.has(col)) {
      throw new ConfigError(
        where,
        `expected a lowercase column name not in {time, time_ns, _seq, day}, got ${JSON.stringify(col)}`,
      );
    }
    if (columns.has(col)) throw new ConfigError(where, `duplicate column "${col}"`);
    columns.add(col);
    return col;
  };
  const tagsRaw = raw.tags ?? [];
  if (!Array.isArray(tagsRaw)) throw new ConfigError(`${setting}.tags`, "expected a list of tag keys");
  const tags = tagsRaw.map((t, i) => column(`${setting}.tags[${i}]`, t));
  const fieldsRaw = raw.fields;
  if (!isObject(fieldsRaw) || Object.keys(fieldsRaw).length === 0) {
    throw new ConfigError(`${setting}.fields`, 'expected an object like {"usage_user": "float"}');
  }
  const fields: Record<string, FieldKind> = {};
  for (const [field, kind] of Object.entries(fieldsRaw)) {
    column(`${setting}.fields.${field}`, field);
    if (!FIELD_KINDS.includes(kind as FieldKind)) {
      throw new ConfigError(
        `${setting}.fields.${field}`,
        `expected one of ${FIELD_KINDS.join(", ")}, got ${JSON.stringify(kind)}`,
      );
    }
    fields[field] = kind as FieldKind;
  }
  const partsRaw = raw.partitions ?? [];
  if (!Array.isArray(partsRaw)) throw new ConfigError(`${setting}.partitions`, "expected a list");
  // A tag part's column is the tag itself (read from the path); a bucket part adds `<tag>_bucket`.
  const names = new Set<string>();
  const partitions = partsRaw.map((part, i): PartitionPartConfig => {
    const where = `${setting}.partitions[${i}]`;
    if (!isObject(part)) throw new ConfigError(where, "expected an object");
    const tag = part.tag;
    if (typeof tag !== "string" || !COLUMN_NAME.test(tag) || RESERVED_COLUMNS.has(tag) || tag in fields) {
      throw new ConfigError(
        `${where}.tag`,
        `expected a lowercase tag key that is not a field, got ${JSON.stringify(tag)}`,
      );
    }
    let parsed: PartitionPartConfig;
    if (part.kind === "tag") {
      unknownKeys(where, part, ["kind", "tag", "values"]);
      const values = part.values;
      if (values === undefined) parsed = { kind: "tag", tag };
      else if (
        Array.isArray(values) &&
        values.length > 0 &&
        values.every((v) => typeof v === "string" && v !== "")
      ) {
        parsed = { kind: "tag", tag, values };
      } else throw new ConfigError(`${where}.values`, "expected a non-empty list of tag values");
    } else if (part.kind === "bucket") {
      unknownKeys(where, part, ["kind", "tag", "buckets"]);
      const buckets = int(part, "buckets", 0, 1, MAX_BUCKETS, `${where}.`);
      parsed = { kind: "bucket", tag, buckets };
      if (tags.includes(partName(parsed))) {
        throw new ConfigError(where, `bucket column "${partName(parsed)}" collides with a tag`);
      }
    } else {
      throw new ConfigError(`${where}.kind`, `expected "tag" or "bucket", got ${JSON.stringify(part.kind)}`);
    }
    const name = partName(parsed);
    if (names.has(name)) throw new ConfigError(where, `duplicate partition column "${name}"`);
    names.add(name);
    return parsed;
  });
  return { name, tags, fields, partitions };
}

function parseDatabases(raw: unknown): DatabaseConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError("databases", "expected a list");
  const tables = new Map<string, string>();
  return raw.map((db, i): DatabaseConfig => {
    const setting = `databases[${i}]`;
    if (!isObject(db)) throw new ConfigError(setting, "expected an object");
    unknownKeys(setting, db, ["name", "measurements"]);
    if (typeof db.name !== "string" || !SAFE_NAME.test(db.name)) {
      throw new ConfigError(
        `${setting}.name`,
        `expected 1-200 printable characters, got ${JSON.stringify(db.name)}`,
      );
    }
    const dbName = db.name;
    if (!Array.isArray(db.measurements)) throw new ConfigError(`${setting}.measurements`, "expected a list");
    const measurements = db.measurements.map((m, j) => parseMeasurement(`${setting}.measurements[${j}]`, m));
    for (const m of measurements) {
      const table = glueTableName(dbName, m.name);
      const other = tables.get(table);
      if (other !== undefined) {
        throw new ConfigError(setting, `${dbName}/${m.name} and ${other} both map to Glue table "${table}"`);
      }
      tables.set(table, `${dbName}/${m.name}`);
    }
    return { name: dbName, measurements };
  });
}

/** Glue/Athena table name of a measurement: lowercase, `[a-z0-9_]` only. */
export function glueTableName(database: string, measurement: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return `${clean(database)}__${clean(measurement)}`;
}

/** Validate a `sediment` context value (object, JSON text, or undefined) and fill in defaults. */
export function parseConfig(input: unknown): SedimentConfig {
  let raw: unknown = input ?? {};
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch (cause) {
      throw new ConfigError("sediment", `context value is not valid JSON: ${(cause as Error).message}`);
    }
  }
  if (!isObject(raw)) throw new ConfigError("sediment", "expected a JSON object");
  unknownKeys("sediment", raw, Object.keys(DEFAULTS));
  const d = DEFAULTS;
  const memRaw = raw.memory ?? {};
  if (!isObject(memRaw)) throw new ConfigError("memory", "expected an object");
  unknownKeys("memory", memRaw, Object.keys(d.memory));
  const mem = (key: keyof MemoryConfig) => int(memRaw, key, d.memory[key], 128, 10240, "memory.");

  const retentionDays = raw.retentionDays === undefined ? undefined : int(raw, "retentionDays", 0, 1, 36500);
  const logRetentionDays = int(raw, "logRetentionDays", d.logRetentionDays, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new ConfigError(
      "logRetentionDays",
      `CloudWatch accepts only ${LOG_RETENTION_DAYS.join(", ")}; got ${logRetentionDays}`,
    );
  }
  const logLevel = raw.logLevel ?? d.logLevel;
  if (!LOG_LEVELS.includes(logLevel as SedimentConfig["logLevel"])) {
    throw new ConfigError(
      "logLevel",
      `expected one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`,
    );
  }
  const alarmEmail =
    raw.alarmEmail === undefined
      ? undefined
      : str(raw, "alarmEmail", "", /^[^@\s]+@[^@\s]+$/, "an e-mail address");

  const queryStringAuth = bool(raw, "queryStringAuth", d.queryStringAuth);
  const config: SedimentConfig = {
    databases: parseDatabases(raw.databases),
    retentionDays,
    claimExpiryDays: int(raw, "claimExpiryDays", d.claimExpiryDays, 15, 365),
    kms: bool(raw, "kms", d.kms),
    retainData: bool(raw, "retainData", d.retainData),
    tokensParameterName: str(
      raw,
      "tokensParameterName",
      d.tokensParameterName,
      /^\/?[A-Za-z0-9_.\-/]{1,1000}$/,
      "an SSM parameter name",
    ),
    batchSize: int(raw, "batchSize", d.batchSize, 1, 10_000),
    maxBatchingWindowSeconds: int(raw, "maxBatchingWindowSeconds", d.maxBatchingWindowSeconds, 0, 300),
    maxConcurrency: int(raw, "maxConcurrency", d.maxConcurrency, 2, 1000),
    maxReceiveCount: int(raw, "maxReceiveCount", d.maxReceiveCount, 1, 1000),
    compactorTimeoutSeconds: int(raw, "compactorTimeoutSeconds", d.compactorTimeoutSeconds, 10, 900),
    mergeTimeoutSeconds: int(raw, "mergeTimeoutSeconds", d.mergeTimeoutSeconds, 10, 900),
    mergeScheduleMinutes: int(raw, "mergeScheduleMinutes", d.mergeScheduleMinutes, 1, 1440),
    memory: {
      writer: mem("writer"),
      query: mem("query"),
      compactor: mem("compactor"),
      merge: mem("merge"),
      authorizer: mem("authorizer"),
    },
    logRetentionDays,
    logLevel: logLevel as SedimentConfig["logLevel"],
    throttleRateLimit: int(raw, "throttleRateLimit", d.throttleRateLimit, 1, 1_000_000),
    throttleBurstLimit: int(raw, "throttleBurstLimit", d.throttleBurstLimit, 1, 1_000_000),
    authorizerCacheSeconds: int(
      raw,
      "authorizerCacheSeconds",
      queryStringAuth ? 0 : d.authorizerCacheSeconds,
      0,
      3600,
    ),
    queryStringAuth,
    walAgeAlarmSeconds: int(raw, "walAgeAlarmSeconds", d.walAgeAlarmSeconds, 60, 1_209_600),
    glueDatabaseName: str(
      raw,
      "glueDatabaseName",
      d.glueDatabaseName,
      /^[a-z0-9_]{1,255}$/,
      "a lowercase Glue database name",
    ),
    projectionStartDay: str(
      raw,
      "projectionStartDay",
      d.projectionStartDay,
      /^\d{4}-\d{2}-\d{2}$/,
      "a day as YYYY-MM-DD",
    ),
    alarmEmail,
  };
  // Cross-setting rules (the limits are AWS's, see ENVIRONMENT.md).
  if (config.batchSize > 10 && config.maxBatchingWindowSeconds < 1) {
    throw new ConfigError(
      "maxBatchingWindowSeconds",
      `must be at least 1 when batchSize (${config.batchSize}) is above 10`,
    );
  }
  if (config.queryStringAuth && config.authorizerCacheSeconds !== 0) {
    throw new ConfigError(
      "authorizerCacheSeconds",
      `must be 0 with queryStringAuth: the cache key needs the Authorization header, which v1 ?u=&p= clients do not send`,
    );
  }
  if (config.mergeTimeoutSeconds > config.mergeScheduleMinutes * 60) {
    throw new ConfigError(
      "mergeTimeoutSeconds",
      `${config.mergeTimeoutSeconds} s exceeds the merge interval (mergeScheduleMinutes ${config.mergeScheduleMinutes})`,
    );
  }
  return config;
}
