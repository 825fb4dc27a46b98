// Test decorator: counts every call per operation and fails the ones a test chooses (Mimir's error-injected bucket).
import { InjectedFaultError } from "./errors.ts";
import type { ObjectInfo, ObjectStore, PutOptions, PutResult } from "./port.ts";

export type ObjectStoreOp = "get" | "getRange" | "head" | "put" | "list" | "delete";

export interface ObjectStoreCall {
  readonly op: ObjectStoreOp;
  /** The key (get, getRange, head, put), the prefix (list) or the first key (delete). */
  readonly key: string | undefined;
  /** [start, end) for getRange. */
  readonly range?: readonly [number, number];
}

export type FaultPredicate = (call: ObjectStoreCall) => boolean;

export class FaultyObjectStore implements ObjectStore {
  /** Calls made per operation, including failed ones. */
  readonly calls: Record<ObjectStoreOp, number> = {
    get: 0,
    getRange: 0,
    head: 0,
    put: 0,
    list: 0,
    delete: 0,
  };
  /** Every call in order. */
  readonly log: ObjectStoreCall[] = [];
  private readonly pending = new Map<ObjectStoreOp, number>();
  private predicate: FaultPredicate | undefined;

  constructor(private readonly inner: ObjectStore) {}

  get conditionalWrites(): boolean {
    return this.inner.conditionalWrites;
  }

  /** The next `count` calls of `op` throw InjectedFaultError without reaching the inner store. */
  failNext(op: ObjectStoreOp, count = 1): this {
    this.pending.set(op, (this.pending.get(op) ?? 0) + count);
    return this;
  }

  /** Every call for which `predicate` is true fails until `clearFaults`. */
  failWhen(predicate: FaultPredicate): this {
    this.predicate = predicate;
    return this;
  }

  clearFaults(): this {
    this.pending.clear();
    this.predicate = undefined;
    return this;
  }

  resetCounts(): this {
    for (const op of Object.keys(this.calls) as ObjectStoreOp[]) this.calls[op] = 0;
    this.log.length = 0;
    return this;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.call({ op: "get", key }, () => this.inner.get(key));
  }

  getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return this.call({ op: "getRange", key, range: [start, end] }, () =>
      this.inner.getRange(key, start, end),
    );
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.call({ op: "head", key }, () => this.inner.head(key));
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<PutResult> {
    return this.call({ op: "put", key }, () => this.inner.put(key, body, options));
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.call({ op: "list", key: prefix }, () => this.inner.list(prefix));
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.call({ op: "delete", key: keys[0] }, () => this.inner.delete(keys));
  }

  private async call<T>(call: ObjectStoreCall, run: () => Promise<T>): Promise<T> {
    this.calls[call.op] += 1;
    this.log.push(call);
    const left = this.pending.get(call.op) ?? 0;
    if (left > 0) {
      this.pending.set(call.op, left - 1);
      throw new InjectedFaultError(call.op, call.key);
    }
    if (this.predicate?.(call)) throw new InjectedFaultError(call.op, call.key);
    return run();
  }
}
