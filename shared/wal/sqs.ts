// The WAL on Amazon SQS. Each record is one message: the encoded record (codec.ts) in base64, or, when that
// would exceed the message limit, a pointer to a claim-check object holding the same bytes. Records are
// never split. Only this file imports the SQS SDK.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Clock, IdSource } from "../core/clock.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import { claimKey, parseClaimKey } from "./claims.ts";
import { decodeRecord, encodeRecordAsync } from "./codec.ts";
import { WalClaimMissingError, WalError, WalRecordRejectedError, WalUnavailableError } from "./errors.ts";
import type { WalDelivery, WalRecord, WalSource, WalWriter } from "./port.ts";

/** SQS's limit for one message and for one SendMessageBatch request. */
export const SQS_MAX_BATCH_BYTES = 1024 * 1024;
const SQS_MAX_BATCH_ENTRIES = 10;
/** Message bodies that start with this point at a claim check; base64 never contains ':'. */
export const CLAIM_PREFIX = "sdwl-claim:v1:";

export interface SqsWalWriterOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Where records too large for a message go (claim checks). */
  readonly store: ObjectStore;
  /** Names batch entries (so a failed entry can be traced in logs). */
  readonly ids: IdSource;
  /** Dates claim-check keys. */
  readonly clock: Clock;
  /** Largest message body sent inline; larger records take the claim-check path. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Attempts per batch entry before append gives up with WalUnavailableError. Default 5. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt. Default 50 ms. */
  readonly retryBaseMs?: number;
  /** SendMessageBatch requests in flight per append. Default 4. */
  readonly concurrency?: number;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Outgoing {
  readonly id: string;
  readonly body: string;
}

export class SqsWalWriter implements WalWriter {
  private readonly maxMessageBytes: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly concurrency: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Counters for tests and metrics. */
  readonly stats = { batches: 0, messages: 0, claims: 0, retries: 0 };

  constructor(private readonly options: SqsWalWriterOptions) {
    this.maxMessageBytes = Math.min(options.maxMessageBytes ?? SQS_MAX_BATCH_BYTES, SQS_MAX_BATCH_BYTES);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryBaseMs = options.retryBaseMs ?? 50;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async append(records: readonly WalRecord[]): Promise<void> {
    const messages = await Promise.all(records.map((record) => this.toMessage(record)));
    const batches = packBatches(messages);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++] as Outgoing[];
        await this.sendWithRetry(batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));
  }

  async close(): Promise<void> {}

  private async toMessage(record: WalRecord): Promise<Outgoing> {
    const id = entryId(this.options.ids.next());
    const body = Buffer.from(await encodeRecordAsync(record)).toString("base64");
    if (body.length <= this.maxMessageBytes) return { id, body };
    const key = claimKey(this.options.clock.nowMs(), record.writeId);
    let put: Awaited<ReturnType<ObjectStore["put"]>>;
    try {
      put = await this.options.store.put(key, Buffer.from(body, "base64"), {
        contentType: "application/vnd.sediment.wal-record",
      });
    } catch (cause) {
      throw new WalUnavailableError(`writing WAL claim check "${key}" failed: ${errorText(cause)}`, {
        cause,
      });
    }
    if (!put.ok) throw new WalUnavailableError(`writing WAL claim check "${key}" failed: ${put.reason}`);
    this.stats.claims += 1;
    return { id, body: CLAIM_PREFIX + key };
  }

  /** Sends one batch, re-sending only the entries SQS reports failed, with exponential backoff. */
  private async sendWithRetry(batch: readonly Outgoing[]): Promise<void> {
    let pending = batch;
    let reason = "";
    for (let attempt = 1; ; attempt++) {
      try {
        this.stats.batches += 1;
        const out = await this.options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: pending.map((m) => ({ Id: m.id, MessageBody: m.body })),
          }),
        );
        const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
        const sent = new Set((out.Successful ?? []).map((s) => s.Id));
        const senderFault = [...failed.values()].find((f) => f.SenderFault);
        if (senderFault)
          throw new WalRecordRejectedError(
            `SQS rejected a WAL message: ${senderFault.Code} ${senderFault.Message ?? ""}`.trim(),
          );
        const remaining = pending.filter((m) => failed.has(m.id) || !sent.has(m.id));
        this.stats.messages += pending.length - remaining.length;
        if (remaining.length > 0) {
          const first = failed.get(remaining[0]?.id);
          reason = `${remaining.length} entries failed (${first?.Code ?? "not acknowledged"})`;
        }
        pending = remaining;
      } catch (cause) {
        if (cause instanceof WalRecordRejectedError) throw cause;
        reason = errorText(cause);
      }
      if (pending.length === 0) return;
      if (attempt >= this.maxAttempts)
        throw new WalUnavailableError(
          `SQS did not accept ${pending.length} of ${batch.length} WAL messages after ${attempt} attempts (${reason}); the write was not acknowledged, retry it`,
        );
      this.stats.retries += 1;
      await this.sleep(this.retryBaseMs * 2 ** (attempt - 1));
    }
  }
}

/**
 * Greedy packing in order: a new batch starts at 10 entries or when the next body would take the request
 * past 1 MiB. Every body is at most maxMessageBytes (<= 1 MiB), so each fits in some batch.
 */
export function packBatches<T extends { readonly body: string }>(messages: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body, "utf8");
    if (
      current.length > 0 &&
      (current.length >= SQS_MAX_BATCH_ENTRIES || bytes + size > SQS_MAX_BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Decodes one SQS message body back into its record, fetching the claim check when it is a pointer. */
export async function decodeWalMessage(body: string, store: ObjectStore): Promise<WalRecord> {
  if (body.startsWith(CLAIM_PREFIX)) {
    const key = body.slice(CLAIM_PREFIX.length);
    parseClaimKey(key);
    const bytes = await store.get(key);
    if (bytes === undefined) throw new WalClaimMissingError(key);
    return decodeRecord(bytes);
  }
  return decodeRecord(Buffer.from(body, "base64"));
}

export interface SqsWalSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly store: ObjectStore;
  /** Long-poll wait of the first ReceiveMessage per receive() (0-20 s). Default 20. */
  readonly waitTimeSeconds?: number;
  /** Overrides the queue's visibility timeout for received messages. */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Called for a message that does not decode. It is left in flight: after the visibility timeout it is
   * redelivered, and the queue's redrive policy moves it to the dead-letter queue.
   */
  readonly onUndecodable?: (messageId: string, error: Error) => void;
}

export class SqsWalSource implements WalSource {
  constructor(private readonly options: SqsWalSourceOptions) {}

  async receive(max: number): Promise<WalDelivery[]> {
    const out: WalDelivery[] = [];
    let first = true;
    while (out.length < max) {
      const want = Math.min(SQS_MAX_BATCH_ENTRIES, max - out.length);
      const response = await this.options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: want,
          WaitTimeSeconds: first ? (this.options.waitTimeSeconds ?? 20) : 0,
          MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          ...(this.options.visibilityTimeoutSeconds === undefined
            ? {}
            : { VisibilityTimeout: this.options.visibilityTimeoutSeconds }),
        }),
      );
      first = false;
      const messages = response.Messages ?? [];
      for (const message of messages) {
        if (message.ReceiptHandle === undefined || message.Body === undefined) continue;
        try {
          const record = await decodeWalMessage(message.Body, this.options.store);
          const count = Number(message.Attributes?.ApproximateReceiveCount ?? "1");
          out.push({ id: message.ReceiptHandle, record, receiveCount: Number.isFinite(count) ? count : 1 });
        } catch (error) {
          if (!(error instanceof WalError)) throw error;
          this.options.onUndecodable?.(message.MessageId ?? "?", error);
        }
      }
      if (messages.length < want) break;
    }
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    await this.inChunks(ids, "delete", async (entries) => {
      const out = await this.options.client.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
      );
      return out.Failed ?? [];
    });
  }

  async release(ids: readonly string[]): Promise<void> {
    await this.inChunks(ids, "release", async (entries) => {
      const out = await this.options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: entries.map((e) => ({ ...e, VisibilityTimeout: 0 })),
        }),
      );
      return out.Failed ?? [];
    });
  }

  async close(): Promise<void> {}

  private async inChunks(
    ids: readonly string[],
    what: string,
    send: (
      entries: { Id: string; ReceiptHandle: string }[],
    ) => Promise<{ Code?: string; Message?: string }[]>,
  ): Promise<void> {
    for (let i = 0; i < ids.length; i += SQS_MAX_BATCH_ENTRIES) {
      const entries = ids
        .slice(i, i + SQS_MAX_BATCH_ENTRIES)
        .map((ReceiptHandle, n) => ({ Id: `m${n}`, ReceiptHandle }));
      let failed: { Code?: string; Message?: string }[];
      try {
        failed = await send(entries);
      } catch (cause) {
        throw new WalUnavailableError(
          `SQS ${what} of ${entries.length} WAL messages failed: ${errorText(cause)}`,
          {
            cause,
          },
        );
      }
      if (failed.length > 0)
        throw new WalUnavailableError(
          `SQS ${what} failed for ${failed.length} of ${entries.length} WAL messages (${failed[0]?.Code}: ${failed[0]?.Message ?? ""}); they will be redelivered`,
        );
    }
  }
}

/** SendMessageBatch entry ids: up to 80 of [A-Za-z0-9_-]. */
function entryId(raw: string): string {
  return raw.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80);
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
