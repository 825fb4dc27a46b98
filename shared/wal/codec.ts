// Binary form of one WAL record, shared by the local segment files, SQS messages and S3 claim checks.
//
//  off  size  field
//    0     4  magic "SDWL"
//    4     4  CRC-32 (IEEE) of every byte from offset 8 to the end, u32 LE
//    8     1  format version (1)
//    9     1  flags: bit 0 = body is deflateRaw-compressed
//   10     2  reserved, 0
//   12     8  receivedAtNs, int64 LE
//   20     8  sequence, int64 LE
//   28     1  precision (index into PRECISIONS)
//   29     2  database length (UTF-8 bytes), u16 LE
//   31     2  writeId length, u16 LE
//   33     4  body length before compression, u32 LE
//   37     4  stored body length, u32 LE
//   41     …  database, writeId, stored body
import { promisify } from "node:util";
import { deflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";
import type { Precision } from "../lineprotocol/types.ts";
import { crc32 } from "./crc32.ts";
import { WalCorruptError, WalRecordRejectedError } from "./errors.ts";
import type { WalRecord } from "./port.ts";

export const WAL_RECORD_VERSION = 1;
const MAGIC = [0x53, 0x44, 0x57, 0x4c]; // "SDWL"
const HEADER_BYTES = 41;
const FLAG_DEFLATE = 1;
/** Bodies this small are stored raw: compression would not pay for its header. */
const MIN_COMPRESS_BYTES = 128;
const PRECISIONS: readonly Precision[] = ["ns", "us", "ms", "s", "m", "h", "auto"];
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

const deflateRawAsync = promisify(deflateRaw);

export interface EncodeOptions {
  /**
   * Deflate the body (default true). SQS bills per 64 KiB and caps messages at 1 MiB, so records sent there
   * are compressed; the local WAL stores bodies as received, where disk is cheap and deflate would be most
   * of the write path's CPU. Readers accept both: the flags byte says which.
   */
  readonly compress?: boolean;
}

/**
 * An encoded record in two pieces whose concatenation is the record: the header (with database and writeId)
 * and the stored body. Uncompressed, `body` is the record's own body, so writers can hand both to writev
 * without copying the body.
 */
export interface EncodedParts {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  readonly length: number;
}

export function encodeRecord(record: WalRecord, options: EncodeOptions = {}): Uint8Array {
  const header = checkRecord(record);
  if (options.compress === false || record.body.length < MIN_COMPRESS_BYTES)
    return join(assemble(record, header, record.body, 0));
  return join(assemble(record, header, deflateRawSync(record.body, { level: 1 }), FLAG_DEFLATE));
}

/** The same bytes as encodeRecord, compressing on libuv's thread pool so concurrent writers use every core. */
export async function encodeRecordAsync(record: WalRecord, options: EncodeOptions = {}): Promise<Uint8Array> {
  return join(await encodeRecordPartsAsync(record, options));
}

/** encodeRecordAsync's bytes as header and body pieces (see EncodedParts). */
export async function encodeRecordPartsAsync(
  record: WalRecord,
  options: EncodeOptions = {},
): Promise<EncodedParts> {
  const header = checkRecord(record);
  if (options.compress === false || record.body.length < MIN_COMPRESS_BYTES)
    return assemble(record, header, record.body, 0);
  return assemble(record, header, await deflateRawAsync(record.body, { level: 1 }), FLAG_DEFLATE);
}

function join(parts: EncodedParts): Uint8Array {
  const out = new Uint8Array(parts.length);
  out.set(parts.header, 0);
  out.set(parts.body, parts.header.length);
  return out;
}

interface HeaderParts {
  readonly database: Uint8Array;
  readonly writeId: Uint8Array;
  readonly precision: number;
}

function checkRecord(record: WalRecord): HeaderParts {
  const database = utf8.encode(record.database);
  const writeId = utf8.encode(record.writeId);
  if (database.length > 0xffff) throw new WalRecordRejectedError("database name longer than 65535 bytes");
  if (writeId.length > 0xffff) throw new WalRecordRejectedError("writeId longer than 65535 bytes");
  if (record.body.length > 0xffffffff) throw new WalRecordRejectedError("body longer than 4 GiB");
  for (const [name, value] of [
    ["receivedAtNs", record.receivedAtNs],
    ["sequence", record.sequence],
  ] as const)
    if (value < INT64_MIN || value > INT64_MAX)
      throw new WalRecordRejectedError(`${name} ${value} is not an int64`);
  const precision = PRECISIONS.indexOf(record.precision);
  if (precision < 0)
    throw new WalRecordRejectedError(`unknown precision ${JSON.stringify(record.precision)}`);
  return { database, writeId, precision };
}

function assemble(record: WalRecord, parts: HeaderParts, compressed: Uint8Array, flag: number): EncodedParts {
  // Keep the raw body when compression did not shrink it.
  const deflated = flag === FLAG_DEFLATE && compressed.length < record.body.length;
  const stored = deflated ? compressed : record.body;
  const { database, writeId } = parts;
  const header = new Uint8Array(HEADER_BYTES + database.length + writeId.length);
  const view = new DataView(header.buffer);
  header.set(MAGIC, 0);
  header[8] = WAL_RECORD_VERSION;
  header[9] = deflated ? FLAG_DEFLATE : 0;
  view.setBigInt64(12, record.receivedAtNs, true);
  view.setBigInt64(20, record.sequence, true);
  header[28] = parts.precision;
  view.setUint16(29, database.length, true);
  view.setUint16(31, writeId.length, true);
  view.setUint32(33, record.body.length, true);
  view.setUint32(37, stored.length, true);
  header.set(database, HEADER_BYTES);
  header.set(writeId, HEADER_BYTES + database.length);
  // The checksum covers everything after itself: the rest of the header, then the stored body.
  view.setUint32(4, crc32(stored, crc32(header.subarray(8))), true);
  return { header, body: stored, length: header.length + stored.length };
}

export function decodeRecord(bytes: Uint8Array): WalRecord {
  if (bytes.length < HEADER_BYTES)
    throw new WalCorruptError(`${bytes.length} bytes is shorter than a header`);
  for (let i = 0; i < MAGIC.length; i++)
    if (bytes[i] !== MAGIC[i]) throw new WalCorruptError('bad magic (expected "SDWL")');
  const version = bytes[8];
  if (version !== WAL_RECORD_VERSION)
    throw new WalCorruptError(
      `format version ${version} is not supported (this build reads ${WAL_RECORD_VERSION})`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const databaseLength = view.getUint16(29, true);
  const writeIdLength = view.getUint16(31, true);
  const bodyLength = view.getUint32(33, true);
  const storedLength = view.getUint32(37, true);
  const expected = HEADER_BYTES + databaseLength + writeIdLength + storedLength;
  if (bytes.length !== expected)
    throw new WalCorruptError(
      `length ${bytes.length} does not match the ${expected} bytes its header declares`,
    );
  const actualCrc = crc32(bytes.subarray(8));
  const storedCrc = view.getUint32(4, true);
  if (actualCrc !== storedCrc)
    throw new WalCorruptError(`checksum mismatch (stored ${hex(storedCrc)}, computed ${hex(actualCrc)})`);

  const flags = bytes[9] as number;
  const precision = PRECISIONS[bytes[28] as number];
  if (precision === undefined) throw new WalCorruptError(`unknown precision code ${bytes[28]}`);
  let at = HEADER_BYTES;
  const database = text(bytes.subarray(at, at + databaseLength), "database");
  at += databaseLength;
  const writeId = text(bytes.subarray(at, at + writeIdLength), "writeId");
  at += writeIdLength;
  const stored = bytes.subarray(at, at + storedLength);
  let body: Uint8Array;
  if (flags & FLAG_DEFLATE) {
    try {
      body = new Uint8Array(inflateRawSync(stored, { maxOutputLength: Math.max(1, bodyLength) }));
    } catch (cause) {
      throw new WalCorruptError("body does not inflate", { cause });
    }
  } else {
    body = new Uint8Array(stored);
  }
  if (body.length !== bodyLength)
    throw new WalCorruptError(`body is ${body.length} bytes, header says ${bodyLength}`);
  return {
    database,
    writeId,
    receivedAtNs: view.getBigInt64(12, true),
    sequence: view.getBigInt64(20, true),
    precision,
    body,
  };
}

function text(bytes: Uint8Array, what: string): string {
  try {
    return fromUtf8.decode(bytes);
  } catch (cause) {
    throw new WalCorruptError(`${what} is not valid UTF-8`, { cause });
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
