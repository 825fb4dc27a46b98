// Local compaction loop step: receive WAL records, compact them, ack what is durable, release the rest.
import type { WalSource } from "../wal/port.ts";
import type { CompactorDeps, CompactResult } from "./l0.ts";
import { compactRecords } from "./l0.ts";

export interface RunOnceResult extends CompactResult {
  readonly received: number;
}

export async function runCompactionOnce(
  source: WalSource,
  deps: CompactorDeps,
  maxRecords = 100,
): Promise<RunOnceResult> {
  const deliveries = await source.receive(maxRecords);
  if (deliveries.length === 0)
    return { received: 0, succeeded: [], failed: [], rejected: [], files: [], points: 0 };
  let result: CompactResult;
  try {
    result = await compactRecords(
      deliveries.map((d) => ({ id: d.id, record: d.record })),
      deps,
    );
  } catch (cause) {
    // compactRecords reports failures as values; this is a bug or an environment failure: retry them all.
    await source.release(deliveries.map((d) => d.id));
    throw cause;
  }
  if (result.succeeded.length > 0) await source.ack(result.succeeded);
  if (result.failed.length > 0) await source.release(result.failed.map((f) => f.id));
  return { received: deliveries.length, ...result };
}
