// Bytewise UTF-8 ordering of JS strings, the order of tag keys in a Point and of series keys on disk.

/**
 * Compares two strings as their UTF-8 bytes would compare, without encoding them.
 * JS `<` compares UTF-16 code units, which disagrees with UTF-8 when a surrogate (a code point above
 * U+FFFF) meets U+E000..U+FFFF; remapping those two ranges restores code point order, which UTF-8 keeps.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
