// Fault injection for WAL tests: a WalWriter wrapper, and SDK middleware that makes SendMessageBatch entries
// fail the way SQS reports partial failures (listed under Failed, not sent).
import type {
  SendMessageBatchCommandInput,
  SendMessageBatchCommandOutput,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { WalUnavailableError } from "./errors.ts";
import type { WalRecord, WalWriter } from "./port.ts";

export class FaultyWalWriter implements WalWriter {
  appendCalls = 0;
  private failures = 0;

  constructor(private readonly inner: WalWriter) {}

  /** The next `count` appends throw WalUnavailableError without reaching the inner writer. */
  failNext(count = 1): this {
    this.failures += count;
    return this;
  }

  async append(records: readonly WalRecord[]): Promise<void> {
    this.appendCalls += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new WalUnavailableError("injected WAL append failure");
    }
    await this.inner.append(records);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Decides per SendMessageBatch entry (in the order seen across calls) whether SQS should report it failed. */
export type EntryFault = (entry: {
  readonly id: string;
  readonly body: string;
  readonly seen: number;
}) => boolean;

export interface SqsFaults {
  /** SendMessageBatch calls made, entries offered, entries failed on purpose. */
  readonly counts: { calls: number; entries: number; failed: number };
  /** The next `count` entries offered fail (retries are new offers). */
  failNextEntries(count: number): void;
  /** Entries matching the predicate fail, until cleared. */
  failWhen(predicate: EntryFault | undefined): void;
}

/** Adds fault-injecting middleware to a real SQSClient. */
export function injectSqsFaults(client: SQSClient): SqsFaults {
  let next = 0;
  let predicate: EntryFault | undefined;
  const counts = { calls: 0, entries: 0, failed: 0 };
  client.middlewareStack.add(
    (handler, context) => async (args) => {
      if (context.commandName !== "SendMessageBatchCommand") return handler(args);
      counts.calls += 1;
      const input = args.input as SendMessageBatchCommandInput;
      const keep: NonNullable<SendMessageBatchCommandInput["Entries"]> = [];
      const failed: NonNullable<SendMessageBatchCommandOutput["Failed"]> = [];
      for (const entry of input.Entries ?? []) {
        counts.entries += 1;
        const fail =
          next > 0 ||
          (predicate?.({ id: entry.Id ?? "", body: entry.MessageBody ?? "", seen: counts.entries }) ?? false);
        if (next > 0) next -= 1;
        if (fail) {
          counts.failed += 1;
          failed.push({ Id: entry.Id, Code: "InternalError", SenderFault: false, Message: "injected fault" });
        } else keep.push(entry);
      }
      if (keep.length === 0) {
        const output: SendMessageBatchCommandOutput = { Successful: [], Failed: failed, $metadata: {} };
        return { output, response: {} } as Awaited<ReturnType<typeof handler>>;
      }
      const result = await handler({ ...args, input: { ...input, Entries: keep } });
      const output = result.output as SendMessageBatchCommandOutput;
      return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...failed] } };
    },
    { step: "initialize", name: "sedimentSqsFaults" },
  );
  return {
    counts,
    failNextEntries: (count) => {
      next += count;
    },
    failWhen: (p) => {
      predicate = p;
    },
  };
}
