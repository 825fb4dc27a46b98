// Test helpers for compaction: WAL records from lines, and reading back every visible row of a measurement.
import type { ObjectStoreCatalog } from "../catalog/catalog.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import { readMeasurementParquet } from "../parquet/reader.ts";
import type { WalRecord } from "../wal/port.ts";

export function record(database: string, sequence: bigint, lines: readonly string[]): WalRecord {
  return {
    database,
    writeId: `w${sequence}`,
    receivedAtNs: 1_700_000_000_000_000_000n,
    sequence,
    precision: "ns",
    body: new TextEncoder().encode(lines.join("\n")),
  };
}

export interface VisibleRow {
  readonly key: string;
  readonly file: string;
  readonly seq: bigint;
  readonly values: Record<string, unknown>;
}

/** Every row of every catalog-listed file of a measurement, keyed `tag=v,...@time`. */
export async function visibleRows(
  store: ObjectStore,
  catalog: ObjectStoreCatalog,
  database: string,
  measurement: string,
): Promise<VisibleRow[]> {
  const out: VisibleRow[] = [];
  for (const p of await catalog.partitions(database, measurement, -(2n ** 63n), 2n ** 63n)) {
    for (const f of p.files) {
      const bytes = await store.get(f.key);
      if (bytes === undefined) throw new Error(`catalog lists missing file ${f.key}`);
      const t = await readMeasurementParquet(bytes);
      for (const r of t.rows) {
        const tags = t.tagKeys
          .map((k, i) => (r.tags[i] === null ? "" : `${k}=${r.tags[i]}`))
          .filter((s) => s !== "")
          .join(",");
        const values: Record<string, unknown> = {};
        t.fields.forEach((fd, i) => {
          if (r.values[i] !== null) values[fd.name] = r.values[i];
        });
        out.push({ key: `${tags}@${r.timeNs}`, file: f.key, seq: r.seq, values });
      }
    }
  }
  return out;
}
