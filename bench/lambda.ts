// Our Lambda functions as separate processes for the bench: bundles the handlers as infra/functions.ts does
// (esbuild, ESM, minified, the same banner, parquet-wasm's .wasm beside the bundles) and runs each one in a
// child process (bench/roles/host.ts) that the bench invokes over IPC, like the Lambda runtime would.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, copyFileSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { HostReply, HostRequest, HostUsage } from "./roles/host.ts";
import { REPO_ROOT } from "./sediment.ts";

export type FunctionName = "api" | "compactor" | "merge";

export interface Bundles {
  readonly dir: string;
  readonly host: string;
  readonly functions: Readonly<Record<FunctionName, string>>;
  readonly bytes: Readonly<Record<FunctionName, number>>;
}

/** Bundles the three handlers and the host into `dir` (about a second each with esbuild). */
export async function bundleFunctions(dir: string): Promise<Bundles> {
  // Loaded here, not at the top: infra/ pulls in aws-cdk-lib (about 2 s), needed only for this section.
  const [{ build }, { LAMBDA_ESBUILD_OPTIONS, PARQUET_WASM_FILE }] = await Promise.all([
    import("esbuild"),
    import("../infra/functions.ts"),
  ]);
  const entries: Record<FunctionName | "host", string> = {
    api: join(REPO_ROOT, "functions", "api.ts"),
    compactor: join(REPO_ROOT, "functions", "compactor.ts"),
    merge: join(REPO_ROOT, "functions", "merge.ts"),
    host: join(REPO_ROOT, "bench", "roles", "host.ts"),
  };
  await build({
    entryPoints: entries,
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    ...LAMBDA_ESBUILD_OPTIONS,
    logLevel: "error",
  });
  copyFileSync(
    join(REPO_ROOT, "node_modules", "parquet-wasm", "node", PARQUET_WASM_FILE),
    join(dir, PARQUET_WASM_FILE),
  );
  const path = (n: FunctionName) => join(dir, `${n}.mjs`);
  const size = (n: FunctionName) => readFileSync(path(n)).byteLength;
  return {
    dir,
    host: join(dir, "host.mjs"),
    functions: { api: path("api"), compactor: path("compactor"), merge: path("merge") },
    bytes: { api: size("api"), compactor: size("compactor"), merge: size("merge") },
  };
}

export interface Invocation {
  /** Handler time inside the function's process (IPC excluded). */
  readonly ms: number;
  /** CPU the function's process used during the invocation, µs. */
  readonly cpuUs: number;
  readonly result: unknown;
}

/** One function in its own process (one execution environment): invoked one event at a time. */
export class LambdaHost {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (i: Invocation) => void; reject: (e: Error) => void }
  >();
  private reportWaiter: ((u: HostUsage) => void) | undefined;
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
    readonly importMs: number,
    private readonly logPath: string,
  ) {
    this.exit = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  /**
   * Spawns `node host.mjs <bundle>` with only `env` (plus PATH) in its environment, so configuration comes
   * from the same variables the deployed function reads, and waits for the handler's import.
   */
  static async start(
    bundles: Bundles,
    fn: FunctionName,
    name: string,
    env: Readonly<Record<string, string>>,
    logPath: string,
    timeoutMs = 60_000,
  ): Promise<LambdaHost> {
    const log = openSync(logPath, "a");
    const child = spawn(process.execPath, [bundles.host, bundles.functions[fn]], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", log, log, "ipc"],
    });
    closeSync(log);
    const ready = await new Promise<HostReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${name} did not load within ${timeoutMs} ms (log: ${logPath})`));
      }, timeoutMs);
      child.once("message", (m: HostReply) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} while loading: ${tail(logPath)}`));
      });
    });
    if (ready.type !== "ready") {
      child.kill("SIGKILL");
      throw new Error(`${name} failed to load: ${ready.type === "failed" ? ready.message : ready.type}`);
    }
    child.removeAllListeners("exit");
    const host = new LambdaHost(child, name, ready.importMs, logPath);
    child.on("message", (m: HostReply) => host.onReply(m));
    child.once("exit", (code, signal) => {
      host.exited = true;
      const e = new Error(`${name} exited (${code ?? signal}) during an invocation: ${tail(logPath)}`);
      for (const p of host.pending.values()) p.reject(e);
      host.pending.clear();
    });
    return host;
  }

  private onReply(m: HostReply): void {
    if (m.type === "report") {
      this.reportWaiter?.(m.usage);
      this.reportWaiter = undefined;
      return;
    }
    if (m.type !== "result" && m.type !== "error") return;
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.type === "result") p.resolve({ ms: m.ms, cpuUs: m.cpuUs, result: m.result });
    else p.reject(new Error(`${this.name} invocation failed: ${m.message}`));
  }

  private send(message: HostRequest): void {
    if (this.exited) throw new Error(`${this.name} is not running (log: ${this.logPath})`);
    this.child.send(message);
  }

  invoke(event: unknown, remainingMs?: number): Promise<Invocation> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.send({ type: "invoke", id, event, ...(remainingMs === undefined ? {} : { remainingMs }) });
      } catch (e) {
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  /** Peak RSS and CPU of the function's process so far. */
  report(): Promise<HostUsage> {
    return new Promise((resolve, reject) => {
      this.reportWaiter = resolve;
      try {
        this.send({ type: "report" });
      } catch (e) {
        this.reportWaiter = undefined;
        reject(e as Error);
      }
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    try {
      this.send({ type: "exit" });
    } catch {
      // already gone
    }
    const timedOut = await Promise.race([this.exit.then(() => false), sleep(5_000).then(() => true)]);
    if (timedOut) {
      this.child.kill("SIGKILL");
      await this.exit;
    }
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").slice(-1500);
  } catch {
    return "(no log)";
  }
}
