// A stand-in for the Lambda runtime, one function per process: imports a bundled handler (configuration from
// this process's environment, as at a cold start), then runs the invocations the bench sends over IPC and
// reports each one's time and CPU, and the process's peak RSS. Bundled with esbuild and run by plain node.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** Messages from the bench to this process. */
export type HostRequest =
  | {
      readonly type: "invoke";
      readonly id: number;
      readonly event: unknown;
      /** Pass a Lambda context with this much remaining time (the merge handler budgets against it). */
      readonly remainingMs?: number;
    }
  | { readonly type: "report" }
  | { readonly type: "exit" };

export interface HostUsage {
  /** Peak resident set of this process, bytes (see `peakRss`). */
  readonly maxRssBytes: number;
  readonly rssSource: "VmHWM" | "maxRSS";
  readonly userCpuUs: number;
  readonly systemCpuUs: number;
}

/** Messages from this process to the bench. */
export type HostReply =
  | { readonly type: "ready"; readonly importMs: number; readonly usage: HostUsage }
  | { readonly type: "failed"; readonly message: string }
  | {
      readonly type: "result";
      readonly id: number;
      readonly ms: number;
      /** CPU this process used during the invocation (user + system, µs). */
      readonly cpuUs: number;
      readonly result: unknown;
    }
  | { readonly type: "error"; readonly id: number; readonly ms: number; readonly message: string }
  | { readonly type: "report"; readonly usage: HostUsage };

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/**
 * The peak resident set of this process's own memory. On Linux, getrusage's maxRSS (what
 * `process.resourceUsage().maxRSS` reads) survives execve, so a child spawned by a large parent reports the
 * parent's peak (measured here: 404 MiB in a child whose VmHWM was 39 MiB). VmHWM belongs to the new address
 * space, so it is used where /proc exists; maxRSS elsewhere.
 */
function peakRss(): { bytes: number; source: HostUsage["rssSource"] } {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return { bytes: Number(m[1]) * 1024, source: "VmHWM" };
  } catch {
    // not Linux
  }
  return { bytes: process.resourceUsage().maxRSS * 1024, source: "maxRSS" };
}

function usage(): HostUsage {
  const u = process.resourceUsage();
  const rss = peakRss();
  return {
    maxRssBytes: rss.bytes,
    rssSource: rss.source,
    userCpuUs: u.userCPUTime,
    systemCpuUs: u.systemCPUTime,
  };
}

function send(reply: HostReply): void {
  process.send?.(reply);
}

function context(remainingMs: number): unknown {
  const deadline = performance.now() + remainingMs;
  return {
    functionName: "sediment-bench",
    awsRequestId: "bench",
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
  };
}

async function main(): Promise<void> {
  const bundle = process.argv[2];
  if (bundle === undefined || process.send === undefined) {
    throw new Error("usage: node host.mjs <bundle.mjs>, spawned with an IPC channel");
  }
  const t0 = performance.now();
  const mod = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
  const importMs = performance.now() - t0;
  if (typeof mod.handler !== "function") throw new Error(`${bundle} exports no handler function`);
  const handler = mod.handler as Handler;
  // One invocation at a time, as a Lambda execution environment runs them.
  let queue = Promise.resolve();
  process.on("message", (message: HostRequest) => {
    queue = queue.then(async () => {
      if (message.type === "exit") {
        // The SDK clients keep sockets open; a Lambda environment is frozen, this one simply ends.
        process.exit(0);
      }
      if (message.type === "report") {
        send({ type: "report", usage: usage() });
        return;
      }
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      try {
        const result = await handler(
          message.event,
          message.remainingMs === undefined ? undefined : context(message.remainingMs),
        );
        const cpu = process.cpuUsage(cpu0);
        send({
          type: "result",
          id: message.id,
          ms: performance.now() - start,
          cpuUs: cpu.user + cpu.system,
          result,
        });
      } catch (e) {
        send({
          type: "error",
          id: message.id,
          ms: performance.now() - start,
          message: e instanceof Error ? e.message : String(e),
        });
      }
    });
  });
  send({ type: "ready", importMs, usage: usage() });
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (process.send === undefined) {
    console.error(message);
    process.exit(1);
  }
  process.send({ type: "failed", message } satisfies HostReply, () => process.exit(1));
});
