// Time conversions: RFC3339 text <-> epoch nanoseconds, InfluxDB's output formats, epoch= precisions.

const NS_PER_MS = 1_000_000n;

/** InfluxDB's RFC3339Nano output: fractional seconds with trailing zeros trimmed (`...T00:00:00.5Z`). */
export function formatRfc3339(ns: bigint): string {
  let ms = ns / NS_PER_MS;
  let sub = ns % 1_000_000_000n;
  if (sub < 0n) {
    sub += 1_000_000_000n;
  }
  // Floor division for pre-1970 times.
  if (ns < 0n && ns % NS_PER_MS !== 0n) ms -= 1n;
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const base = iso.slice(0, 19);
  if (sub === 0n) return `${base}Z`;
  const frac = sub.toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}.${frac}Z`;
}

/** Parses `2006-01-02T15:04:05.999999999Z07:00`, `2006-01-02 15:04:05`, or `2006-01-02` (UTC). */
export function parseTimeString(text: string): bigint | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone = "Z"] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let ns = BigInt(ms) * NS_PER_MS + BigInt(frac.padEnd(9, "0") || "0");
  if (zone !== "Z") {
    const sign = zone.startsWith("-") ? -1n : 1n;
    const offMin = BigInt(Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    ns -= sign * offMin * 60_000_000_000n;
  }
  return ns;
}

export type Epoch = "ns" | "u" | "µ" | "ms" | "s" | "m" | "h";

const EPOCH_DIV: Record<Epoch, bigint> = {
  ns: 1n,
  u: 1_000n,
  µ: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

export function isEpoch(value: string): value is Epoch {
  return Object.hasOwn(EPOCH_DIV, value);
}

export function toEpoch(ns: bigint, epoch: Epoch): bigint {
  return ns / EPOCH_DIV[epoch];
}

/** Floor division that rounds toward negative infinity (window starts before 1970). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export const MIN_TIME = -9_223_372_036_854_775_806n; // InfluxDB's MinTime
export const MAX_TIME = 9_223_372_036_854_775_806n; // InfluxDB's MaxTime
export const DAY_NS = 86_400_000_000_000n;

/** Start of a UTC day `YYYY-MM-DD` in ns. */
export function dayStartNs(day: string): bigint | undefined {
  return parseTimeString(day);
}
