// Entry point of `npm start`: parse configuration, build the app, listen, and shut down cleanly on
// SIGINT/SIGTERM (stop accepting, finish in-flight requests, stop background jobs, close the WAL, exit 0).
import { readFileSync } from "node:fs";
import { randomIds, systemClock } from "../shared/core/clock.ts";
import type { Log } from "../shared/http/log.ts";
import { createApp } from "./app.ts";
import { loadServerConfig, USAGE } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { JobRunner } from "./jobs.ts";
import { startServer } from "./server.ts";

/**
 * Compaction and merges share the event loop with the write path: a run waits for this long a gap in the
 * requests, so a burst of writes is acknowledged at full speed and compacted right after it...
 */
const JOB_QUIET_MS = 200;
/** ...but never waits longer than this, so under steady load the WAL backlog stays bounded. */
const JOB_MAX_DEFER_MS = 5_000;

const log: Log = {
  error: (message, details) => console.error(JSON.stringify({ level: "error", message, ...details })),
  info: (message, details) => console.error(JSON.stringify({ level: "info", message, ...details })),
};

function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const version = (pkg as { version?: unknown }).version;
  return typeof version === "string" ? version : "0.0.0";
}

async function main(): Promise<number | undefined> {
  let config: ReturnType<typeof loadServerConfig>;
  try {
    config = loadServerConfig(process.argv.slice(2), process.env, process.cwd());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`sediment: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (config === undefined) {
    console.log(USAGE);
    return 0;
  }

  const version = packageVersion();
  const app = await createApp(config, { clock: systemClock, ids: randomIds, log, version });
  const server = await startServer({
    handler: app.handler,
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    log,
  });
  const jobs = new JobRunner(
    app.jobs.map((job) => ({
      name: job.name,
      intervalMs: job.intervalMs,
      run: async () => {
        await server.whenQuiet(JOB_QUIET_MS, JOB_MAX_DEFER_MS);
        await job.run();
      },
    })),
    log,
  );
  jobs.start();
  const shown = server.host.includes(":") ? `[${server.host}]` : server.host;
  console.log(`Sediment ${version} listening on http://${shown}:${server.port} (data: ${config.dataDir})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      console.error(`sediment: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info("shutting down", { signal });
    await server.close(config.shutdownTimeoutMs);
    await jobs.stop();
    await app.close();
    log.info("stopped", {});
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      shutdown(signal).catch((error: unknown) => {
        console.error("sediment: shutdown failed", error);
        process.exit(1);
      });
    });
  }
  return undefined;
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    console.error("sediment: failed to start:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
