// Compactor and merge configuration: parsed once per entry point from an env-like record, validated, typed.
import type { PartitionTemplate } from "../layout/partition.ts";
import { validateTemplate } from "../layout/partition.ts";
import { RESERVED_COLUMNS } from "../parquet/table.ts";
import type { MergePolicy } from "./plan.ts";
import { DEFAULT_MERGE_POLICY } from "./plan.ts";

export class CompactorConfigError extends Error {
  override readonly name = "CompactorConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The layout of new measurements matching (database, measurement); "*" matches any. The first matching rule
 * gives both the partition template and the sort key override.
 */
export interface TemplateRule {
  readonly database: string;
  readonly measurement: string;
  readonly template: PartitionTemplate;
  /** Tag keys that lead the sort key, in this order (the others follow by cardinality). */
  readonly sortKey?: readonly string[];
}

export interface CompactorConfig {
  readonly bucket: string;
  readonly conditionalWrites: boolean;
  readonly awsEndpoint: string | undefined;
  readonly templates: readonly TemplateRule[];
  readonly rowGroupRows: number;
  readonly merge: MergePolicy;
  /** Unlisted data files younger than this are never collected (an in-flight compaction may own them). */
  readonly orphanGraceMs: number;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new CompactorConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function parseSortKey(i: number, raw: unknown): readonly string[] {
  const where = `SEDIMENT_PARTITION_TEMPLATES[${i}].sortKey`;
  if (!Array.isArray(raw) || raw.length === 0)
    throw new CompactorConfigError(`${where} must be a non-empty array of tag keys`);
  raw.forEach((k, j) => {
    if (typeof k !== "string" || k === "")
      throw new CompactorConfigError(`${where}[${j}] must be a non-empty string, got ${JSON.stringify(k)}`);
    if (RESERVED_COLUMNS.has(k))
      throw new CompactorConfigError(`${where}[${j}]: "${k}" is a reserved column`);
    if (raw.indexOf(k) !== j) throw new CompactorConfigError(`${where} names "${k}" twice`);
  });
  return raw as string[];
}

/**
 * SEDIMENT_PARTITION_TEMPLATES: JSON array of {database, measurement, parts?, sortKey?} (at least one of
 * parts and sortKey), e.g.
 * `[{"database":"*","measurement":"cpu","parts":[{"kind":"bucket","tag":"hostname","buckets":16}],"sortKey":["hostname"]}]`.
 */
export function parseTemplateRules(raw: string | undefined): TemplateRule[] {
  if (raw === undefined || raw.trim() === "") return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new CompactorConfigError(`SEDIMENT_PARTITION_TEMPLATES is not JSON: ${String(cause)}`);
  }
  if (!Array.isArray(json))
    throw new CompactorConfigError("SEDIMENT_PARTITION_TEMPLATES must be a JSON array");
  return json.map(
    (r: { database?: unknown; measurement?: unknown; parts?: unknown; sortKey?: unknown }, i) => {
      if (
        typeof r?.database !== "string" ||
        typeof r.measurement !== "string" ||
        (r.parts === undefined && r.sortKey === undefined)
      )
        throw new CompactorConfigError(
          `SEDIMENT_PARTITION_TEMPLATES[${i}] needs database, measurement and parts or sortKey`,
        );
      if (r.parts !== undefined && !Array.isArray(r.parts))
        throw new CompactorConfigError(`SEDIMENT_PARTITION_TEMPLATES[${i}].parts must be an array`);
      const template = { parts: r.parts ?? [] } as PartitionTemplate;
      try {
        validateTemplate(template);
      } catch (cause) {
        throw new CompactorConfigError(`SEDIMENT_PARTITION_TEMPLATES[${i}]: ${String(cause)}`);
      }
      const rule = { database: r.database, measurement: r.measurement, template };
      return r.sortKey === undefined ? rule : { ...rule, sortKey: parseSortKey(i, r.sortKey) };
    },
  );
}

function firstMatch(rules: readonly TemplateRule[], database: string, measurement: string) {
  return rules.find(
    (r) =>
      (r.database === "*" || r.database === database) &&
      (r.measurement === "*" || r.measurement === measurement),
  );
}

export function templateFor(rules: readonly TemplateRule[]) {
  return (database: string, measurement: string): PartitionTemplate =>
    firstMatch(rules, database, measurement)?.template ?? { parts: [] };
}

/** The configured sort key override of a new measurement (undefined: chosen from its first batch). */
export function sortKeyFor(rules: readonly TemplateRule[]) {
  return (database: string, measurement: string): readonly string[] | undefined =>
    firstMatch(rules, database, measurement)?.sortKey;
}

export function loadCompactorConfig(env: Env): CompactorConfig {
  const bucket = env.SEDIMENT_BUCKET?.trim();
  if (!bucket)
    throw new CompactorConfigError("SEDIMENT_BUCKET is not set: it must hold the data bucket's name");
  const cw = env.SEDIMENT_CONDITIONAL_WRITES ?? "true";
  if (cw !== "true" && cw !== "false")
    throw new CompactorConfigError(`SEDIMENT_CONDITIONAL_WRITES must be true or false, got "${cw}"`);
  const target = integer(
    env,
    "SEDIMENT_MERGE_TARGET_BYTES",
    DEFAULT_MERGE_POLICY.targetFileBytes,
    1024,
    2 ** 40,
  );
  return {
    bucket,
    conditionalWrites: cw === "true",
    awsEndpoint: env.AWS_ENDPOINT_URL || undefined,
    templates: parseTemplateRules(env.SEDIMENT_PARTITION_TEMPLATES),
    rowGroupRows: integer(env, "SEDIMENT_ROW_GROUP_ROWS", 100_000, 1_000, 10_000_000),
    merge: {
      targetFileBytes: target,
      smallFileBytes: Math.floor(target / 2),
      minInputFiles: integer(env, "SEDIMENT_MERGE_MIN_FILES", DEFAULT_MERGE_POLICY.minInputFiles, 2, 10_000),
      maxInputBytes: integer(
        env,
        "SEDIMENT_MERGE_MAX_INPUT_BYTES",
        DEFAULT_MERGE_POLICY.maxInputBytes,
        1024,
        2 ** 40,
      ),
      maxInputRows: integer(
        env,
        "SEDIMENT_MERGE_MAX_INPUT_ROWS",
        DEFAULT_MERGE_POLICY.maxInputRows,
        1000,
        1e9,
      ),
    },
    orphanGraceMs: integer(env, "SEDIMENT_ORPHAN_GRACE_MS", 6 * 3_600_000, 60_000, 30 * 86_400_000),
  };
}
