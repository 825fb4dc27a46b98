// The InfluxDB 1.x peer: runs Debian's `influxd` as a private process (generated config, loopback only, temp
// dirs), writes and queries it over HTTP, measures its storage once compaction settles, and removes it all.
//
// How storage is measured: influxd snapshots its cache to TSM when a shard has had no writes for
// `cache-snapshot-write-cold-duration`, and fully compacts a shard that has been cold for
// `compact-full-write-cold-duration` (defaults 10 min and 4 h). The private config lowers both to seconds so
// that, once ingest stops, the WAL drains into TSM and the shard is fully compacted; we then poll until the
// WAL is empty, no `.tmp` compaction output exists and the data dir size has not changed for 8 s (influxd's
// log shows `tsm1_strategy=full` compactions in that window). Neither setting changes the write path while
// writes keep arriving. The database's series file (`_series/`, 8 preallocated 4 MiB segments) is reported
// apart from the shard's TSM: it is a fixed cost that would swamp bytes/row at this scale.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, influxAdmin, waitForPing } from "../http.ts";
import { type Owned, peakRssBytes, spawnOwned, treeStats } from "../proc.ts";

export const INFLUXD_DB = "benchdb";

export interface InfluxdAvailability {
  readonly available: boolean;
  readonly version?: string;
  readonly reason?: string;
}

/** Whether an `influxd` binary is on PATH (the bench never installs it). */
export function influxdAvailable(binary = "influxd"): InfluxdAvailability {
  const r = spawnSync(binary, ["version"], { encoding: "utf8", timeout: 10_000 });
  if (r.error || r.status !== 0) {
    return {
      available: false,
      reason: `no \`${binary}\` on PATH (as root: apt-get install -y influxdb, Debian's InfluxDB 1.6)`,
    };
  }
  return { available: true, version: r.stdout.trim() };
}

export function influxdConfig(root: string, httpPort: number, rpcPort: number, extraData = ""): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(root, "meta")}"
  logging-enabled = false

[data]
  dir = "${join(root, "data")}"
  wal-dir = "${join(root, "wal")}"
  index-version = "inmem"
  query-log-enabled = false
  trace-logging-enabled = false
  cache-snapshot-write-cold-duration = "2s"
  compact-full-write-cold-duration = "5s"
${extraData}

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0

[subscriber]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false

[continuous_queries]
  enabled = false
`;
}

export interface InfluxdStorage {
  /** TSM files and fields.idx of the shards: the data itself. */
  readonly shardBytes: number;
  /** The database's series file (`_series/`): fixed-size preallocated segments (8 × 4 MiB when small). */
  readonly seriesFileBytes: number;
  readonly dataBytes: number;
  readonly walBytes: number;
  readonly tsmFiles: number;
  readonly settledAfterSeconds: number;
  readonly settled: boolean;
}

export class InfluxdPeer {
  readonly base: string;
  private constructor(
    private readonly proc: Owned,
    readonly root: string,
    port: number,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  static async start(binary = "influxd", extraData = ""): Promise<InfluxdPeer> {
    const root = mkdtempSync(join(tmpdir(), "sediment-bench-influxd-"));
    const httpPort = await freePort();
    const rpcPort = await freePort();
    const configPath = join(root, "influxd.conf");
    writeFileSync(configPath, influxdConfig(root, httpPort, rpcPort, extraData));
    const proc = spawnOwned(binary, ["run", "-config", configPath], join(root, "influxd.log"));
    const peer = new InfluxdPeer(proc, root, httpPort);
    try {
      await waitForPing(peer.base, 30_000, () => proc.alive());
      const r = await influxAdmin(peer.base, `CREATE DATABASE ${INFLUXD_DB}`);
      if (r.status !== 200) throw new Error(`CREATE DATABASE failed: ${r.status} ${r.body}`);
    } catch (e) {
      await peer.stop();
      throw e;
    }
    return peer;
  }

  get pid(): number {
    return this.proc.pid;
  }

  writeUrl(): string {
    return `${this.base}/write?db=${INFLUXD_DB}&precision=ns`;
  }

  peakRss(): number | undefined {
    return peakRssBytes(this.proc.pid);
  }

  /** Waits (bounded) for the WAL to drain and full compaction to finish, then sizes the data dir. */
  async settledStorage(timeoutMs = 180_000, stableMs = 8_000): Promise<InfluxdStorage> {
    const t0 = performance.now();
    let lastBytes = -1;
    let stableSince = performance.now();
    for (;;) {
      const data = treeStats(join(this.root, "data"));
      const wal = treeStats(join(this.root, "wal"));
      const busy = data.paths.some((p) => p.endsWith(".tmp"));
      const tsm = data.paths.filter((p) => p.endsWith(".tsm")).length;
      if (data.bytes !== lastBytes || busy || wal.bytes > 0 || tsm === 0) {
        lastBytes = data.bytes;
        stableSince = performance.now();
      }
      const elapsed = performance.now() - t0;
      const settled = performance.now() - stableSince >= stableMs;
      if (settled || elapsed >= timeoutMs) {
        const seriesFileBytes = treeStats(join(this.root, "data"), (p) => p.includes("/_series/")).bytes;
        return {
          shardBytes: data.bytes - seriesFileBytes,
          seriesFileBytes,
          dataBytes: data.bytes,
          walBytes: wal.bytes,
          tsmFiles: tsm,
          settledAfterSeconds: elapsed / 1000,
          settled,
        };
      }
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
