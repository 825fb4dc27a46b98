// Our side of the bench: finds the modules other engineers are building (parser, local server), spawns the
// local server on a temp data dir and a free loopback port, and watches its object store for compacted
// Parquet. Anything missing is reported as "not available: <reason>", never replaced by made-up numbers.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freePort, influxAdmin, waitForPing } from "./http.ts";
import { cpuSeconds, type Owned, peakRssBytes, spawnOwned, treeStats } from "./proc.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const OUR_DB = "benchdb";

export type Availability<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** The parser's shape as the bench calls it (see shared/lineprotocol/types.ts). */
export type ParseFn = (
  body: Uint8Array,
  options: { precision: "ns"; defaultTime: bigint },
) => { points: unknown[]; errors: unknown[] };

/** Loads `shared/lineprotocol/parse.ts` if it exists (a runtime import, so the bench compiles without it). */
export async function loadParser(root = REPO_ROOT): Promise<Availability<ParseFn>> {
  const path = join(root, "shared", "lineprotocol", "parse.ts");
  if (!existsSync(path)) return { ok: false, reason: "shared/lineprotocol/parse.ts does not exist yet" };
  try {
    const mod = (await import(pathToFileURL(path).href)) as { parseLineProtocol?: unknown };
    if (typeof mod.parseLineProtocol !== "function") {
      return { ok: false, reason: "shared/lineprotocol/parse.ts exports no parseLineProtocol" };
    }
    return { ok: true, value: mod.parseLineProtocol as ParseFn };
  } catch (e) {
    return { ok: false, reason: `shared/lineprotocol/parse.ts failed to load: ${errorText(e)}` };
  }
}

export function serverEntry(root = REPO_ROOT): Availability<string> {
  const path = join(root, "server", "main.ts");
  return existsSync(path)
    ? { ok: true, value: path }
    : { ok: false, reason: "server/main.ts (the local server) does not exist yet" };
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Compacted (not level-0) Parquet of a measurement under the fs object store's root. */
export function isCompactedParquet(path: string): boolean {
  return path.endsWith(".parquet") && !/[/\\]_l0[/\\]/.test(path) && !/[/\\]_[^/\\]*[/\\]/.test(path);
}

export class SedimentServer {
  readonly base: string;
  private constructor(
    private readonly proc: Owned,
    readonly dataDir: string,
    port: number,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  /** Spawns `node --import tsx server/main.ts --port P --data-dir D` so the PID is the server itself. */
  static async start(entry: string, extraArgs: readonly string[] = []): Promise<SedimentServer> {
    const dataDir = mkdtempSync(join(tmpdir(), "sediment-bench-ours-"));
    const port = await freePort();
    const proc = spawnOwned(
      process.execPath,
      ["--import", "tsx", entry, "--port", String(port), "--data-dir", dataDir, ...extraArgs],
      join(dataDir, "..", `${dataDir.split(/[/\\]/).pop() ?? "ours"}.log`),
      REPO_ROOT,
    );
    const server = new SedimentServer(proc, dataDir, port);
    try {
      await waitForPing(server.base, 60_000, () => proc.alive());
      // InfluxDB 1.x clients create the database first; a server that needs no such step may refuse it.
      await influxAdmin(server.base, `CREATE DATABASE ${OUR_DB}`).catch(() => undefined);
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get logPath(): string {
    return join(this.dataDir, "..", `${this.dataDir.split(/[/\\]/).pop() ?? "ours"}.log`);
  }

  writeUrl(): string {
    return `${this.base}/write?db=${OUR_DB}&precision=ns`;
  }

  peakRss(): number | undefined {
    return peakRssBytes(this.proc.pid);
  }

  cpuSeconds(): number | undefined {
    return cpuSeconds(this.proc.pid);
  }

  /** Parquet files of `measurement` in the fs object store (`<data-dir>/objects/data/<db>/<measurement>/`). */
  parquetFiles(measurement = "cpu"): { compacted: string[]; all: string[]; compactedBytes: number } {
    const dir = join(this.dataDir, "objects", "data", OUR_DB, measurement);
    const all = treeStats(dir, (p) => p.endsWith(".parquet"));
    const compacted = treeStats(dir, isCompactedParquet);
    return { compacted: compacted.paths, all: all.paths, compactedBytes: compacted.bytes };
  }

  /** Every file under the object store, for counting objects written. */
  objectTree(): { bytes: number; files: number; paths: string[] } {
    return treeStats(join(this.dataDir, "objects"));
  }

  async stop(keepData = false): Promise<void> {
    await this.proc.stop();
    if (!keepData) {
      rmSync(this.dataDir, { recursive: true, force: true });
      rmSync(this.logPath, { force: true });
    }
  }
}
