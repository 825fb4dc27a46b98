// Read-after-write for the local server: a CatalogReader that also knows the databases, measurements, tag
// keys and field types of WAL records not yet compacted, so a query right after a write finds them (the
// query engine reads the records themselves through the WalTail).
import type { CatalogReader, MeasurementEntry, PartitionEntry } from "../shared/catalog/port.ts";
import { compareUtf8 } from "../shared/lineprotocol/order.ts";
import type { FieldType, ParseOptions, ParseResult } from "../shared/lineprotocol/types.ts";
import type { WalRecord } from "../shared/wal/port.ts";

export interface PendingWal {
  pending(database: string): Promise<WalRecord[]>;
  pendingDatabases(): Promise<string[]>;
}

type Parse = (body: Uint8Array, options: ParseOptions) => ParseResult;

export class TailAwareCatalog implements CatalogReader {
  constructor(
    private readonly catalog: CatalogReader,
    private readonly wal: PendingWal,
    private readonly parse: Parse,
  ) {}

  async databases(): Promise<string[]> {
    const [compacted, pending] = await Promise.all([this.catalog.databases(), this.wal.pendingDatabases()]);
    return [...new Set([...compacted, ...pending])].sort(compareUtf8);
  }

  async measurements(database: string): Promise<MeasurementEntry[]> {
    const [compacted, records] = await Promise.all([
      this.catalog.measurements(database),
      this.wal.pending(database),
    ]);
    if (records.length === 0) return compacted;
    const merged = new Map<string, { tagKeys: Set<string>; fields: Map<string, FieldType> }>();
    for (const m of compacted) merged.set(m.name, { tagKeys: new Set(m.tagKeys), fields: new Map(m.fields) });
    for (const record of records) {
      const { points } = this.parse(record.body, {
        precision: record.precision,
        defaultTime: record.receivedAtNs,
      });
      for (const point of points) {
        let entry = merged.get(point.measurement);
        if (entry === undefined) {
          entry = { tagKeys: new Set(), fields: new Map() };
          merged.set(point.measurement, entry);
        }
        for (const key of point.tagKeys) entry.tagKeys.add(key);
        point.fieldKeys.forEach((key, i) => {
          const type = point.fieldTypes[i];
          // The compacted catalog's type is fixed first; the writer rejected conflicting points.
          if (type !== undefined && !entry.fields.has(key)) entry.fields.set(key, type);
        });
      }
    }
    return [...merged.entries()].map(([name, e]) => ({
      name,
      tagKeys: [...e.tagKeys].sort(compareUtf8),
      fields: e.fields,
    }));
  }

  partitions(
    database: string,
    measurement: string,
    minTimeNs: bigint,
    maxTimeNs: bigint,
  ): Promise<PartitionEntry[]> {
    return this.catalog.partitions(database, measurement, minTimeNs, maxTimeNs);
  }
}
