// The catalog's self-describing object format: a JSON envelope with magic, format version, kind, version
// number and a SHA-256 checksum of the canonical body text.
import { createHash } from "node:crypto";
import { CorruptCatalogError } from "./errors.ts";

export const CATALOG_MAGIC = "sediment-catalog";
export const CATALOG_FORMAT_VERSION = 1;

export type CatalogKind = "schema" | "files";

interface Envelope {
  magic: string;
  formatVersion: number;
  kind: CatalogKind;
  version: string;
  /** Id of the writer, read back where the store ignores conditional puts. */
  writer: string;
  checksum: string;
  body: string;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function encodeCatalogObject(
  kind: CatalogKind,
  version: bigint,
  writer: string,
  body: unknown,
): Uint8Array {
  const text = JSON.stringify(body);
  const envelope: Envelope = {
    magic: CATALOG_MAGIC,
    formatVersion: CATALOG_FORMAT_VERSION,
    kind,
    version: version.toString(),
    writer,
    checksum: sha256(text),
    body: text,
  };
  return new TextEncoder().encode(JSON.stringify(envelope));
}

export interface DecodedCatalogObject {
  readonly kind: CatalogKind;
  readonly version: bigint;
  readonly writer: string;
  readonly body: unknown;
}

export function decodeCatalogObject(
  key: string,
  bytes: Uint8Array,
  expected: CatalogKind,
): DecodedCatalogObject {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Envelope;
  } catch (cause) {
    throw new CorruptCatalogError(key, `not JSON (${String(cause)})`);
  }
  if (envelope?.magic !== CATALOG_MAGIC) throw new CorruptCatalogError(key, "bad magic");
  if (envelope.formatVersion !== CATALOG_FORMAT_VERSION)
    throw new CorruptCatalogError(key, `unsupported format version ${String(envelope.formatVersion)}`);
  if (envelope.kind !== expected)
    throw new CorruptCatalogError(key, `expected kind ${expected}, got ${envelope.kind}`);
  if (typeof envelope.body !== "string" || sha256(envelope.body) !== envelope.checksum)
    throw new CorruptCatalogError(key, "checksum mismatch");
  if (!/^\d+$/.test(envelope.version)) throw new CorruptCatalogError(key, "bad version");
  return {
    kind: envelope.kind,
    version: BigInt(envelope.version),
    writer: String(envelope.writer),
    body: JSON.parse(envelope.body),
  };
}
