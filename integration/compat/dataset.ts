// The compatibility data set: small but awkward line protocol written identically to InfluxDB and to
// Sediment. Several measurements, tags absent on some points, every field type, points on and next to
// window boundaries, a day boundary (our partitions are per day), and fields missing from some points.

/** 2024-01-01T00:00:00Z in ns: the data straddles this day boundary. */
export const T0 = 1_704_067_200_000_000_000n;
const S = 1_000_000_000n;
const M = 60n * S;

const at = (offsetNs: bigint): string => (T0 + offsetNs).toString();

/** Deterministic pseudo-random values (no Math.random in tests). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function cpuLines(): string[] {
  const out: string[] = [];
  const rnd = lcg(7);
  const hosts = [
    { host: "a", region: "us-west" },
    { host: "b", region: "us-east" },
    { host: "c" }, // no region tag at all
  ];
  // Irregular times from 23:55 the day before to 00:25, several right on / next to minute boundaries.
  const offsets: bigint[] = [];
  for (let i = -300n; i <= 1500n; i += 37n) offsets.push(i * S);
  offsets.push(0n, -1n, 1n, 10n * M, 10n * M - 1n, 20n * M + 1n, 5n * M + 500_000_000n);
  const seen = new Set<string>();
  for (const h of hosts) {
    for (const off of offsets) {
      const key = `${h.host}@${off}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const user = Math.round(rnd() * 10_000) / 100;
      const idle = Math.round((100 - user) * 100) / 100;
      const tags = `host=${h.host}${h.region ? `,region=${h.region}` : ""}`;
      const fields = [`usage_user=${user}`, `usage_idle=${idle}`];
      // usage_system only on some points: nulls inside windows.
      if (rnd() < 0.6) fields.push(`usage_system=${Math.round(rnd() * 500) / 100}`);
      out.push(`cpu,${tags} ${fields.join(",")} ${at(off)}`);
    }
  }
  return out;
}

function memLines(): string[] {
  const out: string[] = [];
  const rnd = lcg(11);
  for (const host of ["a", "b"]) {
    for (let i = 0; i < 30; i++) {
      const off = BigInt(i) * 47n * S + (host === "b" ? 13n * S : 0n);
      const used = Math.floor(rnd() * 1_000_000);
      const fields = [
        `used=${used}i`,
        `free=${1_000_000 - used}i`,
        `active=${rnd() < 0.5 ? "true" : "false"}`,
      ];
      if (i % 4 === 0) fields.push(`note="n${i % 3}"`);
      out.push(`mem,host=${host} ${fields.join(",")} ${at(off)}`);
    }
  }
  return out;
}

function weatherLines(): string[] {
  // Hand-written: duplicates of values (mode, distinct), strings and booleans, a tag missing on some points.
  const rows: [string, string, bigint][] = [
    ["city=paris,zone=eu", 'temp=3.5,hum=80i,desc="rain",ok=true', 0n],
    ["city=paris,zone=eu", 'temp=4,hum=80i,desc="rain",ok=false', 1n * M],
    ["city=paris,zone=eu", "temp=4.5,hum=75i", 2n * M + 30n * S],
    ["city=paris,zone=eu", 'temp=-1.25,desc="snow"', 10n * M],
    ["city=oslo,zone=eu", 'temp=-7.5,hum=60i,desc="snow",ok=true', 30n * S],
    ["city=oslo,zone=eu", "temp=-8,hum=60i,ok=true", 3n * M],
    ["city=oslo,zone=eu", "temp=-7.5,hum=65i", 7n * M + 59n * S],
    ["city=lima", 'temp=19.5,hum=90i,desc="fog"', 0n],
    ["city=lima", "temp=19.5,hum=91i", 4n * M],
    ["city=lima", 'temp=21,desc="sun",ok=true', 8n * M],
    ["city=lima", "hum=88i", 9n * M],
    ["city=new\\ york,zone=us", 'temp=2,hum=50i,desc="clear, cold"', 5n * M],
    ["city=new\\ york,zone=us", "temp=2,hum=52i", 6n * M],
    // A series without any temp: absent from temp aggregates, present in hum ones.
    ["city=quito", "hum=70i", 3n * M],
  ];
  return rows.map(([tags, fields, off]) => `weather,${tags} ${fields} ${at(off)}`);
}

/** Batches as written: the last one goes in after compaction (it is served from the WAL tail). */
export function compatBatches(): { compacted: string[][]; tail: string[] } {
  const cpu = cpuLines();
  const mem = memLines();
  const weather = weatherLines();
  const half = Math.floor(cpu.length / 2);
  return {
    compacted: [cpu.slice(0, half), cpu.slice(half), mem, weather.slice(0, 8)],
    tail: weather.slice(8),
  };
}
