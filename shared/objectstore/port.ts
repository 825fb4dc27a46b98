// The one port every object-store adapter (S3, local disk, memory) implements. Only adapters do I/O.

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  readonly lastModifiedMs?: number;
}

export type PutResult =
  | { readonly ok: true; readonly etag?: string }
  /** An expected race, not an exception: the condition (if-none-match / if-match) did not hold. */
  | { readonly ok: false; readonly reason: "already-exists" | "precondition-failed" };

export interface PutOptions {
  /** Create only: fail with `already-exists` if the key exists. */
  readonly ifNoneMatch?: boolean;
  /** Replace only if the current ETag equals this. */
  readonly ifMatch?: string;
  readonly contentType?: string;
}

export interface ObjectStore {
  /** Whether put conditions are enforced (false on emulators that ignore them). */
  readonly conditionalWrites: boolean;
  get(key: string): Promise<Uint8Array | undefined>;
  /** Bytes [start, end) of the object. Throws NotFoundError if the key is missing. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  head(key: string): Promise<ObjectInfo | undefined>;
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<PutResult>;
  /** Every object under the prefix, keys in ascending order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(keys: readonly string[]): Promise<void>;
}
