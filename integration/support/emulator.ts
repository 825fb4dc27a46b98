// Test harness for S3 and SQS: uses AWS_ENDPOINT_URL when set, else runs fauxqs (loopback only) in a child.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";

export interface Emulator {
  readonly endpoint: string;
  readonly region: string;
  /** True when the harness started fauxqs itself (its conditional writes are not enforced). */
  readonly local: boolean;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./fauxqs-child.mjs", import.meta.url));
const STARTUP_DEADLINE_MS = 15_000;

export async function startEmulator(): Promise<Emulator> {
  const region = process.env.AWS_REGION ?? "us-east-1";
  const external = process.env.AWS_ENDPOINT_URL;
  if (external) return { endpoint: external, region, local: false, stop: async () => {} };

  // 4566 (LocalStack's port) when free; another test process may win the race for it, then any free port.
  let child: ChildProcess;
  let actualPort: number;
  try {
    if (!(await portIsFree(4566))) throw new Error("port 4566 is taken");
    child = spawnChild(4566);
    actualPort = await readPort(child);
  } catch {
    child = spawnChild(0);
    actualPort = await readPort(child);
  }
  const endpoint = `http://127.0.0.1:${actualPort}`;
  await waitForHealth(endpoint, child);
  return {
    endpoint,
    region,
    local: true,
    stop: () => stopChild(child),
  };
}

export function awsClients(endpoint: string, region = "us-east-1"): { s3: S3Client; sqs: SQSClient } {
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  return {
    // Path-style: fauxqs (and LocalStack) do not resolve bucket subdomains of 127.0.0.1.
    s3: new S3Client({ endpoint, region, credentials, forcePathStyle: true }),
    // An explicit endpoint: fauxqs queue URLs name a host (sqs.<region>.localhost) that does not resolve.
    sqs: new SQSClient({ endpoint, region, credentials }),
  };
}

const runId = randomUUID().slice(0, 8);
let counter = 0;

/** A unique, valid name for this test run: `<base>-<run>-<n>`. */
export function uniqueName(base: string): string {
  counter += 1;
  return `${base}-${runId}-${counter}`.toLowerCase();
}

export async function createBucket(s3: S3Client, name: string): Promise<string> {
  const bucket = uniqueName(name);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export interface QueueOptions {
  /** Also create a dead-letter queue receiving messages after this many receives. */
  readonly dlq?: { readonly maxReceiveCount: number };
  readonly visibilityTimeoutSeconds?: number;
}

export async function createQueue(
  sqs: SQSClient,
  name: string,
  options: QueueOptions = {},
): Promise<{ queueUrl: string; dlqUrl?: string }> {
  const queueName = uniqueName(name);
  const attributes: Record<string, string> = {};
  if (options.visibilityTimeoutSeconds !== undefined)
    attributes.VisibilityTimeout = String(options.visibilityTimeoutSeconds);
  let dlqUrl: string | undefined;
  if (options.dlq) {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${queueName}-dlq` }));
    dlqUrl = required(dlq.QueueUrl, "CreateQueue (dlq) returned no QueueUrl");
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
    );
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: required(attrs.Attributes?.QueueArn, "dlq has no QueueArn"),
      maxReceiveCount: options.dlq.maxReceiveCount,
    });
  }
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  const queueUrl = required(queue.QueueUrl, "CreateQueue returned no QueueUrl");
  return dlqUrl === undefined ? { queueUrl } : { queueUrl, dlqUrl };
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}

function spawnChild(port: number): ChildProcess {
  return spawn(process.execPath, [CHILD, String(port)], { stdio: ["pipe", "pipe", "ignore"] });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`fauxqs did not start within ${STARTUP_DEADLINE_MS} ms`));
    }, STARTUP_DEADLINE_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`fauxqs exited with code ${code} before listening (is fauxqs@1.9.2 installed?)`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
}

/** Polls GET /health until it answers 200: readiness, with a hard deadline. */
async function waitForHealth(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`fauxqs at ${endpoint} did not answer GET /health within ${STARTUP_DEADLINE_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
