// Lambda configuration, parsed once per cold start from the environment into typed, validated objects.
// Errors name the variable and what it should hold.

export class FunctionConfigError extends Error {
  override readonly name = "FunctionConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

export interface ApiConfig {
  /** "write" serves the write routes (needs the queue), "query" the query routes; both serve /ping and /health. */
  readonly role: "write" | "query";
  readonly bucket: string;
  /** Set for the write role. */
  readonly queueUrl: string | undefined;
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  /** "authorizer": trust the Lambda authorizer's context (default); "none": open (tests, private APIs only). */
  readonly auth: "authorizer" | "none";
  /** Whether S3 enforces If-None-Match/If-Match (true on AWS; emulators ignore them). */
  readonly conditionalWrites: boolean;
  readonly awsEndpoint: string | undefined;
  readonly version: string;
}

export interface AuthorizerConfig {
  /** SSM parameter holding the JSON token list. */
  readonly tokensParameter: string;
  readonly cacheMs: number;
  readonly awsEndpoint: string | undefined;
}

function required(env: Env, name: string, what: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "")
    throw new FunctionConfigError(`${name} is not set: it must hold ${what}`);
  return value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new FunctionConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return allowed[0] as T;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new FunctionConfigError(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

export function loadApiConfig(env: Env): ApiConfig {
  const role = oneOf(env, "SEDIMENT_ROLE", ["write", "query"] as const);
  const bucket = required(env, "SEDIMENT_BUCKET", "the data bucket's name");
  const queueUrl = role === "write" ? required(env, "SEDIMENT_QUEUE_URL", "the WAL queue's URL") : undefined;
  if (queueUrl !== undefined && !/^https?:\/\//.test(queueUrl)) {
    throw new FunctionConfigError(`SEDIMENT_QUEUE_URL must be an http(s) URL, got "${queueUrl}"`);
  }
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  return {
    role,
    bucket,
    queueUrl,
    // API Gateway caps Lambda payloads near 6 MB anyway; the limit matters for gzip-compressed bodies.
    maxBodyBytes: integer(env, "SEDIMENT_MAX_BODY_BYTES", 10 * 1024 * 1024, 1, 2 ** 31 - 1),
    maxDecompressedBytes: integer(env, "SEDIMENT_MAX_DECOMPRESSED_BYTES", 64 * 1024 * 1024, 1, 2 ** 31 - 1),
    auth: oneOf(env, "SEDIMENT_AUTH", ["authorizer", "none"] as const),
    conditionalWrites: oneOf(env, "SEDIMENT_CONDITIONAL_WRITES", ["true", "false"] as const) === "true",
    awsEndpoint: endpoint,
    version: env.SEDIMENT_VERSION || "0.1.0",
  };
}

export function loadAuthorizerConfig(env: Env): AuthorizerConfig {
  return {
    tokensParameter: required(env, "SEDIMENT_TOKENS_PARAMETER", "the SSM parameter name of the token list"),
    cacheMs: integer(env, "SEDIMENT_TOKENS_CACHE_SECONDS", 60, 0, 3600) * 1000,
    awsEndpoint: env.AWS_ENDPOINT_URL || undefined,
  };
}
