// CRC-32 (IEEE, as zlib and PNG compute it). Node 22 has zlib.crc32; Node 20 does not, so a table fallback.
import * as zlib from "node:zlib";

const TABLE = (() => {
  const table = new Int32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  // Slicing-by-4 tables: four bytes per step.
  for (let n = 0; n < 256; n++) {
    let c = table[n] as number;
    for (let k = 1; k < 4; k++) {
      c = (table[c & 0xff] as number) ^ (c >>> 8);
      table[k * 256 + n] = c;
    }
  }
  return table;
})();

export function crc32Table(bytes: Uint8Array, initial = 0): number {
  const t = TABLE;
  let crc = ~initial;
  let i = 0;
  const n = bytes.length;
  const fast = n - (n % 4);
  for (; i < fast; i += 4) {
    crc ^=
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    crc =
      (t[768 + (crc & 0xff)] as number) ^
      (t[512 + ((crc >>> 8) & 0xff)] as number) ^
      (t[256 + ((crc >>> 16) & 0xff)] as number) ^
      (t[crc >>> 24] as number);
  }
  for (; i < n; i++) crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `bytes`, continuing from `initial` (the CRC of earlier bytes). Unsigned. */
export const crc32: (bytes: Uint8Array, initial?: number) => number =
  typeof native === "function"
    ? // zlib's crc32 answers 0 for a null buffer, which is what an empty array over an empty ArrayBuffer
      // passes; the CRC of no bytes continues `initial` unchanged.
      (bytes, initial = 0) => (bytes.length === 0 ? initial >>> 0 : native(bytes, initial) >>> 0)
    : crc32Table;
