// The DuckDB peer (@duckdb/node-api, in-process): writes its own zstd Parquet of the generated rows, sorted
// by host and time, for a bytes/row baseline, and runs the SQL forms of the TSBS queries over Parquet files.

import { statSync } from "node:fs";
import type { DuckDBConnection } from "@duckdb/node-api";
import { DuckDBInstance, timestampValue, version } from "@duckdb/node-api";
import { median, quantile } from "../http.ts";
import type { BenchQuery } from "../queries.ts";
import { CPU_FIELDS, cpuRows, hostTags, TAG_KEYS, type TsbsOptions } from "../tsbs.ts";

export function duckdbVersion(): string {
  return version();
}

export interface ParquetWrite {
  readonly rows: number;
  readonly bytes: number;
  readonly bytesPerRow: number;
  /** Seconds for `COPY … TO` alone (rows already in DuckDB). */
  readonly copySeconds: number;
}

export interface TimedQuery {
  readonly ms: number;
  readonly rows: number;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export class DuckPeer {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(threads?: number): Promise<DuckPeer> {
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    if (threads !== undefined) await conn.run(`SET threads = ${Math.max(1, Math.floor(threads))}`);
    await conn.run("SET TimeZone = 'UTC'").catch(() => undefined);
    return new DuckPeer(instance, conn);
  }

  /** Loads the generated rows into a table, then writes them as zstd Parquet ordered by host and time. */
  async writeOwnParquet(o: TsbsOptions, path: string): Promise<ParquetWrite> {
    const valueType = o.form === "int" ? "BIGINT" : "DOUBLE";
    await this.conn.run("DROP TABLE IF EXISTS gen");
    await this.conn.run(
      `CREATE TABLE gen (time TIMESTAMP, ${TAG_KEYS.map((k) => `${k} VARCHAR`).join(", ")}, ` +
        `${CPU_FIELDS.map((f) => `${f} ${valueType}`).join(", ")})`,
    );
    const tags = hostTags(o);
    const appender = await this.conn.createAppender("gen");
    let rows = 0;
    for (const row of cpuRows(o)) {
      appender.appendTimestamp(timestampValue(row.timeNs / 1000n));
      const t = tags[row.host];
      if (t === undefined) throw new RangeError(`no tags for host ${row.host}`);
      for (const k of TAG_KEYS) appender.appendVarchar(t[k]);
      for (let f = 0; f < CPU_FIELDS.length; f++) {
        const v = row.values[f] as number;
        if (o.form === "int") appender.appendBigInt(BigInt(v));
        else appender.appendDouble(v);
      }
      appender.endRow();
      rows++;
    }
    appender.flushSync();
    appender.closeSync();
    const t0 = performance.now();
    await this.conn.run(
      `COPY (SELECT * FROM gen ORDER BY hostname, time) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const copySeconds = (performance.now() - t0) / 1000;
    await this.conn.run("DROP TABLE gen");
    const bytes = statSync(path).size;
    return { rows, bytes, bytesPerRow: bytes / rows, copySeconds };
  }

  /**
   * Points the `cpu` view at Parquet files. `time` is cast to a plain TIMESTAMP (UTC) so the same SQL runs
   * over files that store it as TIMESTAMPTZ (ours) or TIMESTAMP (DuckDB's own).
   */
  async useFiles(files: readonly string[], hive: boolean): Promise<void> {
    if (files.length === 0) throw new Error("no Parquet files to query");
    const list = `[${files.map(sqlString).join(", ")}]`;
    await this.conn.run(
      `CREATE OR REPLACE VIEW cpu AS SELECT * REPLACE (CAST(time AS TIMESTAMP) AS time) FROM read_parquet(${list}` +
        `${hive ? ", hive_partitioning = true" : ""}, union_by_name = true)`,
    );
  }

  async count(): Promise<number> {
    const r = await this.conn.runAndReadAll("SELECT count(*) FROM cpu");
    return Number(r.getRows()[0]?.[0] ?? 0);
  }

  async timed(sql: string): Promise<TimedQuery> {
    const t0 = performance.now();
    const r = await this.conn.runAndReadAll(sql);
    return { ms: performance.now() - t0, rows: r.currentRowCount };
  }

  /** Runs each query once to warm up, then times every query; returns median and p95 in ms. */
  async runSet(queries: readonly BenchQuery[]): Promise<{ median: number; p95: number; rows: number }> {
    const first = queries[0];
    if (first !== undefined) await this.timed(first.sql);
    const ms: number[] = [];
    let rows = 0;
    for (const q of queries) {
      const t = await this.timed(q.sql);
      ms.push(t.ms);
      rows += t.rows;
    }
    return { median: median(ms), p95: quantile(ms, 0.95), rows };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
