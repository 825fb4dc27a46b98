// ObjectStore on a local directory: each key is a file under the root; puts are atomic (temp + fsync + rename)
// and durable once they resolve (the new name's folder, and every folder the put created, are fsync'ed).
// ifNoneMatch is truly conditional (link(2) fails if the name exists); ifMatch compares content hashes under
// an in-process lock, so it is only safe with one writing process per root.
import type { BigIntStats } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { IdSource } from "../core/clock.ts";
import { randomIds } from "../core/clock.ts";
import { compareKeys, InvalidKeyError, NotFoundError, ObjectStoreError, validateKey } from "./errors.ts";
import { contentEtag } from "./memory.ts";
import type { ObjectInfo, ObjectStore, PutOptions, PutResult } from "./port.ts";

/** Temp files live here, under the root, so rename never crosses a file system. Keys may not use it. */
const TEMP_DIR = ".sediment-tmp";

interface CachedEtag {
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly etag: string;
}

export interface FsObjectStoreOptions {
  /** Flushes a directory's entries to disk; replaceable so tests can see which folders a put made durable. */
  readonly syncDir?: (dir: string) => Promise<void>;
}

export class FsObjectStore implements ObjectStore {
  readonly conditionalWrites = true;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly etags = new Map<string, CachedEtag>();
  private readonly syncDir: (dir: string) => Promise<void>;

  constructor(
    readonly root: string,
    private readonly ids: IdSource = randomIds,
    options: FsObjectStoreOptions = {},
  ) {
    this.syncDir = options.syncDir ?? syncDir;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    try {
      return new Uint8Array(await readFile(path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.fail("get", key, error);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const path = this.pathOf(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError("getRange", key, `directory ${this.root}`);
      throw this.fail("getRange", key, error);
    }
    try {
      const size = (await handle.stat()).size;
      const length = Math.max(0, Math.min(end, size) - start);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? out : out.subarray(0, done);
    } catch (error) {
      throw this.fail("getRange", key, error);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key);
    let stats: BigIntStats;
    try {
      stats = await stat(path, { bigint: true });
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.fail("head", key, error);
    }
    if (!stats.isFile()) return undefined;
    const etag = await this.etagOf(key, path, stats);
    return { key, size: Number(stats.size), etag, lastModifiedMs: Number(stats.mtimeMs) };
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const path = this.pathOf(key);
    return await this.withLock(key, async (): Promise<PutResult> => {
      if (options.ifMatch !== undefined) {
        const current = await this.head(key);
        if (current?.etag !== options.ifMatch) return { ok: false, reason: "precondition-failed" };
      }
      const temp = await this.writeTemp(key, body);
      try {
        const placed = await this.place(key, temp, path, options.ifNoneMatch === true);
        if (!placed) return { ok: false, reason: "already-exists" };
      } finally {
        await rm(temp, { force: true });
      }
      const etag = contentEtag(body);
      const stats = await stat(path, { bigint: true });
      this.etags.set(key, { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, etag });
      return { ok: true, etag };
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf("/");
    const dirKey = slash < 0 ? "" : prefix.slice(0, slash);
    const segments = dirKey === "" ? [] : dirKey.split("/");
    if (segments.some((s) => s === "" || s === "." || s === "..")) return [];
    const out: ObjectInfo[] = [];
    await this.walk(join(this.root, ...segments), dirKey === "" ? "" : `${dirKey}/`, prefix, out);
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const path = this.pathOf(key);
      await this.withLock(key, async () => {
        try {
          await rm(path);
        } catch (error) {
          if (!isMissing(error)) throw this.fail("delete", key, error);
        }
        this.etags.delete(key);
      });
      await this.pruneEmptyDirs(dirname(path));
    }
  }

  private pathOf(key: string): string {
    validateKey(key);
    const segments = key.split("/");
    if (segments[0] === TEMP_DIR) throw new InvalidKeyError(key, `the folder "${TEMP_DIR}" is reserved`);
    return join(this.root, ...segments);
  }

  private async writeTemp(key: string, body: Uint8Array): Promise<string> {
    const dir = join(this.root, TEMP_DIR);
    const temp = join(dir, `${this.ids.next()}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(body);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      return temp;
    } catch (error) {
      await rm(temp, { force: true });
      throw this.fail("put", key, error);
    }
  }

  /**
   * Moves the temp file to its key. Retries when a concurrent delete pruned the parent folder meanwhile.
   * A new name survives a crash only if its folder is fsync'ed, and a new folder only if its parent is: so
   * the key's folder is synced after the rename, and so is the parent of every folder mkdir created.
   */
  private async place(key: string, temp: string, path: string, createOnly: boolean): Promise<boolean> {
    const dir = dirname(path);
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await mkdir(dir, { recursive: true });
        if (createOnly) await link(temp, path);
        else await rename(temp, path);
        await this.syncDir(dir);
        if (created !== undefined) {
          // `created` is the topmost new folder; the ones below it down to `dir` are new as well.
          const top = dirname(created);
          for (let parent = dirname(dir); ; parent = dirname(parent)) {
            await this.syncDir(parent);
            if (parent.length <= top.length || parent === dirname(parent)) break;
          }
        }
        return true;
      } catch (error) {
        const code = errorCode(error);
        if (createOnly && code === "EEXIST") return false;
        if (code === "ENOENT" && attempt < 3) continue;
        throw this.fail("put", key, error);
      }
    }
  }

  private async etagOf(key: string, path: string, stats: BigIntStats): Promise<string> {
    const cached = this.etags.get(key);
    if (
      cached !== undefined &&
      cached.ino === stats.ino &&
      cached.size === stats.size &&
      cached.mtimeNs === stats.mtimeNs
    )
      return cached.etag;
    const etag = contentEtag(await readFile(path));
    this.etags.set(key, { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, etag });
    return etag;
  }

  private async walk(dir: string, keyPrefix: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw this.fail("list", prefix, error);
    }
    for (const entry of entries) {
      const key = keyPrefix + entry.name;
      if (keyPrefix === "" && entry.name === TEMP_DIR) continue;
      if (entry.isDirectory()) {
        // Descend only where keys can still start with the prefix.
        const folder = `${key}/`;
        if (folder.startsWith(prefix) || prefix.startsWith(folder))
          await this.walk(join(dir, entry.name), folder, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          const stats = await stat(join(dir, entry.name));
          out.push({ key, size: stats.size, lastModifiedMs: stats.mtimeMs });
        } catch (error) {
          if (!isMissing(error)) throw this.fail("list", prefix, error);
        }
      }
    }
  }

  private async pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current.length > this.root.length && current.startsWith(this.root)) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }

  private withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return run;
  }

  private fail(operation: string, key: string, cause: unknown): ObjectStoreError {
    if (cause instanceof ObjectStoreError) return cause;
    const code = errorCode(cause) ?? "error";
    return new ObjectStoreError(
      `${operation} of "${key}" under ${this.root} failed (${code}): check the directory exists, is writable and has free space`,
      operation,
      key,
      { cause },
    );
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "ENOTDIR";
}
