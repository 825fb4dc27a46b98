// Process helpers for the bench: spawning servers we own, reading their memory and CPU from /proc (Linux),
// stopping them by PID, and measuring folder sizes.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Owned {
  readonly child: ChildProcess;
  readonly pid: number;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a process whose output goes to `logPath`; the bench stops it by its PID only. */
export function spawnOwned(cmd: string, args: readonly string[], logPath: string, cwd?: string): Owned {
  const log = createWriteStream(logPath);
  const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  return {
    child,
    pid,
    alive: () => !exited && pid > 0,
    async stop(graceMs = 10_000) {
      if (exited || pid <= 0) return;
      child.kill("SIGTERM");
      const timer = sleep(graceMs).then(() => "timeout" as const);
      if ((await Promise.race([exit.then(() => "exited" as const), timer])) === "timeout") {
        child.kill("SIGKILL");
        await exit;
      }
    },
  };
}

/** Peak resident set (VmHWM) in bytes, or undefined off Linux or once the process is gone. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds the process has used so far (from /proc/<pid>/stat, assuming 100 ticks/s). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ", field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return undefined;
  }
}

export interface TreeStats {
  readonly bytes: number;
  readonly files: number;
  readonly paths: string[];
}

/** Total size of the regular files under `dir` whose path passes `keep` (missing folder = empty). */
export function treeStats(dir: string, keep: (path: string) => boolean = () => true): TreeStats {
  let bytes = 0;
  const paths: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 32) return;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && keep(p)) {
        bytes += st.size;
        paths.push(p);
      }
    }
  };
  walk(dir, 0);
  return { bytes, files: paths.length, paths: paths.sort() };
}
