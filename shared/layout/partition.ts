// Partition templates: `day=YYYY-MM-DD` always, then optional tag-value or hash-bucket parts per measurement.

import { decodePartitionValue, decodeSegment, encodePartitionValue, encodeSegment } from "./encode.ts";
import { InvalidTemplateError } from "./errors.ts";

export type PartitionPart =
  /** `<tag>=<value>`: one partition per tag value (low-cardinality tags such as region). */
  | { readonly kind: "tag"; readonly tag: string }
  /** `<tag>_bucket=NN`: fnv1a32(UTF-8 of value) mod buckets, zero-padded (absent tag hashes as ""). */
  | { readonly kind: "bucket"; readonly tag: string; readonly buckets: number };

export interface PartitionTemplate {
  readonly parts: readonly PartitionPart[];
}

export const DAY_ONLY: PartitionTemplate = { parts: [] };
export const MAX_BUCKETS = 10_000;

/** One partition: its day and its part values in template order (`value` null = tag absent). */
export interface PartitionId {
  readonly day: string;
  readonly parts: readonly { readonly name: string; readonly value: string | null }[];
}

export function validateTemplate(template: PartitionTemplate): void {
  const names = new Set<string>();
  for (const part of template.parts) {
    if (part.tag === "") throw new InvalidTemplateError("tag key must not be empty");
    if (
      part.kind === "bucket" &&
      !(Number.isInteger(part.buckets) && part.buckets >= 1 && part.buckets <= MAX_BUCKETS)
    )
      throw new InvalidTemplateError(`buckets for "${part.tag}" must be an integer in 1..${MAX_BUCKETS}`);
    const name = partName(part);
    if (name === "day" || names.has(name)) throw new InvalidTemplateError(`duplicate part name "${name}"`);
    names.add(name);
  }
}

/** The column name a part shows to Hive/Athena: the tag key, or `<tag>_bucket`. */
export function partName(part: PartitionPart): string {
  return part.kind === "tag" ? part.tag : `${part.tag}_bucket`;
}

/** 32-bit FNV-1a over the UTF-8 bytes: stable across runtimes and releases (part of the storage contract). */
export function fnv1a32(value: string): number {
  const bytes = new TextEncoder().encode(value);
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function bucketWidth(buckets: number): number {
  return Math.max(2, String(buckets - 1).length);
}

export function bucketOf(value: string | null, buckets: number): string {
  return String(fnv1a32(value ?? "") % buckets).padStart(bucketWidth(buckets), "0");
}

const NS_PER_DAY = 86_400_000_000_000n;

/** UTC day of a nanosecond timestamp, `YYYY-MM-DD` (years 0000..9999 only; others are rejected upstream). */
export function dayOf(timeNs: bigint): string {
  let days = timeNs / NS_PER_DAY;
  if (timeNs < 0n && days * NS_PER_DAY !== timeNs) days -= 1n;
  return new Date(Number(days) * 86_400_000).toISOString().slice(0, 10);
}

/** [start, end) of a day in ns. */
export function dayRangeNs(day: string): readonly [bigint, bigint] {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(ms))
    throw new InvalidTemplateError(`bad day "${day}"`);
  const start = BigInt(ms) * 1_000_000n;
  return [start, start + NS_PER_DAY];
}

/** Partition of one row: tagValue(k) returns the row's value of tag k, or null when absent. */
export function partitionOf(
  template: PartitionTemplate,
  timeNs: bigint,
  tagValue: (tag: string) => string | null,
): PartitionId {
  return {
    day: dayOf(timeNs),
    parts: template.parts.map((part) => {
      const v = tagValue(part.tag);
      return { name: partName(part), value: part.kind === "tag" ? v : bucketOf(v, part.buckets) };
    }),
  };
}

/** `day=2024-01-01/region=us-west-1/` (ends with '/'). */
export function partitionPath(id: PartitionId): string {
  let out = `day=${id.day}/`;
  for (const p of id.parts) out += `${encodeSegment(p.name)}=${encodePartitionValue(p.value)}/`;
  return out;
}

/** Inverse of partitionPath for the segments after the measurement; undefined when they do not form one. */
export function parsePartitionSegments(segments: readonly string[]): PartitionId | undefined {
  const [first, ...rest] = segments;
  const day = first?.startsWith("day=") ? first.slice(4) : undefined;
  if (day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const parts: { name: string; value: string | null }[] = [];
  for (const seg of rest) {
    const eq = seg.indexOf("=");
    if (eq <= 0) return undefined;
    try {
      const name = decodeSegment(seg.slice(0, eq));
      const value = decodePartitionValue(seg.slice(eq + 1));
      if (!name.complete || !value.complete) return undefined;
      parts.push({ name: name.value, value: value.isNull ? null : value.value });
    } catch {
      return undefined;
    }
  }
  return { day, parts };
}

/** Stable identity of a partition inside one measurement (used as a map key by the catalog). */
export function partitionKey(id: PartitionId): string {
  return partitionPath(id);
}

/** The catalog's public form: { name: value }, absent tag values as "" (line protocol has no empty tag values). */
export function partsRecord(id: PartitionId): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of id.parts) out[p.name] = p.value ?? "";
  return out;
}
