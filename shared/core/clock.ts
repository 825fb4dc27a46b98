// Injected sources of time and identity: core code never reads Date.now() or Math.random() itself.
import { randomUUID } from "node:crypto";

export interface Clock {
  /** Wall-clock time in nanoseconds since the Unix epoch. */
  nowNs(): bigint;
  /** Wall-clock time in milliseconds since the Unix epoch. */
  nowMs(): number;
}

export interface IdSource {
  /** A new unique id (UUID-shaped, safe in object keys). */
  next(): string;
}

export const systemClock: Clock = {
  nowNs: () => BigInt(Date.now()) * 1_000_000n,
  nowMs: () => Date.now(),
};

export const randomIds: IdSource = { next: () => randomUUID() };

/** A clock that only moves when told to, for tests. */
export class ManualClock implements Clock {
  constructor(private ns: bigint = 1_700_000_000_000_000_000n) {}
  nowNs(): bigint {
    return this.ns;
  }
  nowMs(): number {
    return Number(this.ns / 1_000_000n);
  }
  advanceMs(ms: number): void {
    this.ns += BigInt(ms) * 1_000_000n;
  }
  set(ns: bigint): void {
    this.ns = ns;
  }
}

/** Deterministic ids for tests: prefix-000001, prefix-000002, ... */
export class SequentialIds implements IdSource {
  private n = 0;
  constructor(private readonly prefix = "id") {}
  next(): string {
    this.n += 1;
    return `${this.prefix}-${String(this.n).padStart(6, "0")}`;
  }
}
