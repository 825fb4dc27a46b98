// Deterministic generator for TSBS's devops "cpu-only" data set, reproduced from its documented data model:
// one `cpu` measurement, ten host tags, ten usage_* fields as clamped random walks, rows in time-major order.
import { prng, TSBS_FIELDS } from "../shared/parquet/tsbs.ts";

/** TSBS's AWS regions and the availability zones it draws each host's `datacenter` from. */
export const REGIONS: ReadonlyArray<{ readonly region: string; readonly zones: readonly string[] }> = [
  { region: "us-east-1", zones: ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"] },
  { region: "us-west-1", zones: ["us-west-1a", "us-west-1b"] },
  { region: "us-west-2", zones: ["us-west-2a", "us-west-2b", "us-west-2c"] },
  { region: "eu-west-1", zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] },
  { region: "eu-central-1", zones: ["eu-central-1a", "eu-central-1b"] },
  { region: "ap-southeast-1", zones: ["ap-southeast-1a", "ap-southeast-1b"] },
  { region: "ap-southeast-2", zones: ["ap-southeast-2a", "ap-southeast-2b"] },
  { region: "ap-northeast-1", zones: ["ap-northeast-1a", "ap-northeast-1c"] },
  { region: "sa-east-1", zones: ["sa-east-1a", "sa-east-1b", "sa-east-1c"] },
];
export const OS_CHOICES = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"] as const;
export const ARCH_CHOICES = ["x64", "x86"] as const;
export const TEAM_CHOICES = ["SF", "NYC", "LON", "CHI"] as const;
export const ENVIRONMENT_CHOICES = ["production", "staging", "test"] as const;

/** Tag keys in the order TSBS writes them. */
export const TAG_KEYS = [
  "hostname",
  "region",
  "datacenter",
  "rack",
  "os",
  "arch",
  "team",
  "service",
  "service_version",
  "service_environment",
] as const;

/** TSBS's cpu fields, in TSBS's order: the one list the benchmark, the Parquet and the parser benches share. */
export const CPU_FIELDS = TSBS_FIELDS;

/** `int`: TSBS's integer fields (`58i`); `float`: the same walk printed with two decimals (`58.21`). */
export type ValueForm = "int" | "float";

export interface TsbsOptions {
  readonly hosts: number;
  /** Start of the data, ns since the epoch (TSBS's default is 2016-01-01T00:00:00Z). */
  readonly startNs: bigint;
  /** Length of the data; rows are at start, start+interval, … < start+duration. */
  readonly durationNs: bigint;
  readonly intervalNs: bigint;
  readonly seed: number;
  readonly form: ValueForm;
}

export const TSBS_DEFAULT_START_NS = BigInt(Date.UTC(2016, 0, 1)) * 1_000_000n;
export const SECOND_NS = 1_000_000_000n;
export const HOUR_NS = 3600n * SECOND_NS;

export function tsbsOptions(partial: Partial<TsbsOptions> & { hosts: number; hours: number }): TsbsOptions {
  return {
    hosts: partial.hosts,
    startNs: partial.startNs ?? TSBS_DEFAULT_START_NS,
    durationNs: partial.durationNs ?? BigInt(Math.round(partial.hours * 3600)) * SECOND_NS,
    intervalNs: partial.intervalNs ?? 10n * SECOND_NS,
    seed: partial.seed ?? 1,
    form: partial.form ?? "int",
  };
}

export function stepCount(o: TsbsOptions): number {
  return Number((o.durationNs + o.intervalNs - 1n) / o.intervalNs);
}

export function rowCount(o: TsbsOptions): number {
  return stepCount(o) * o.hosts;
}

/** The draws the generator and the query sets need, on the repository's one seeded PRNG (mulberry32). */
export class Prng {
  private readonly uniform: () => number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.uniform = prng(seed);
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.uniform();
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(choices: readonly T[]): T {
    const v = choices[this.int(choices.length)];
    if (v === undefined) throw new RangeError("pick from an empty list");
    return v;
  }
  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** k distinct integers from [0, n), in draw order (a partial Fisher–Yates shuffle). */
  distinct(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`cannot draw ${k} distinct values from ${n}`);
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const ai = a[i] as number;
      a[i] = a[j] as number;
      a[j] = ai;
    }
    return a.slice(0, k);
  }
}

export type HostTags = Readonly<Record<(typeof TAG_KEYS)[number], string>>;

/** Each host's tags, drawn once from the seed (as TSBS draws them when it creates the simulated host). */
export function hostTags(o: Pick<TsbsOptions, "hosts" | "seed">): HostTags[] {
  const rng = new Prng(o.seed ^ 0x9e3779b9);
  const out: HostTags[] = [];
  for (let h = 0; h < o.hosts; h++) {
    const r = rng.pick(REGIONS);
    out.push({
      hostname: `host_${h}`,
      region: r.region,
      datacenter: rng.pick(r.zones),
      rack: String(rng.int(100)),
      os: rng.pick(OS_CHOICES),
      arch: rng.pick(ARCH_CHOICES),
      team: rng.pick(TEAM_CHOICES),
      service: String(rng.int(20)),
      service_version: String(rng.int(2)),
      service_environment: rng.pick(ENVIRONMENT_CHOICES),
    });
  }
  return out;
}

/** One generated row: host index, time, and the ten field values already rounded to the value form. */
export interface CpuRow {
  readonly host: number;
  readonly timeNs: bigint;
  readonly values: Float64Array;
}

/**
 * Rows in time-major order (every host at t0, then every host at t1, …). Each field is a random walk with
 * N(0,1) steps clamped to [0, 100], started uniformly in [0, 100]. The yielded `values` array is reused.
 */
export function* cpuRows(o: TsbsOptions): Generator<CpuRow> {
  const rng = new Prng(o.seed);
  const nf = CPU_FIELDS.length;
  const state = new Float64Array(o.hosts * nf);
  for (let i = 0; i < state.length; i++) state[i] = rng.next() * 100;
  const values = new Float64Array(nf);
  const steps = stepCount(o);
  for (let s = 0; s < steps; s++) {
    const timeNs = o.startNs + BigInt(s) * o.intervalNs;
    for (let h = 0; h < o.hosts; h++) {
      for (let f = 0; f < nf; f++) {
        const i = h * nf + f;
        let v = (state[i] as number) + (s === 0 ? 0 : rng.normal());
        if (v < 0) v = 0;
        else if (v > 100) v = 100;
        state[i] = v;
        values[f] = o.form === "int" ? Math.round(v) : Math.round(v * 100) / 100;
      }
      yield { host: h, timeNs, values };
    }
  }
}

/** Line-protocol batches of `linesPerBatch` lines (the last may be shorter), ns timestamps, `\n`-terminated. */
export function* lineBatches(o: TsbsOptions, linesPerBatch: number): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  const prefixes = hostTags(o).map((t) => `cpu,${TAG_KEYS.map((k) => `${k}=${t[k]}`).join(",")} `);
  const fmt = o.form === "int" ? (v: number) => `${v}i` : (v: number) => v.toFixed(2);
  let parts: string[] = [];
  for (const row of cpuRows(o)) {
    let fields = "";
    for (let f = 0; f < CPU_FIELDS.length; f++) {
      fields += `${f === 0 ? "" : ","}${CPU_FIELDS[f]}=${fmt(row.values[f] as number)}`;
    }
    parts.push(`${prefixes[row.host]}${fields} ${row.timeNs}\n`);
    if (parts.length === linesPerBatch) {
      yield encoder.encode(parts.join(""));
      parts = [];
    }
  }
  if (parts.length > 0) yield encoder.encode(parts.join(""));
}

/** Count `\n`-terminated lines in a batch. */
export function countLines(batch: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < batch.length; i++) if (batch[i] === 10) n++;
  return n;
}
