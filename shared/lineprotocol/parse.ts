// InfluxDB line protocol parser: request bytes in, typed points plus one error per bad line out.
// One pass over the bytes with no per-line strings; names are decoded once and then served from a cache,
// because ingest bodies (TSBS, Telegraf) repeat the same measurement, keys and most tag values every line.
import { InvalidParseOptionsError, LineSyntaxError } from "./errors.ts";
import { compareUtf8 } from "./order.ts";
import type {
  FieldType,
  FieldValue,
  LineError,
  ParseOptions,
  ParseResult,
  Point,
  Precision,
} from "./types.ts";

const NL = 10;
const CR = 13;
const TAB = 9;
const SP = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const EQ = 61;
const BSL = 92;

/** InfluxDB 2.x keeps int64's two lowest values and its highest as sentinels, so timestamps stop short. */
export const MIN_TIME_NS = -9_223_372_036_854_775_806n;
export const MAX_TIME_NS = 9_223_372_036_854_775_806n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** InfluxDB's limit on a string field value, in bytes after unescaping. */
export const MAX_STRING_BYTES = 64 * 1024;
const TEXT_LIMIT = 100;

const NS_PER: Record<Exclude<Precision, "auto">, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * Reads a `precision` query parameter. Accepts InfluxDB's 1.x and 2.x/3.x spellings; undefined for
 * anything unknown, and for null or "" too (the caller picks its own default there).
 */
export function parsePrecision(value: string | null | undefined): Precision | undefined {
  switch (value) {
    case "ns":
    case "n":
      return "ns";
    case "us":
    case "u":
    case "\u00b5": // MICRO SIGN
    case "\u03bc": // GREEK SMALL LETTER MU, which some clients send instead
      return "us";
    case "ms":
    case "s":
    case "m":
    case "h":
    case "auto":
      return value;
    default:
      return undefined;
  }
}

/**
 * The precision InfluxDB 3 infers for `precision=auto`: the smallest unit that puts the value within
 * about 5 × 10^9 seconds of the epoch (so it breaks in 2128), judged on the absolute value.
 */
export function guessPrecision(raw: bigint): Exclude<Precision, "auto" | "m" | "h"> {
  const abs = raw < 0n ? -raw : raw;
  if (abs < 5_000_000_000n) return "s";
  if (abs < 5_000_000_000_000n) return "ms";
  if (abs < 5_000_000_000_000_000n) return "us";
  return "ns";
}

/** Parses a whole body. Bad lines become `errors` and never stop the lines after them. */
export function parseLineProtocol(body: Uint8Array, options: ParseOptions): ParseResult {
  if (options.precision !== "auto" && NS_PER[options.precision] === undefined) {
    throw new InvalidParseOptionsError(
      `unknown precision ${JSON.stringify(options.precision)}: use ns, us, ms, s, m, h or auto`,
    );
  }
  return new Parser(body, options).run();
}

// Byte classes for the name scanner. Class 0 is every byte that cannot end or escape a name: the hot path.
const C_COMMA = 1;
const C_EQ = 2;
const C_SPACE = 3;
const C_BSL = 4;
const C_NL = 5;
const C_CR = 6;
const NAME_CLASS = new Uint8Array(256);
NAME_CLASS[COMMA] = C_COMMA;
NAME_CLASS[EQ] = C_EQ;
NAME_CLASS[SP] = C_SPACE;
NAME_CLASS[BSL] = C_BSL;
NAME_CLASS[NL] = C_NL;
NAME_CLASS[CR] = C_CR;

/** Bytes that can end or escape a series key; 0 for the rest. */
const KEY_CLASS = new Uint8Array(256);
KEY_CLASS[SP] = 1;
KEY_CLASS[NL] = 1;
KEY_CLASS[CR] = 1;
KEY_CLASS[BSL] = 1;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** Exact powers of ten: a float with ≤ 15 digits and |exponent| ≤ 22 is one correctly rounded * or /. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Small integers repeat in metrics (TSBS uses 0..100); sharing their bigints saves an allocation each. */
const SMALL_BIGINTS = Array.from({ length: 1024 }, (_, i) => BigInt(i));

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Lossy = new TextDecoder("utf-8", { ignoreBOM: true });
const C1_CONTROL = /[\u0080-\u009f]/;

interface CacheEntry<T> {
  readonly hash: number;
  /** Where the bytes were first seen in the body: the cache lives as long as its body, so no copy. */
  readonly start: number;
  readonly length: number;
  readonly value: T;
}

/**
 * Raw bytes of one body → what they decode to, decoded and validated once. Open addressing on a hash the
 * caller computes while scanning; a hit is confirmed by comparing bytes, so a collision costs time, never
 * correctness. Bounded, so a body of unique values only loses the speed-up.
 */
class BytesCache<T> {
  private static readonly SLOTS = 8192;
  private static readonly MAX_ENTRIES = 6144;
  private readonly entries: (CacheEntry<T> | undefined)[] = new Array(BytesCache.SLOTS);
  private count = 0;
  private readonly body: Uint8Array;
  private readonly view: DataView;

  constructor(body: Uint8Array, view: DataView) {
    this.body = body;
    this.view = view;
  }

  get(start: number, end: number, hash: number): T | undefined {
    const len = end - start;
    let slot = hash & (BytesCache.SLOTS - 1);
    for (;;) {
      const e = this.entries[slot];
      if (e === undefined) return undefined;
      if (e.hash === hash && e.length === len && this.equal(e.start, start, len)) return e.value;
      slot = (slot + 1) & (BytesCache.SLOTS - 1);
    }
  }

  put(start: number, end: number, hash: number, value: T): void {
    if (this.count >= BytesCache.MAX_ENTRIES) return;
    let slot = hash & (BytesCache.SLOTS - 1);
    while (this.entries[slot] !== undefined) slot = (slot + 1) & (BytesCache.SLOTS - 1);
    this.entries[slot] = { hash, start, length: end - start, value };
    this.count++;
  }

  /** Whether the body holds the same `len` bytes at `a` and `b`, compared four at a time. */
  private equal(a: number, b: number, len: number): boolean {
    const v = this.view;
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      if (v.getUint32(a + i) !== v.getUint32(b + i)) return false;
    }
    const body = this.body;
    for (; i < len; i++) {
      if (body[a + i] !== body[b + i]) return false;
    }
    return true;
  }
}

/**
 * A 32-bit hash of body bytes [start, end), four bytes per step (MurmurHash3's mixing): series keys are
 * long, and a byte-at-a-time hash is one long chain of dependent multiplies.
 */
function hashRange(view: DataView, body: Uint8Array, start: number, end: number): number {
  let h = end - start;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = Math.imul(view.getUint32(i, true), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; i < end; i++, shift += 8) k |= (body[i] as number) << shift;
  k = Math.imul(k, 0xcc9e2d51);
  h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The measurement and tag set of a line, resolved once per distinct series key in the body. */
interface Series {
  readonly measurement: string;
  readonly tagKeys: readonly string[];
  readonly tagValues: readonly string[];
}

type NameKind = "measurement" | "tag key" | "tag value" | "field key";

class Parser {
  private readonly body: Uint8Array;
  private readonly buf: Buffer;
  private readonly n: number;
  private readonly precision: Precision;
  private readonly defaultTime: bigint;
  private readonly points: Point[] = [];
  private readonly errors: LineError[] = [];
  // The measurement escapes a different set than the other names, so the same bytes can decode differently.
  private readonly measurements: BytesCache<string>;
  private readonly names: BytesCache<string>;
  /** Whole series keys (measurement and tags, raw bytes): a hit skips tag decoding and sorting. */
  private readonly series: BytesCache<Series>;
  private readonly view: DataView;

  // Results of the last scanName, kept in fields so the hot loop allocates nothing.
  private tokHash = 0;
  private tokEscaped = false;
  /** Where the last field key read by fieldKeyAt ended. */
  private tokEnd = 0;
  /** Newlines met inside quoted string values of the current line: they shift later line numbers. */
  private newlinesInStrings = 0;

  // Scratch for the line being parsed.
  private rawTagKeys: string[] = [];
  private rawTagValues: string[] = [];
  private rawTagOffsets: number[] = [];
  private rawFieldKeys: string[] = [];
  private rawFieldTypes: FieldType[] = [];
  /**
   * Float values of the line, in an array that only ever holds numbers and never has holes, so V8 keeps
   * it as unboxed doubles and `slice` copies it into an exactly sized double array for the point.
   */
  private rawFieldNumbers: number[] = [];
  /** Every value of the line, floats included, once a non-float shows up in it. */
  private rawFieldValues: FieldValue[] = [];
  /**
   * Field keys by position as last seen: the body offset and length of the raw key bytes, and the key.
   * Lines nearly always repeat the previous line's keys, so comparing a few bytes replaces hashing the key
   * and looking it up.
   */
  private lastKeyStart: number[] = [];
  private lastKeyLen: number[] = [];
  private lastKey: string[] = [];
  private rawFieldOffsets: number[] = [];
  private fieldType: FieldType = "float";
  /** The value of the field just parsed: a float in fieldNumber, any other type in fieldValue. */
  private fieldNumber = 0;
  private fieldValue: bigint | string | boolean = false;

  // The previous line's key layout: consecutive lines nearly always share it, so sorting, duplicate
  // checks and the key/type arrays are done once and shared.
  private prevTagKeys: string[] = [];
  private prevTagOrder: number[] = [];
  private prevSortedTagKeys: readonly string[] = [];
  private prevFieldKeys: string[] = [];
  private prevFieldSlots: number[] = [];
  /** prevFieldSlots maps every field to its own index: no repeated key and no "time". */
  private prevFieldSlotsIdentity = true;
  private prevOutFieldKeys: readonly string[] = [];
  private prevOutFieldTypes: readonly FieldType[] = [];
  // The previous timestamp token and its value: TSBS writes every host at the same instant.
  private prevTsStart = -1;
  private prevTsEnd = -1;
  private prevTs = 0n;

  constructor(body: Uint8Array, options: ParseOptions) {
    this.body = body;
    this.buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.measurements = new BytesCache(body, this.view);
    this.names = new BytesCache(body, this.view);
    this.series = new BytesCache(body, this.view);
    this.n = body.length;
    this.precision = options.precision;
    this.defaultTime = options.defaultTime;
  }

  run(): ParseResult {
    const b = this.body;
    const n = this.n;
    let pos = 0;
    let line = 1;
    while (pos < n) {
      let i = pos;
      while (i < n && (b[i] === SP || b[i] === TAB)) i++;
      const c = b[i];
      if (i >= n) break;
      if (c === NL || (c === CR && (i + 1 >= n || b[i + 1] === NL))) {
        pos = c === NL ? i + 1 : i + 2;
        line++;
        continue;
      }
      if (c === HASH) {
        while (i < n && b[i] !== NL) i++;
        pos = i + 1;
        line++;
        continue;
      }
      this.newlinesInStrings = 0;
      let end: number;
      try {
        end = this.parseLine(pos, i, line);
      } catch (err) {
        if (!(err instanceof LineSyntaxError)) throw err;
        this.newlinesInStrings = 0;
        end = this.findLineEnd(i);
        const textEnd = end > pos && b[end - 1] === CR ? end - 1 : end;
        this.errors.push({
          line,
          column: err.offset - pos + 1,
          text: displayText(b.subarray(pos, textEnd)),
          message: err.message,
        });
      }
      pos = end + 1;
      line += 1 + this.newlinesInStrings;
    }
    return { points: this.points, errors: this.errors };
  }

  /** True at the end of a line: `\n`, `\r\n`, or the end of the body. */
  private isEol(i: number): boolean {
    if (i >= this.n) return true;
    const c = this.body[i];
    return c === NL || (c === CR && (i + 1 >= this.n || this.body[i + 1] === NL));
  }

  /**
   * Parses the line starting at `lineStart` (first non-blank byte at `i`), pushes its point and returns
   * the offset of its terminating `\n` (or the body length).
   */
  private parseLine(lineStart: number, i: number, line: number): number {
    const b = this.body;
    const n = this.n;

    // Measurement and tag set: whole series keys repeat across lines, so resolve each distinct one once.
    let end = this.scanSeriesKey(i);
    let series = this.series.get(i, end, this.tokHash);
    if (series === undefined) {
      const hash = this.tokHash;
      series = this.parseSeries(i, end);
      this.series.put(i, end, hash, series);
    }
    const measurement = series.measurement;

    // At least one space, then the field set.
    if (end >= n || b[end] !== SP) {
      throw new LineSyntaxError(
        end,
        `missing field set: expected a space and field=value after ${q(measurement)}`,
      );
    }
    while (end < n && b[end] === SP) end++;
    if (this.isEol(end)) {
      throw new LineSyntaxError(end, `missing field set: expected field=value after ${q(measurement)}`);
    }
    let nFields = 0;
    let allFloats = true;
    const numbers = this.rawFieldNumbers;
    const values = this.rawFieldValues;
    for (;;) {
      const keyStart = end;
      const key = this.fieldKeyAt(keyStart, nFields);
      const keyEnd = this.tokEnd;
      end = this.fieldValueAt(keyEnd + 1, key);
      this.rawFieldKeys[nFields] = key;
      this.rawFieldTypes[nFields] = this.fieldType;
      // Both arrays are written in order from index 0, so they never get holes.
      if (this.fieldType === "float") {
        numbers[nFields] = this.fieldNumber;
        if (!allFloats) values[nFields] = this.fieldNumber;
      } else {
        if (allFloats) {
          allFloats = false;
          for (let k = 0; k < nFields; k++) values[k] = numbers[k] as number;
        }
        numbers[nFields] = 0;
        values[nFields] = this.fieldValue;
      }
      this.rawFieldOffsets[nFields] = keyStart;
      nFields++;
      if (end < n && b[end] === COMMA) {
        end++;
        continue;
      }
      break;
    }

    // Optional timestamp, then only trailing blanks.
    let time = this.defaultTime;
    if (!this.isEol(end)) {
      if (b[end] !== SP)
        throw new LineSyntaxError(end, `unexpected ${describeByte(b[end])} after the field set`);
      while (end < n && b[end] === SP) end++;
      if (!this.isEol(end)) {
        const tsStart = end;
        while (end < n && b[end] !== SP && b[end] !== TAB && !this.isEol(end)) end++;
        time = this.timestamp(tsStart, end);
        while (end < n && (b[end] === SP || b[end] === TAB)) end++;
        if (!this.isEol(end)) {
          throw new LineSyntaxError(end, `unexpected ${describeByte(b[end])} after the timestamp`);
        }
      }
    }
    // Fields deduplicated: the last value wins, the key keeps its first position.
    const slots = this.fieldLayout(nFields);
    const fieldKeys = this.prevOutFieldKeys;
    let fieldTypes = this.prevOutFieldTypes;
    let typesMatch = true;
    const types = this.rawFieldTypes;
    // When every field lands in its own slot (the usual case) the values are one slice of a scratch array:
    // exactly sized, and all-float values stay unboxed doubles.
    let fieldValues: FieldValue[];
    if (this.prevFieldSlotsIdentity) {
      fieldValues = allFloats ? numbers.slice(0, nFields) : values.slice(0, nFields);
      for (let k = 0; k < nFields; k++) {
        if (fieldTypes[k] !== types[k]) typesMatch = false;
      }
    } else {
      fieldValues = new Array<FieldValue>(fieldKeys.length);
      for (let k = 0; k < nFields; k++) {
        const slot = slots[k] as number;
        if (slot < 0) continue;
        const type = types[k];
        fieldValues[slot] = allFloats ? (numbers[k] as number) : (values[k] as FieldValue);
        if (fieldTypes[slot] !== type) typesMatch = false;
      }
    }
    if (!typesMatch) {
      const types = new Array<FieldType>(fieldKeys.length);
      for (let k = 0; k < nFields; k++) {
        const slot = slots[k] as number;
        if (slot >= 0) types[slot] = this.rawFieldTypes[k] as FieldType;
      }
      fieldTypes = types;
      this.prevOutFieldTypes = types;
    }

    this.points.push({
      measurement,
      tagKeys: series.tagKeys,
      tagValues: series.tagValues,
      fieldKeys,
      fieldTypes,
      fieldValues,
      time,
      line,
      lineStart,
      lineEnd: end,
    });
    // `end` is at the terminator: step over the CR of a CR LF so the caller lands after the LF.
    return end < n && b[end] === CR ? end + 1 : end;
  }

  /**
   * The first unescaped space or line end from `start`: where the series key ends. Leaves the hash of
   * the key's bytes in tokHash. Escape pairs are stepped over as a unit so that `\\ ` ends the key and `\ ` does not.
   */
  private scanSeriesKey(start: number): number {
    const b = this.body;
    const n = this.n;
    let i = start;
    while (i < n) {
      const c = b[i] as number;
      if (KEY_CLASS[c] === 0) {
        i++;
        continue;
      }
      if (c === SP || c === NL) break;
      if (c === BSL && i + 1 < n) {
        const next = b[i + 1] as number;
        if (next === SP || next === COMMA || next === EQ || next === BSL) {
          i += 2;
          continue;
        }
      } else if (c === CR && (i + 1 >= n || b[i + 1] === NL)) {
        break;
      }
      i++;
    }
    this.tokHash = hashRange(this.view, b, start, i);
    return i;
  }

  /** Decodes and validates a series key the slow way; `keyEnd` is where scanSeriesKey stopped. */
  private parseSeries(i: number, keyEnd: number): Series {
    const b = this.body;
    const n = this.n;
    let end = this.scanName(i, false);
    if (end === i) throw new LineSyntaxError(i, "missing measurement name");
    const measurement = this.name(this.measurements, i, end, "measurement");

    // Tag set.
    let nTags = 0;
    while (end < n && b[end] === COMMA) {
      const keyStart = end + 1;
      const keyEnd = this.scanName(keyStart, true);
      if (keyEnd === keyStart) throw new LineSyntaxError(keyStart, "missing tag key after ','");
      if (keyEnd >= n || b[keyEnd] !== EQ) {
        const key = this.name(this.names, keyStart, keyEnd, "tag key");
        throw new LineSyntaxError(keyEnd, `missing tag value for tag ${q(key)}: expected '=' after the key`);
      }
      const key = this.name(this.names, keyStart, keyEnd, "tag key");
      const valueStart = keyEnd + 1;
      const valueEnd = this.scanName(valueStart, true);
      if (valueEnd === valueStart) {
        throw new LineSyntaxError(
          valueStart,
          `missing tag value for tag ${q(key)}: empty tag values are not allowed`,
        );
      }
      if (valueEnd < n && b[valueEnd] === EQ) {
        throw new LineSyntaxError(
          valueEnd,
          `invalid tag value for tag ${q(key)}: unescaped '=' (write it as \\= inside a tag value)`,
        );
      }
      this.rawTagKeys[nTags] = key;
      this.rawTagValues[nTags] = this.name(this.names, valueStart, valueEnd, "tag value");
      this.rawTagOffsets[nTags] = keyStart;
      nTags++;
      end = valueEnd;
    }
    if (end !== keyEnd) {
      throw new LineSyntaxError(
        end,
        `unexpected ${describeByte(b[end])} after the tag set of ${q(measurement)}`,
      );
    }
    const tagKeys = this.tagLayout(nTags);
    const order = this.prevTagOrder;
    const tagValues = new Array<string>(nTags);
    for (let k = 0; k < nTags; k++) tagValues[k] = this.rawTagValues[order[k] as number] as string;
    return { measurement, tagKeys, tagValues };
  }

  /**
   * The field key at `start`, the `k`th of its line; leaves the offset of its `=` in tokEnd. Tries the
   * key last seen at this position first: the same raw bytes followed by `=` decode to the same key.
   */
  private fieldKeyAt(start: number, k: number): string {
    const b = this.body;
    const n = this.n;
    const len = k < this.lastKeyLen.length ? (this.lastKeyLen[k] as number) : -1;
    if (len > 0 && start + len < n && b[start + len] === EQ) {
      const prev = this.lastKeyStart[k] as number;
      let i = 0;
      while (i < len && b[start + i] === b[prev + i]) i++;
      if (i === len) {
        this.lastKeyStart[k] = start;
        this.tokEnd = start + len;
        return this.lastKey[k] as string;
      }
    }
    const end = this.scanName(start, true);
    if (end === start) throw new LineSyntaxError(start, "missing field key: expected field=value");
    const key = this.name(this.names, start, end, "field key");
    if (end >= n || b[end] !== EQ) {
      throw new LineSyntaxError(end, `missing field value for field ${q(key)}: expected '=' after the key`);
    }
    // Positions fill in order, so these arrays never get holes.
    this.lastKeyStart[k] = start;
    this.lastKeyLen[k] = end - start;
    this.lastKey[k] = key;
    this.tokEnd = end;
    return key;
  }

  /**
   * Scans a name from `start` to its first unescaped delimiter: `,`, space or end of line, and `=` unless
   * it is a measurement (where `=` is an ordinary byte). Hashes the raw bytes on the way for the cache.
   */
  private scanName(start: number, equalsEnds: boolean): number {
    const b = this.body;
    const n = this.n;
    let h = FNV_OFFSET;
    let escaped = false;
    let i = start;
    while (i < n) {
      const c = b[i] as number;
      const cls = NAME_CLASS[c];
      if (cls === 0) {
        h = Math.imul(h ^ c, FNV_PRIME);
        i++;
        continue;
      }
      if (cls === C_BSL) {
        const next = i + 1 < n ? (b[i + 1] as number) : -1;
        if (next === COMMA || next === SP || next === BSL || (equalsEnds && next === EQ)) {
          h = Math.imul(Math.imul(h ^ c, FNV_PRIME) ^ next, FNV_PRIME);
          escaped = true;
          i += 2;
          continue;
        }
      } else if (cls === C_EQ) {
        if (equalsEnds) break;
      } else if (cls === C_CR) {
        // A lone CR is an ordinary (control) byte; CR LF ends the line.
        if (i + 1 >= n || b[i + 1] === NL) break;
      } else {
        break;
      }
      h = Math.imul(h ^ c, FNV_PRIME);
      i++;
    }
    this.tokHash = h;
    this.tokEscaped = escaped;
    return i;
  }

  /** The decoded name for the bytes just scanned, from the cache or decoded and validated once. */
  private name(cache: BytesCache<string>, start: number, end: number, kind: NameKind): string {
    const hit = cache.get(start, end, this.tokHash);
    if (hit !== undefined) return hit;
    const hash = this.tokHash;
    const str = this.decodeName(start, end, kind);
    cache.put(start, end, hash, str);
    return str;
  }

  private decodeName(start: number, end: number, kind: NameKind): string {
    let bytes = this.body.subarray(start, end);
    // Byte offsets in `bytes` map back to the body through `offsets` once escapes are removed.
    let offsets: number[] | undefined;
    if (this.tokEscaped) {
      const out = new Uint8Array(end - start);
      offsets = [];
      let o = 0;
      for (let i = start; i < end; i++) {
        const c = this.body[i] as number;
        if (c === BSL && i + 1 < end) {
          const next = this.body[i + 1] as number;
          if (next === COMMA || next === SP || next === BSL || (next === EQ && kind !== "measurement")) {
            offsets.push(i);
            out[o++] = next;
            i++;
            continue;
          }
        }
        offsets.push(i);
        out[o++] = c;
      }
      bytes = out.subarray(0, o);
    }
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i] as number;
      if (c < 0x20 || c === 0x7f) {
        const at = offsets ? (offsets[i] as number) : start + i;
        throw new LineSyntaxError(
          at,
          `invalid ${kind}: control character ${describeByte(c)} is not allowed in names`,
        );
      }
      if (c >= 0x80) ascii = false;
    }
    if (ascii) {
      return offsets
        ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1")
        : this.latin1(start, end);
    }
    let str: string;
    try {
      str = utf8.decode(bytes);
    } catch {
      throw new LineSyntaxError(start, `invalid ${kind}: not valid UTF-8`);
    }
    if (C1_CONTROL.test(str)) {
      throw new LineSyntaxError(
        start,
        `invalid ${kind} ${q(str)}: control characters are not allowed in names`,
      );
    }
    return str;
  }

  private latin1(start: number, end: number): string {
    return this.buf.toString("latin1", start, end);
  }

  /** Parses a field value at `start`; sets fieldType/fieldValue and returns the offset after it. */
  private fieldValueAt(start: number, key: string): number {
    const c = this.body[start];
    if (c === QUOTE) return this.stringValue(start, key);
    if (c === MINUS || c === DOT || (c !== undefined && c >= 48 && c <= 57))
      return this.numberValue(start, key);
    if (c === 116 || c === 84 || c === 102 || c === 70) return this.booleanValue(start, key);
    if (this.isEol(start) || c === COMMA || c === SP) {
      throw new LineSyntaxError(start, `missing field value for field ${q(key)}`);
    }
    const end = this.valueEnd(start);
    throw new LineSyntaxError(
      start,
      `invalid field value ${q(this.text(start, end))} for field ${q(key)}: expected a number, a quoted string or a boolean`,
    );
  }

  /** End of an unquoted value: the next `,`, space or line end. */
  private valueEnd(start: number): number {
    const b = this.body;
    let i = start;
    while (i < this.n && b[i] !== COMMA && b[i] !== SP && !this.isEol(i)) i++;
    return i;
  }

  private numberValue(start: number, key: string): number {
    const b = this.body;
    let i = start;
    const negative = b[i] === MINUS;
    if (negative) i++;
    const intStart = i;
    let mantissa = 0;
    let c = b[i];
    while (c !== undefined && c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      c = b[++i];
    }
    const intDigits = i - intStart;

    if (c === 105 /* i */ || c === 117 /* u */) {
      const end = i + 1;
      const integer = c === 105;
      const what = integer ? "integer" : "unsigned";
      if (intDigits === 0 || !this.endsValue(end)) {
        throw new LineSyntaxError(
          start,
          `invalid ${what} value ${q(this.text(start, this.valueEnd(start)))} for field ${q(key)}: expected ${integer ? "[-]digits followed by i" : "digits followed by u"}`,
        );
      }
      if (!integer && negative) {
        throw new LineSyntaxError(
          start,
          `invalid unsigned value ${q(this.text(start, end))} for field ${q(key)}: unsigned values cannot be negative`,
        );
      }
      let value: bigint;
      if (intDigits <= 15) {
        value = negative
          ? BigInt(-mantissa)
          : mantissa < 1024
            ? (SMALL_BIGINTS[mantissa] as bigint)
            : BigInt(mantissa);
      } else {
        value = BigInt(this.latin1(intStart, i));
        if (negative) value = -value;
        if (integer ? value < INT64_MIN || value > INT64_MAX : value > UINT64_MAX) {
          throw new LineSyntaxError(
            start,
            `invalid ${what} value ${q(this.text(start, end))} for field ${q(key)}: out of ${integer ? "int64" : "uint64"} range`,
          );
        }
      }
      this.fieldType = integer ? "integer" : "unsigned";
      this.fieldValue = value;
      return end;
    }

    // Float: digits[.digits][e[+-]digits], or .digits[...]; unsuffixed integers are floats too.
    let fracDigits = 0;
    if (c === DOT) {
      c = b[++i];
      while (c !== undefined && c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        fracDigits++;
        c = b[++i];
      }
    }
    let exponent = 0;
    let valid = intDigits + fracDigits > 0;
    if (valid && (c === 101 || c === 69)) {
      c = b[++i];
      const expNegative = c === MINUS;
      if (c === MINUS || c === 43 /* + */) c = b[++i];
      const expStart = i;
      while (c !== undefined && c >= 48 && c <= 57) {
        if (exponent < 100_000) exponent = exponent * 10 + (c - 48);
        c = b[++i];
      }
      if (i === expStart) valid = false;
      if (expNegative) exponent = -exponent;
    }
    if (!valid || !this.endsValue(i)) {
      throw new LineSyntaxError(
        start,
        `invalid float value ${q(this.text(start, this.valueEnd(start)))} for field ${q(key)}: expected [-]digits[.digits][e[+-]digits], or a suffix i (integer) or u (unsigned)`,
      );
    }
    let value: number;
    const scale = exponent - fracDigits;
    if (intDigits + fracDigits <= 15 && scale >= -22 && scale <= 22) {
      value =
        scale === 0
          ? mantissa
          : scale < 0
            ? mantissa / (POW10[-scale] as number)
            : mantissa * (POW10[scale] as number);
      if (negative) value = -value;
    } else {
      value = Number(this.latin1(start, i));
      if (!Number.isFinite(value)) {
        throw new LineSyntaxError(
          start,
          `invalid float value ${q(this.text(start, i))} for field ${q(key)}: out of float64 range`,
        );
      }
    }
    this.fieldType = "float";
    this.fieldNumber = value;
    return i;
  }

  /** Whether a value may end at `i`: before `,`, a space or the line end. */
  private endsValue(i: number): boolean {
    const c = this.body[i];
    return c === COMMA || c === SP || this.isEol(i);
  }

  private booleanValue(start: number, key: string): number {
    const end = this.valueEnd(start);
    const token = this.latin1(start, end);
    switch (token) {
      case "t":
      case "T":
      case "true":
      case "True":
      case "TRUE":
        this.fieldValue = true;
        break;
      case "f":
      case "F":
      case "false":
      case "False":
      case "FALSE":
        this.fieldValue = false;
        break;
      default:
        throw new LineSyntaxError(
          start,
          `invalid boolean value ${q(this.text(start, end))} for field ${q(key)}: expected t, T, true, True, TRUE, f, F, false, False or FALSE`,
        );
    }
    this.fieldType = "boolean";
    return end;
  }

  /** A double-quoted string value: `\"` and `\\` are escapes, any other backslash is literal. */
  private stringValue(start: number, key: string): number {
    const b = this.body;
    const n = this.n;
    let i = start + 1;
    let escaped = false;
    let ascii = true;
    let newlines = 0;
    for (;;) {
      if (i >= n) {
        throw new LineSyntaxError(
          start,
          `unterminated string value for field ${q(key)}: missing closing '"'`,
        );
      }
      const c = b[i] as number;
      if (c === QUOTE) break;
      if (c === BSL) {
        const next = b[i + 1];
        if (next === QUOTE || next === BSL) {
          escaped = true;
          i += 2;
          continue;
        }
      } else if (c === NL) {
        newlines++;
      } else if (c >= 0x80) {
        ascii = false;
      }
      i++;
    }
    const close = i;
    this.newlinesInStrings += newlines;
    let bytes = b.subarray(start + 1, close);
    if (escaped) {
      const out = new Uint8Array(bytes.length);
      let o = 0;
      for (let k = 0; k < bytes.length; k++) {
        const c = bytes[k] as number;
        if (c === BSL && k + 1 < bytes.length) {
          const next = bytes[k + 1] as number;
          if (next === QUOTE || next === BSL) {
            out[o++] = next;
            k++;
            continue;
          }
        }
        out[o++] = c;
      }
      bytes = out.subarray(0, o);
    }
    if (bytes.length > MAX_STRING_BYTES) {
      throw new LineSyntaxError(
        start,
        `string value for field ${q(key)} is too long: ${bytes.length} bytes, the limit is ${MAX_STRING_BYTES}`,
      );
    }
    let value: string;
    if (ascii && !escaped) {
      value = this.latin1(start + 1, close);
    } else {
      try {
        value = utf8.decode(bytes);
      } catch {
        throw new LineSyntaxError(start, `invalid string value for field ${q(key)}: not valid UTF-8`);
      }
    }
    if (!this.endsValue(close + 1)) {
      throw new LineSyntaxError(
        close + 1,
        `unexpected ${describeByte(b[close + 1])} after the string value of field ${q(key)}: expected ',', a space or the end of the line`,
      );
    }
    this.fieldType = "string";
    this.fieldValue = value;
    return close + 1;
  }

  private timestamp(start: number, end: number): bigint {
    const b = this.body;
    // Same bytes as the previous line's timestamp: same value (the precision has not changed).
    const prevLen = this.prevTsEnd - this.prevTsStart;
    if (prevLen === end - start) {
      let k = 0;
      while (k < prevLen && b[start + k] === b[this.prevTsStart + k]) k++;
      if (k === prevLen) {
        this.prevTsStart = start;
        this.prevTsEnd = end;
        return this.prevTs;
      }
    }
    const negative = b[start] === MINUS;
    const digitsStart = negative ? start + 1 : start;
    const digits = end - digitsStart;
    let ok = digits > 0;
    for (let i = digitsStart; ok && i < end; i++) {
      const c = b[i] as number;
      if (c < 48 || c > 57) ok = false;
    }
    if (!ok) {
      throw new LineSyntaxError(start, `invalid timestamp ${q(this.text(start, end))}: expected an integer`);
    }
    if (digits > 19) {
      throw new LineSyntaxError(start, `invalid timestamp ${q(this.text(start, end))}: out of int64 range`);
    }
    let raw: bigint;
    if (digits <= 15) {
      let v = 0;
      for (let i = digitsStart; i < end; i++) v = v * 10 + ((b[i] as number) - 48);
      raw = BigInt(negative ? -v : v);
    } else {
      // Split so both halves stay exact in a double: high digits × 10^9 + the low nine.
      let hi = 0;
      let lo = 0;
      const split = end - 9;
      for (let i = digitsStart; i < split; i++) hi = hi * 10 + ((b[i] as number) - 48);
      for (let i = split; i < end; i++) lo = lo * 10 + ((b[i] as number) - 48);
      raw = BigInt(hi) * 1_000_000_000n + BigInt(lo);
      if (negative) raw = -raw;
    }
    const precision = this.precision === "auto" ? guessPrecision(raw) : this.precision;
    const ns = raw * NS_PER[precision];
    if (ns < MIN_TIME_NS || ns > MAX_TIME_NS) {
      throw new LineSyntaxError(
        start,
        `invalid timestamp ${q(this.text(start, end))}: out of range at precision ${precision}; it must be between ${MIN_TIME_NS} and ${MAX_TIME_NS} in nanoseconds`,
      );
    }
    this.prevTsStart = start;
    this.prevTsEnd = end;
    this.prevTs = ns;
    return ns;
  }

  /**
   * The sorted tag keys of the line just scanned; leaves the raw index of each sorted position in
   * prevTagOrder. Recomputed (with the duplicate and reserved-key checks) only when the keys change.
   */
  private tagLayout(nTags: number): readonly string[] {
    const raw = this.rawTagKeys;
    const prev = this.prevTagKeys;
    if (prev.length === nTags) {
      let k = 0;
      while (k < nTags && raw[k] === prev[k]) k++;
      if (k === nTags) return this.prevSortedTagKeys;
    }
    const order = Array.from({ length: nTags }, (_, k) => k);
    // Stable, so of two equal keys the later one comes second and is the one reported.
    order.sort((x, y) => compareUtf8(raw[x] as string, raw[y] as string) || x - y);
    const sorted = new Array<string>(nTags);
    for (let k = 0; k < nTags; k++) {
      const key = raw[order[k] as number] as string;
      if (key === "time") {
        throw new LineSyntaxError(
          this.rawTagOffsets[order[k] as number] as number,
          `invalid tag key "time": it is reserved for the timestamp (InfluxDB 2.x rejects such points too)`,
        );
      }
      if (k > 0 && key === sorted[k - 1]) {
        throw new LineSyntaxError(
          this.rawTagOffsets[order[k] as number] as number,
          `duplicate tag key ${q(key)}`,
        );
      }
      sorted[k] = key;
    }
    this.prevTagKeys = raw.slice(0, nTags);
    this.prevTagOrder = order;
    this.prevSortedTagKeys = sorted;
    return sorted;
  }

  /**
   * Maps each raw field to its output slot (-1: dropped). A repeated key keeps its first slot and its
   * last value; a field named "time" is dropped, as InfluxDB 2.x drops it, and a line left with no field
   * is rejected. Recomputed only when the keys change.
   */
  private fieldLayout(nFields: number): number[] {
    const raw = this.rawFieldKeys;
    const prev = this.prevFieldKeys;
    if (prev.length === nFields) {
      let k = 0;
      while (k < nFields && raw[k] === prev[k]) k++;
      if (k === nFields) return this.prevFieldSlots;
    }
    const slots = new Array<number>(nFields);
    const keys: string[] = [];
    const firstSlot = new Map<string, number>();
    for (let k = 0; k < nFields; k++) {
      const key = raw[k] as string;
      if (key === "time") {
        slots[k] = -1;
        continue;
      }
      const seen = firstSlot.get(key);
      if (seen !== undefined) {
        slots[k] = seen;
      } else {
        slots[k] = keys.length;
        firstSlot.set(key, keys.length);
        keys.push(key);
      }
    }
    if (keys.length === 0) {
      throw new LineSyntaxError(
        this.rawFieldOffsets[0] as number,
        `invalid field key "time": it is reserved for the timestamp, and the line has no other field`,
      );
    }
    this.prevFieldKeys = raw.slice(0, nFields);
    this.prevFieldSlots = slots;
    this.prevFieldSlotsIdentity = keys.length === nFields;
    this.prevOutFieldKeys = keys;
    this.prevOutFieldTypes = [];
    return slots;
  }

  /**
   * Where a bad line ends, found again from its first byte: the first newline that is not inside a
   * quoted field value. Quotes only open right after an unescaped `=` in the field set, as in parseLine.
   */
  private findLineEnd(start: number): number {
    const b = this.body;
    const n = this.n;
    let section = 0; // 0: measurement and tags, 1: fields, 2: timestamp
    let i = start;
    while (i < n) {
      const c = b[i];
      if (c === NL) return i;
      if (c === BSL && i + 1 < n && b[i + 1] !== NL) {
        i += 2;
        continue;
      }
      if (c === SP && section < 2) {
        section++;
        while (i + 1 < n && b[i + 1] === SP) i++;
      } else if (section === 1 && c === EQ && b[i + 1] === QUOTE) {
        i += 2;
        while (i < n && b[i] !== QUOTE) {
          if (b[i] === BSL && (b[i + 1] === QUOTE || b[i + 1] === BSL)) i++;
          else if (b[i] === NL) this.newlinesInStrings++;
          i++;
        }
      }
      i++;
    }
    return n;
  }

  /** Bytes of the body for an error message, decoded leniently and shortened. */
  private text(start: number, end: number): string {
    return displayText(this.body.subarray(start, end));
  }
}

function displayText(bytes: Uint8Array): string {
  const text = utf8Lossy.decode(bytes.length > TEXT_LIMIT * 4 ? bytes.subarray(0, TEXT_LIMIT * 4) : bytes);
  if (text.length <= TEXT_LIMIT) return text;
  // Do not cut a surrogate pair in half.
  const cut = (text.charCodeAt(TEXT_LIMIT - 1) & 0xfc00) === 0xd800 ? TEXT_LIMIT - 1 : TEXT_LIMIT;
  return `${text.slice(0, cut)}…`;
}

/** Quotes a name or value for a message; control characters show as \u escapes, never raw. */
function q(s: string): string {
  return JSON.stringify(s.length > TEXT_LIMIT ? `${s.slice(0, TEXT_LIMIT)}…` : s).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function describeByte(c: number | undefined): string {
  if (c === undefined) return "end of input";
  if (c >= 0x21 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, "0")}`;
}
