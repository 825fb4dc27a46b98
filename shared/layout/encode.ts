// Reversible, Hive-friendly encoding of user names and values (databases, measurements, tag values) as one
// object-key segment: no '/', no '.'/'..', '=' and '%' escaped, never a leading '_' or '.' (Hive skips those).
import { createHash } from "node:crypto";
import { InvalidSegmentError } from "./errors.ts";

/** Encoded segments longer than this are shortened with a hash suffix (S3 keys ≤ 1024 B, file names ≤ 255 B). */
export const MAX_SEGMENT_CHARS = 200;
/** Length of the readable prefix kept in a shortened segment. */
const SHORT_PREFIX_CHARS = 176;
/** The encoding of the empty string (a bare '~' never appears otherwise: a real '~' is escaped). */
export const EMPTY_SEGMENT = "~";
/** Hive's name for a null partition value; real values never start with '_' once encoded. */
export const NULL_SEGMENT = "__HIVE_DEFAULT_PARTITION__";

const HEX = "0123456789ABCDEF";
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

function isSafe(byte: number, first: boolean): boolean {
  if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a))
    return true;
  if (byte === 0x2d) return true; // '-'
  if (byte === 0x2e || byte === 0x5f) return !first; // '.', '_' only after the first byte
  return false;
}

function percentEncode(value: string): string {
  const bytes = utf8.encode(value);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (isSafe(b, i === 0)) out += String.fromCharCode(b);
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

function percentDecode(segment: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === 0x25) {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new InvalidSegmentError(segment, `bad escape at ${i}`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (isSafe(c, bytes.length === 0)) bytes.push(c);
    else throw new InvalidSegmentError(segment, `unescaped character at ${i}`);
  }
  let value: string;
  try {
    value = utf8Strict.decode(new Uint8Array(bytes));
  } catch (cause) {
    throw new InvalidSegmentError(segment, `not UTF-8 (${String(cause)})`);
  }
  // Canonical form only, so that encode(decode(s)) === s and two spellings never name one value.
  if (percentEncode(value) !== segment) throw new InvalidSegmentError(segment, "not in canonical form");
  return value;
}

function hashSuffix(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex").slice(0, 16);
}

/**
 * Encodes a name or value as one key segment. Segments whose encoding would exceed MAX_SEGMENT_CHARS keep a
 * readable prefix and end in `~<16 hex of sha256(value)>`: still unique, still ordered by prefix, but only
 * the prefix decodes; the exact value lives in the catalog and in the Parquet columns.
 */
export function encodeSegment(value: string): string {
  if (value === "") return EMPTY_SEGMENT;
  const full = percentEncode(value);
  if (full.length <= MAX_SEGMENT_CHARS) return full;
  let cut = SHORT_PREFIX_CHARS;
  // Never cut inside an escape (%XX) ...
  if (full[cut - 1] === "%") cut -= 1;
  else if (full[cut - 2] === "%") cut -= 2;
  let prefix = full.slice(0, cut);
  // ... nor inside a multi-byte UTF-8 sequence: drop trailing continuation/lead bytes of an incomplete char.
  prefix = trimIncompleteUtf8(prefix);
  return `${prefix}~${hashSuffix(value)}`;
}

function trimIncompleteUtf8(prefix: string): string {
  const tail: number[] = [];
  let end = prefix.length;
  while (end >= 3 && prefix[end - 3] === "%") {
    const b = Number.parseInt(prefix.slice(end - 2, end), 16);
    tail.unshift(b);
    end -= 3;
    if (b < 0x80) break; // ASCII: nothing incomplete
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      const have = tail.length;
      return have >= need ? prefix : prefix.slice(0, end);
    }
  }
  return prefix;
}

export interface DecodedSegment {
  readonly value: string;
  /** False when the segment was shortened: `value` is then only a prefix of the original. */
  readonly complete: boolean;
}

export function decodeSegment(segment: string): DecodedSegment {
  if (segment === EMPTY_SEGMENT) return { value: "", complete: true };
  if (segment === "") throw new InvalidSegmentError(segment, "empty");
  const tilde = segment.indexOf("~");
  if (tilde < 0) return { value: percentDecode(segment), complete: true };
  const hash = segment.slice(tilde + 1);
  if (!/^[0-9a-f]{16}$/.test(hash)) throw new InvalidSegmentError(segment, "bad hash suffix");
  return { value: percentDecode(segment.slice(0, tilde)), complete: false };
}

/** Encodes a nullable partition value: null becomes Hive's default-partition name. */
export function encodePartitionValue(value: string | null): string {
  return value === null ? NULL_SEGMENT : encodeSegment(value);
}

export function decodePartitionValue(segment: string): DecodedSegment & { readonly isNull: boolean } {
  if (segment === NULL_SEGMENT) return { value: "", complete: true, isNull: true };
  return { ...decodeSegment(segment), isNull: false };
}
