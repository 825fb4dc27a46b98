// Bundle size and cold-start time of each Lambda function: bundles every entry as infra/functions.ts does
// (esbuild, ESM, node22, minified, the same banner, parquet-wasm's .wasm beside the bundle), then, per
// function, spawns fresh node processes that time the bundle's import and a first invocation with a
// representative event against fauxqs (or AWS_ENDPOINT_URL); SSM is a loopback stub. Prints a Markdown table.
//   npx tsx scripts/coldstart.ts [--runs 3]
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { LAMBDA_ESBUILD_OPTIONS, PARQUET_WASM_FILE } from "../infra/functions.ts";
import { awsClients, createBucket, startEmulator } from "../integration/support/emulator.ts";
import { encodeRecord } from "../shared/wal/codec.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const RUNS = Math.max(1, Number(values.runs));

interface Fn {
  readonly name: string;
  readonly entry: string;
  readonly wasm: boolean;
  readonly env: Record<string, string>;
  readonly event: unknown;
  /** Passed as the handler's second argument (a Lambda context with getRemainingTimeInMillis). */
  readonly context?: boolean;
  readonly what: string;
}

/** Child process: time the import and the first invocation, print one JSON line. */
const CHILD = `
const [bundle, eventFile, withContext] = process.argv.slice(2);
const { readFileSync } = await import("node:fs");
const event = JSON.parse(readFileSync(eventFile, "utf8"));
const t0 = performance.now();
const mod = await import(bundle);
const t1 = performance.now();
const context = withContext === "1"
  ? { getRemainingTimeInMillis: () => 900000, functionName: "coldstart", awsRequestId: "coldstart" }
  : undefined;
const result = await mod.handler(event, context);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, result }) + "\\n");
`;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function run(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ importMs: number; invokeMs: number; result: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.once("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith('{"importMs"'));
      if (code !== 0 || line === undefined) reject(new Error(`exit ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as { importMs: number; invokeMs: number; result: unknown });
    });
  });
}

/** A loopback stand-in for SSM GetParameter (JSON protocol): the authorizer's token list. */
function ssmStub(tokens: string): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(
        JSON.stringify({ Parameter: { Name: "/sediment/tokens", Type: "SecureString", Value: tokens } }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ server, endpoint: `http://127.0.0.1:${port}` });
    }),
  );
}

const apiEvent = (method: string, path: string, rawQueryString: string) => ({
  version: "2.0",
  routeKey: `${method} ${path}`,
  rawPath: path,
  rawQueryString,
  headers: { authorization: "Token coldstart-token", host: "abc123.execute-api.us-east-1.amazonaws.com" },
  requestContext: {
    accountId: "123456789012",
    apiId: "abc123",
    domainName: "abc123.execute-api.us-east-1.amazonaws.com",
    domainPrefix: "abc123",
    http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "coldstart" },
    requestId: "coldstart",
    routeKey: `${method} ${path}`,
    stage: "$default",
    time: "25/Nov/2025:00:00:00 +0000",
    timeEpoch: 1_764_028_800_000,
    authorizer: { lambda: { databases: "*", read: true, write: true } },
  },
  isBase64Encoded: false,
});

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "sediment-coldstart-"));
  const emulator = await startEmulator();
  const ssm = await ssmStub(
    JSON.stringify([
      {
        tokenHash: createHash("sha256").update("coldstart-token").digest("hex"),
        databases: "*",
        read: true,
        write: true,
      },
    ]),
  );
  try {
    const { s3 } = awsClients(emulator.endpoint, emulator.region);
    const bucket = await createBucket(s3, "coldstart");
    const aws = {
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_REGION: emulator.region,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "test",
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    };
    const data = { ...aws, SEDIMENT_BUCKET: bucket, SEDIMENT_CONDITIONAL_WRITES: "false" };
    const walRecord = encodeRecord({
      database: "coldstart",
      writeId: "w1",
      receivedAtNs: 1_764_028_800_000_000_000n,
      sequence: 1_764_028_800_000_000_000n,
      precision: "ns",
      body: new TextEncoder().encode(
        Array.from(
          { length: 100 },
          (_, i) => `cpu,host=h${i % 10} usage=${i}.5,n=${i}i ${1_764_028_800_000_000_000n + BigInt(i)}`,
        ).join("\n"),
      ),
    });
    const fns: Fn[] = [
      {
        name: "compactor",
        entry: "functions/compactor.ts",
        wasm: true,
        env: data,
        event: {
          Records: [
            {
              messageId: "m1",
              receiptHandle: "r1",
              body: Buffer.from(walRecord).toString("base64"),
              attributes: { ApproximateReceiveCount: "1" },
              messageAttributes: {},
              md5OfBody: "",
              eventSource: "aws:sqs",
              eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:wal",
              awsRegion: "us-east-1",
            },
          ],
        },
        what: "SQS batch, 1 record × 100 points → L0 Parquet on S3",
      },
      {
        name: "merge",
        entry: "functions/merge.ts",
        wasm: true,
        env: data,
        event: { "detail-type": "Scheduled Event", source: "aws.events", detail: {} },
        context: true,
        what: "scheduled run over the catalog",
      },
      {
        name: "api (query role)",
        entry: "functions/api.ts",
        wasm: true,
        env: { ...data, SEDIMENT_ROLE: "query" },
        event: apiEvent(
          "GET",
          "/query",
          `db=coldstart&q=${encodeURIComponent("SELECT mean(usage) FROM cpu")}`,
        ),
        what: "InfluxQL over the Parquet the compactor and merge wrote",
      },
      {
        name: "api (write role)",
        entry: "functions/api.ts",
        wasm: true,
        env: { ...data, SEDIMENT_ROLE: "write", SEDIMENT_QUEUE_URL: "http://127.0.0.1:9/queue/none" },
        event: apiEvent("GET", "/ping", ""),
        what: "GET /ping",
      },
      {
        name: "authorizer",
        entry: "functions/authorizer.ts",
        wasm: false,
        env: { ...aws, AWS_ENDPOINT_URL: ssm.endpoint, SEDIMENT_TOKENS_PARAMETER: "/sediment/tokens" },
        event: {
          version: "2.0",
          type: "REQUEST",
          routeArn: "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/POST/write",
          identitySource: ["Token coldstart-token"],
          routeKey: "POST /write",
          rawPath: "/write",
          rawQueryString: "db=coldstart",
          headers: { authorization: "Token coldstart-token" },
          requestContext: { http: { method: "POST", path: "/write" } },
        },
        what: "token from SSM (stub)",
      },
    ];

    const childScript = join(work, "child.mjs");
    await writeFile(childScript, CHILD);
    const rows: string[] = [];
    const bundled = new Map<string, { dir: string; bytes: number; gzip: number; wasm: number }>();
    for (const fn of fns) {
      let b = bundled.get(fn.entry);
      if (!b) {
        const dir = join(work, fn.entry.replace(/[/.]/g, "_"));
        await mkdir(dir, { recursive: true });
        await build({
          entryPoints: [join(root, fn.entry)],
          outfile: join(dir, "index.mjs"),
          ...LAMBDA_ESBUILD_OPTIONS,
          logLevel: "error",
        });
        let wasm = 0;
        if (fn.wasm) {
          const source = join(root, "node_modules", "parquet-wasm", "node", PARQUET_WASM_FILE);
          await copyFile(source, join(dir, PARQUET_WASM_FILE));
          wasm = (await stat(source)).size;
        }
        const code = await readFile(join(dir, "index.mjs"));
        b = { dir, bytes: code.byteLength, gzip: gzipSync(code).byteLength, wasm };
        bundled.set(fn.entry, b);
      }
      const eventFile = join(work, `${fn.name.replace(/\W+/g, "_")}.json`);
      await writeFile(eventFile, JSON.stringify(fn.event));
      const imports: number[] = [];
      const invokes: number[] = [];
      const outcomes: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await run(
          childScript,
          [join(b.dir, "index.mjs"), eventFile, fn.context ? "1" : "0"],
          fn.env,
        );
        imports.push(r.importMs);
        invokes.push(r.invokeMs);
        outcomes.push(summarise(r.result));
      }
      const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
      rows.push(
        `| ${fn.name} | ${b.bytes} (${kb(b.bytes)}) | ${b.gzip} (${kb(b.gzip)}) | ${b.wasm ? kb(b.wasm) : "–"} | ${median(imports).toFixed(0)} | ${median(invokes).toFixed(0)} | ${fn.what}: ${outcomes.join(" / ")} |`,
      );
    }
    console.log(
      `Cold start, median of ${RUNS} fresh processes each (node ${process.version}, ${process.arch})\n`,
    );
    console.log(
      "| function | bundle bytes | gzip bytes | .wasm | import ms | first invocation ms | event: result |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) console.log(r);
  } finally {
    ssm.server.close();
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function summarise(result: unknown): string {
  if (typeof result !== "object" || result === null) return String(result);
  const r = result as Record<string, unknown>;
  if ("statusCode" in r) return `HTTP ${String(r.statusCode)}`;
  if ("isAuthorized" in r) return `authorized=${String(r.isAuthorized)}`;
  if ("batchItemFailures" in r) return `${(r.batchItemFailures as unknown[]).length} failures`;
  return JSON.stringify(r);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
