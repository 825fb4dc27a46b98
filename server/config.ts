// The local server's configuration, parsed once: command-line flag, then SEDIMENT_* variable, then default.
import { isIP } from "node:net";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { TokenConfigError } from "../shared/auth/errors.ts";
import { parseTokenGrants, sha256Hex, type TokenGrant } from "../shared/auth/tokens.ts";
import { parseTemplateRules, type TemplateRule } from "../shared/compactor/config.ts";
import { ConfigError } from "./errors.ts";

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Empty: open access (allowed on loopback only). */
  readonly tokens: readonly TokenGrant[];
  readonly objectStore:
    | { readonly kind: "file"; readonly root: string }
    | { readonly kind: "s3"; readonly bucket: string; readonly conditionalWrites: boolean };
  readonly wal:
    | { readonly kind: "file"; readonly dir: string }
    | { readonly kind: "sqs"; readonly queueUrl: string };
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  /** AWS_ENDPOINT_URL, handed to the AWS clients explicitly (emulators such as fauxqs need it for SQS). */
  readonly awsEndpoint: string | undefined;
  readonly awsRegion: string;
  readonly shutdownTimeoutMs: number;
  /** Pause between compaction runs (each drains the WAL backlog in steps). */
  readonly compactIntervalMs: number;
  /** Pause between merge runs. */
  readonly mergeIntervalMs: number;
  /** Partition templates for measurements seen for the first time (SEDIMENT_PARTITION_TEMPLATES). */
  readonly partitionTemplates: readonly TemplateRule[];
}

export const USAGE = `Usage: npm start -- [options]

  --host <addr>              listen address (SEDIMENT_HOST, default 127.0.0.1)
  --port <n>                 listen port, 0 = any free port (SEDIMENT_PORT, default 8086)
  --data-dir <dir>           local data: WAL and objects (SEDIMENT_DATA_DIR, default ./data)
  --token <secret>           one token with full access (SEDIMENT_TOKEN); SEDIMENT_TOKENS takes a JSON list
                             of {token|tokenHash, databases, read, write}. No token: open access, loopback only.
  --object-store file|s3     where Parquet goes (SEDIMENT_OBJECT_STORE, default file)
  --bucket <name>            S3 bucket for --object-store s3 (SEDIMENT_BUCKET)
  --wal file|sqs             write-ahead log (SEDIMENT_WAL, default file)
  --queue-url <url>          SQS queue for --wal sqs (SEDIMENT_QUEUE_URL)
  --max-body-bytes <n>       largest request body as sent (SEDIMENT_MAX_BODY_BYTES, default 10485760)
  --max-decompressed-bytes <n>  largest body after gunzip (SEDIMENT_MAX_DECOMPRESSED_BYTES, default 104857600)
  --compact-interval-ms <n>  pause between compaction runs (SEDIMENT_COMPACT_INTERVAL_MS, default 1000)
  --merge-interval-ms <n>    pause between merge runs (SEDIMENT_MERGE_INTERVAL_MS, default 30000)
  --help                     print this
Partition templates and sort keys: SEDIMENT_PARTITION_TEMPLATES, a JSON list of
  {database, measurement, parts?, sortKey?} (the first matching rule applies to a new measurement), e.g.
  [{"database":"*","measurement":"cpu","parts":[{"kind":"bucket","tag":"hostname","buckets":16}],"sortKey":["hostname"]}]
AWS clients honour AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_S3 / _SQS).`;

const OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  "data-dir": { type: "string" },
  token: { type: "string" },
  "object-store": { type: "string" },
  bucket: { type: "string" },
  wal: { type: "string" },
  "queue-url": { type: "string" },
  "max-body-bytes": { type: "string" },
  "max-decompressed-bytes": { type: "string" },
  "compact-interval-ms": { type: "string" },
  "merge-interval-ms": { type: "string" },
  help: { type: "boolean" },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/** `undefined` when --help was asked for. Throws ConfigError naming the flag and variable at fault. */
export function loadServerConfig(argv: readonly string[], env: Env, cwd: string): ServerConfig | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, {
      cause: error,
    });
  }
  if (values.help === true) return undefined;

  const pick = (
    flag: keyof typeof OPTIONS,
    variable: string,
  ): { value: string; source: string } | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === "string") return { value: fromFlag, source: `--${flag}` };
    const fromEnv = env[variable];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: variable };
    return undefined;
  };
  const integer = (
    flag: keyof typeof OPTIONS,
    variable: string,
    fallback: number,
    min: number,
    max: number,
  ) => {
    const got = pick(flag, variable);
    if (got === undefined) return fallback;
    const n = Number(got.value);
    if (!/^\d+$/.test(got.value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(`${got.source} must be an integer from ${min} to ${max}, got "${got.value}"`);
    }
    return n;
  };
  const choice = <T extends string>(
    flag: keyof typeof OPTIONS,
    variable: string,
    allowed: readonly T[],
  ): T => {
    const got = pick(flag, variable);
    if (got === undefined) return allowed[0] as T;
    if (!(allowed as readonly string[]).includes(got.value)) {
      throw new ConfigError(`${got.source} must be one of ${allowed.join(", ")}, got "${got.value}"`);
    }
    return got.value as T;
  };

  const host = pick("host", "SEDIMENT_HOST")?.value ?? "127.0.0.1";
  const port = integer("port", "SEDIMENT_PORT", 8086, 0, 65535);
  const dataDir = resolve(cwd, pick("data-dir", "SEDIMENT_DATA_DIR")?.value ?? "./data");
  const maxBodyBytes = integer("max-body-bytes", "SEDIMENT_MAX_BODY_BYTES", 10 * 1024 * 1024, 1, 2 ** 31 - 1);
  const maxDecompressedBytes = integer(
    "max-decompressed-bytes",
    "SEDIMENT_MAX_DECOMPRESSED_BYTES",
    100 * 1024 * 1024,
    1,
    2 ** 31 - 1,
  );

  const tokens: TokenGrant[] = [];
  const single = pick("token", "SEDIMENT_TOKEN");
  if (single !== undefined)
    tokens.push({ tokenHash: sha256Hex(single.value), databases: "*", read: true, write: true });
  const list = env.SEDIMENT_TOKENS;
  if (list !== undefined && list !== "") {
    try {
      tokens.push(...parseTokenGrants(JSON.parse(list)));
    } catch (error) {
      const why = error instanceof TokenConfigError ? error.message : "not valid JSON";
      throw new ConfigError(`SEDIMENT_TOKENS: ${why}`, { cause: error });
    }
  }
  if (tokens.length === 0 && !isLoopback(host)) {
    throw new ConfigError(
      `refusing to listen on ${host} without a token: anyone who can reach it could read and write. ` +
        "Set --token (SEDIMENT_TOKEN) or SEDIMENT_TOKENS, or listen on 127.0.0.1.",
    );
  }

  const storeKind = choice("object-store", "SEDIMENT_OBJECT_STORE", ["file", "s3"] as const);
  let objectStore: ServerConfig["objectStore"];
  if (storeKind === "s3") {
    const bucket = pick("bucket", "SEDIMENT_BUCKET")?.value;
    if (bucket === undefined) throw new ConfigError("--object-store s3 needs --bucket (SEDIMENT_BUCKET)");
    // Emulators accept conditional writes and ignore them; only real S3 enforces them.
    objectStore = { kind: "s3", bucket, conditionalWrites: env.AWS_ENDPOINT_URL === undefined };
  } else {
    objectStore = { kind: "file", root: resolve(dataDir, "objects") };
  }

  const walKind = choice("wal", "SEDIMENT_WAL", ["file", "sqs"] as const);
  let wal: ServerConfig["wal"];
  if (walKind === "sqs") {
    const queueUrl = pick("queue-url", "SEDIMENT_QUEUE_URL")?.value;
    if (queueUrl === undefined) throw new ConfigError("--wal sqs needs --queue-url (SEDIMENT_QUEUE_URL)");
    if (objectStore.kind !== "s3") {
      throw new ConfigError("--wal sqs needs --object-store s3 (large WAL records are stored in the bucket)");
    }
    wal = { kind: "sqs", queueUrl };
  } else {
    wal = { kind: "file", dir: resolve(dataDir, "wal") };
  }

  let partitionTemplates: TemplateRule[];
  try {
    partitionTemplates = parseTemplateRules(env.SEDIMENT_PARTITION_TEMPLATES);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error), { cause: error });
  }

  return {
    host,
    port,
    dataDir,
    tokens,
    objectStore,
    wal,
    maxBodyBytes,
    maxDecompressedBytes,
    awsEndpoint: env.AWS_ENDPOINT_URL || undefined,
    awsRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    shutdownTimeoutMs: 10_000,
    compactIntervalMs: integer("compact-interval-ms", "SEDIMENT_COMPACT_INTERVAL_MS", 1000, 10, 3_600_000),
    mergeIntervalMs: integer("merge-interval-ms", "SEDIMENT_MERGE_INTERVAL_MS", 30_000, 100, 86_400_000),
    partitionTemplates,
  };
}

export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}
