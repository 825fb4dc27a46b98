// TSBS "cpu"-like data for tests and measurements: 10 tags, 10 random-walk fields, 10 s interval, seeded.
import type { FieldValue } from "../lineprotocol/types.ts";
import type { MeasurementTable, Row } from "./table.ts";

export const TSBS_TAG_KEYS = [
  "arch",
  "datacenter",
  "hostname",
  "os",
  "rack",
  "region",
  "service",
  "service_environment",
  "service_version",
  "team",
] as const;

export const TSBS_FIELDS = [
  "usage_user",
  "usage_system",
  "usage_idle",
  "usage_nice",
  "usage_iowait",
  "usage_irq",
  "usage_softirq",
  "usage_steal",
  "usage_guest",
  "usage_guest_nice",
] as const;

export type TsbsValueForm = "integer" | "float";

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hostTags(h: number): string[] {
  const regions = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"];
  const region = regions[h % regions.length] as string;
  // Same order as TSBS_TAG_KEYS.
  return [
    ["x64", "x86", "arm64"][h % 3] as string,
    `${region}${"abc"[h % 3]}`,
    `host_${h}`,
    ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"][h % 3] as string,
    String(h % 100),
    region,
    String(h % 20),
    ["production", "staging", "test"][h % 3] as string,
    String(h % 2),
    ["SF", "NYC", "LON", "CHI"][h % 4] as string,
  ];
}

export interface TsbsOptions {
  readonly hosts: number;
  readonly pointsPerHost: number;
  readonly form: TsbsValueForm;
  readonly startNs?: bigint;
  readonly intervalNs?: bigint;
  readonly seed?: number;
}

/** One row per host and timestamp, in time-major order (as TSBS emits them), seq = 1. */
export function* tsbsRows(
  options: TsbsOptions,
): Generator<{ tags: string[]; timeNs: bigint; values: FieldValue[] }> {
  const rand = prng(options.seed ?? 42);
  const start = options.startNs ?? 1_700_000_000_000_000_000n;
  const interval = options.intervalNs ?? 10_000_000_000n;
  const state = Array.from({ length: options.hosts }, () => TSBS_FIELDS.map(() => rand() * 100));
  const tags = Array.from({ length: options.hosts }, (_, h) => hostTags(h));
  for (let p = 0; p < options.pointsPerHost; p++) {
    const timeNs = start + BigInt(p) * interval;
    for (let h = 0; h < options.hosts; h++) {
      const s = state[h] as number[];
      const values = s.map((v, f) => {
        // Clamped random walk with unit-normal-ish steps (sum of uniforms).
        const step = rand() + rand() + rand() - 1.5;
        const next = Math.min(100, Math.max(0, v + step));
        s[f] = next;
        return options.form === "integer" ? BigInt(Math.trunc(next)) : Math.round(next * 100) / 100;
      });
      yield { tags: tags[h] as string[], timeNs, values };
    }
  }
}

/** TSBS rows as line protocol (`cpu,<tags> <fields> <ns>`). */
export function tsbsLine(row: {
  tags: readonly string[];
  timeNs: bigint;
  values: readonly FieldValue[];
}): string {
  const tags = TSBS_TAG_KEYS.map((k, i) => `${k}=${row.tags[i]}`).join(",");
  const fields = TSBS_FIELDS.map((f, i) => {
    const v = row.values[i];
    return typeof v === "bigint" ? `${f}=${v}i` : `${f}=${v}`;
  }).join(",");
  return `cpu,${tags} ${fields} ${row.timeNs}`;
}

/** A sorted (series, time) measurement table of TSBS rows. */
export function tsbsTable(options: TsbsOptions): MeasurementTable {
  const rows: Row[] = [];
  for (const r of tsbsRows(options)) rows.push({ tags: r.tags, timeNs: r.timeNs, seq: 1n, values: r.values });
  rows.sort((a, b) => {
    const ha = a.tags[2] as string;
    const hb = b.tags[2] as string;
    if (ha !== hb) return ha < hb ? -1 : 1;
    return a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0;
  });
  return {
    tagKeys: [...TSBS_TAG_KEYS],
    fields: TSBS_FIELDS.map((name) => ({ name, type: options.form === "integer" ? "integer" : "float" })),
    rows,
  };
}
