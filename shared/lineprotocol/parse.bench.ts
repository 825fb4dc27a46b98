// Throughput of parseLineProtocol on a TSBS cpu-only body.
// Run: node --single-threaded-gc --import tsx shared/lineprotocol/parse.bench.ts [lines] [hosts]
// Not a test: prints lines/s and MB/s of the best of several rounds on one core.
import { TSBS_FIELDS } from "../parquet/tsbs.ts";
import { parseLineProtocol } from "./parse.ts";

const lines = Number(process.argv[2] ?? 200_000);
const hosts = Number(process.argv[3] ?? 1_000);
const regions = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"];
const oses = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
const arches = ["x86", "x64"];
const teams = ["SF", "NYC", "LON", "CHI"];
const envs = ["production", "staging", "test"];
const fields = TSBS_FIELDS;

// A deterministic generator, so every run parses the same bytes.
let seed = 42;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const hostTags = Array.from({ length: hosts }, (_, h) => {
  const region = regions[h % regions.length] as string;
  return (
    `hostname=host_${h},region=${region},datacenter=${region}${"abc"[rand(3)]},rack=${rand(100)},` +
    `os=${oses[rand(3)]},arch=${arches[rand(2)]},team=${teams[rand(4)]},service=${rand(20)},` +
    `service_version=${rand(2)},service_environment=${envs[rand(3)]}`
  );
});

function body(floats: boolean): Uint8Array {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const host = i % hosts;
    const t = 1451606400000000000n + BigInt(Math.floor(i / hosts)) * 10_000_000_000n;
    const values = fields.map((f) => `${f}=${floats ? `${rand(10000) / 100}` : `${rand(100)}i`}`).join(",");
    out.push(`cpu,${hostTags[host]} ${values} ${t}`);
  }
  return new TextEncoder().encode(`${out.join("\n")}\n`);
}

for (const floats of [false, true]) {
  const bytes = body(floats);
  // CPU time, not wall time: the machine is shared, and CPU time is what one core spends. Run with
  // --single-threaded-gc so garbage collection is counted on this thread instead of hidden on helpers.
  let best = Number.POSITIVE_INFINITY;
  let bestWall = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const wallStart = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const result = parseLineProtocol(bytes, { precision: "ns", defaultTime: 0n });
    const cpu = process.cpuUsage(cpuStart);
    const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
    if (result.points.length !== lines || result.errors.length > 0)
      throw new Error("bench body did not parse");
    best = Math.min(best, (cpu.user + cpu.system) / 1e6);
    bestWall = Math.min(bestWall, wall);
  }
  console.log(
    `${floats ? "float" : "integer"} fields: ${lines} lines, ${(bytes.length / lines).toFixed(0)} B/line, ` +
      `${hosts} hosts: best CPU ${(best * 1000).toFixed(1)} ms = ${Math.round(lines / best).toLocaleString("en")} lines/s, ` +
      `${(bytes.length / best / 1e6).toFixed(1)} MB/s (best wall ${(bestWall * 1000).toFixed(1)} ms)`,
  );
}
