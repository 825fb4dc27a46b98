// The compactor's SQS batch step, independent of Lambda: decode each message, compact the batch, and name
// the messages to retry (partial batch failure).
import type { ObjectStore } from "../objectstore/port.ts";
import type { WalRecord } from "../wal/port.ts";
import type { CompactorDeps, PointRejection } from "./l0.ts";
import { compactRecords } from "./l0.ts";

export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
}

export interface BatchLog {
  error(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
  /** Counts of one batch, for metrics. */
  summary?(counts: BatchCounts): void;
}

export interface BatchCounts {
  readonly messages: number;
  readonly failed: number;
  readonly points: number;
  readonly files: number;
  readonly rejectedPoints: number;
}

export async function compactSqsBatch(
  messages: readonly SqsMessage[],
  decode: (body: string, store: ObjectStore) => Promise<WalRecord>,
  deps: CompactorDeps,
  log: BatchLog,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const failures: string[] = [];
  const records: { id: string; record: WalRecord }[] = [];
  for (const m of messages) {
    try {
      records.push({ id: m.messageId, record: await decode(m.body, deps.store) });
    } catch (cause) {
      failures.push(m.messageId);
      log.error("WAL message could not be decoded", { messageId: m.messageId, error: String(cause) });
    }
  }
  const result = await compactRecords(records, deps);
  for (const f of result.failed) {
    failures.push(f.id);
    log.error("WAL record not compacted; it will be retried", { messageId: f.id, error: f.error.message });
  }
  if (result.rejected.length > 0) log.warn("points rejected by the compactor", summarise(result.rejected));
  log.summary?.({
    messages: messages.length,
    failed: failures.length,
    points: result.points,
    files: result.files.length,
    rejectedPoints: result.rejected.length,
  });
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

function summarise(rejected: readonly PointRejection[]): Record<string, unknown> {
  return { count: rejected.length, first: rejected.slice(0, 5) };
}
