// In-memory ObjectStore for tests and single-process use: enforces conditions, copies bytes in and out.
import { createHash } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { systemClock } from "../core/clock.ts";
import { compareKeys, NotFoundError, validateKey } from "./errors.ts";
import type { ObjectInfo, ObjectStore, PutOptions, PutResult } from "./port.ts";

interface StoredObject {
  readonly bytes: Uint8Array;
  readonly etag: string;
  readonly lastModifiedMs: number;
}

export function contentEtag(bytes: Uint8Array): string {
  return `"${createHash("md5").update(bytes).digest("hex")}"`;
}

export class MemoryObjectStore implements ObjectStore {
  readonly conditionalWrites = true;
  private readonly objects = new Map<string, StoredObject>();

  constructor(private readonly clock: Clock = systemClock) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    validateKey(key);
    const object = this.objects.get(key);
    return object === undefined ? undefined : object.bytes.slice();
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    validateKey(key);
    const object = this.objects.get(key);
    if (object === undefined) throw new NotFoundError("getRange", key, "memory store");
    return object.bytes.slice(start, Math.max(start, end));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    const object = this.objects.get(key);
    return object === undefined ? undefined : info(key, object);
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    const current = this.objects.get(key);
    if (options.ifNoneMatch && current !== undefined) return { ok: false, reason: "already-exists" };
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch)
      return { ok: false, reason: "precondition-failed" };
    const etag = contentEtag(body);
    this.objects.set(key, { bytes: body.slice(), etag, lastModifiedMs: this.clock.nowMs() });
    return { ok: true, etag };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    for (const [key, object] of this.objects) if (key.startsWith(prefix)) out.push(info(key, object));
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      validateKey(key);
      this.objects.delete(key);
    }
  }
}

function info(key: string, object: StoredObject): ObjectInfo {
  return { key, size: object.bytes.length, etag: object.etag, lastModifiedMs: object.lastModifiedMs };
}
