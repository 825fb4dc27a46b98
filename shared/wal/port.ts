// The write-ahead log port: the writer appends records, the compactor consumes and acknowledges them.
import type { Precision } from "../lineprotocol/types.ts";

export interface WalRecord {
  readonly database: string;
  /** Unique per write request. */
  readonly writeId: string;
  /** Server receive time (ns); points without a timestamp got this one. */
  readonly receivedAtNs: bigint;
  /** Orders writes: a higher sequence wins over a lower one for the same series, time and field. */
  readonly sequence: bigint;
  /** Precision the body was written with; parsing `body` with it and `receivedAtNs` gives the accepted points. */
  readonly precision: Precision;
  /** The accepted lines, as received, joined by "\n". */
  readonly body: Uint8Array;
}

export interface WalWriter {
  /**
   * Durably append every record, or throw WalUnavailableError having acknowledged none of them
   * as a whole (some may have landed; redelivery is harmless by last-write-wins).
   */
  append(records: readonly WalRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface WalDelivery {
  /** Opaque id used to acknowledge (SQS receipt handle or local segment position). */
  readonly id: string;
  readonly record: WalRecord;
  /** How many times this record has been delivered (1 on first delivery). */
  readonly receiveCount: number;
}

/** A pull-based consumer: the local server and the SQS poller feed the compactor from it. */
export interface WalSource {
  receive(max: number): Promise<WalDelivery[]>;
  /** Acknowledge records whose data is durable elsewhere; they are never delivered again. */
  ack(ids: readonly string[]): Promise<void>;
  /** Give records back for redelivery (after a failure). */
  release(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Records appended but not yet acknowledged by the compactor: local mode reads them for read-after-write. */
export interface WalTail {
  pending(database: string): Promise<WalRecord[]>;
}
