// Token grants: parsing the configured list, hashing, and constant-time lookup of a presented token.
import { createHash, timingSafeEqual } from "node:crypto";
import { TokenConfigError } from "./errors.ts";

/** What a token may do. `databases: "*"` means every database. */
export interface Permissions {
  readonly databases: "*" | readonly string[];
  readonly read: boolean;
  readonly write: boolean;
}

/** One configured token: its SHA-256 (hex, lower case) and its permissions. */
export interface TokenGrant extends Permissions {
  readonly tokenHash: string;
}

export type Action = "read" | "write";

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Validates a token list as configured (JSON already decoded): each entry has `tokenHash` (sha256 hex) or
 * `token` (plain, hashed here and then forgotten), `databases` ("*" or a list of names), `read`, `write`.
 */
export function parseTokenGrants(value: unknown): TokenGrant[] {
  if (!Array.isArray(value)) {
    throw new TokenConfigError(`token list must be a JSON array, got ${describe(value)}`);
  }
  return value.map((entry, index) => parseGrant(entry, index));
}

function parseGrant(entry: unknown, index: number): TokenGrant {
  const where = `token list entry ${index}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new TokenConfigError(`${where} must be an object, got ${describe(entry)}`);
  }
  const record = entry as Record<string, unknown>;
  let tokenHash: string;
  if (typeof record.tokenHash === "string") {
    tokenHash = record.tokenHash.toLowerCase();
    if (!HEX64.test(tokenHash)) {
      throw new TokenConfigError(
        `${where}: "tokenHash" must be 64 hex digits (sha256), got ${record.tokenHash.length} characters`,
      );
    }
  } else if (typeof record.token === "string" && record.token.length > 0) {
    tokenHash = sha256Hex(record.token);
  } else {
    throw new TokenConfigError(`${where} needs "tokenHash" (sha256 hex) or a non-empty "token"`);
  }
  const databases = record.databases;
  let parsedDatabases: "*" | string[];
  if (databases === "*") {
    parsedDatabases = "*";
  } else if (Array.isArray(databases) && databases.every((d) => typeof d === "string" && d.length > 0)) {
    parsedDatabases = [...(databases as string[])];
  } else {
    throw new TokenConfigError(
      `${where}: "databases" must be "*" or a list of database names, got ${describe(databases)}`,
    );
  }
  for (const flag of ["read", "write"] as const) {
    if (typeof record[flag] !== "boolean") {
      throw new TokenConfigError(`${where}: "${flag}" must be true or false, got ${describe(record[flag])}`);
    }
  }
  return { tokenHash, databases: parsedDatabases, read: record.read === true, write: record.write === true };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `a string of ${value.length} characters` : `a ${typeof value}`;
}

/**
 * Finds the grant for a presented token. Hashes the token and compares it with every configured hash in
 * constant time (no early exit), so timing reveals neither which hash matched nor how much of it.
 */
export function findGrant(grants: readonly TokenGrant[], token: string): TokenGrant | undefined {
  const presented = Buffer.from(sha256Hex(token), "hex");
  let found: TokenGrant | undefined;
  for (const grant of grants) {
    const expected = Buffer.from(grant.tokenHash, "hex");
    if (expected.length === presented.length && timingSafeEqual(expected, presented) && found === undefined) {
      found = grant;
    }
  }
  return found;
}

/** Whether the permissions allow `action` on `database`. */
export function allows(permissions: Permissions, action: Action, database: string): boolean {
  if (!permissions[action]) return false;
  return permissions.databases === "*" || permissions.databases.includes(database);
}
