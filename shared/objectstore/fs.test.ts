import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { objectStoreContract } from "./contract.ts";
import { FsObjectStore } from "./fs.ts";

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), "sediment-fs-store-"));
}

objectStoreContract(
  "fs",
  async () => {
    const root = await tempRoot();
    return { store: new FsObjectStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  { conditional: true, manyKeys: 300, largeObject: true },
);

describe("FsObjectStore specifics", () => {
  it("leaves no temp files behind and prunes empty folders on delete", async () => {
    const root = await tempRoot();
    try {
      const store = new FsObjectStore(root);
      await store.put("a/b/c/d.bin", new Uint8Array([1, 2, 3]));
      await store.put("a/b/c/d.bin", new Uint8Array([4]), { ifNoneMatch: true });
      assert.deepEqual(await readdir(join(root, ".sediment-tmp")), []);
      await store.delete(["a/b/c/d.bin"]);
      assert.deepEqual(
        (await readdir(root)).filter((n) => n !== ".sediment-tmp"),
        [],
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  // Whether a crash keeps the file cannot be tested without cutting power; what can be checked is that every
  // folder whose entries changed is flushed before the put resolves.
  it("fsyncs the key's folder and the parent of every folder a put created", async () => {
    const root = await tempRoot();
    try {
      const synced: string[] = [];
      const store = new FsObjectStore(root, undefined, {
        syncDir: async (dir) => {
          synced.push(dir);
        },
      });
      await store.put("a/b/c/x.bin", new Uint8Array([1]));
      assert.deepEqual(synced, [join(root, "a", "b", "c"), join(root, "a", "b"), join(root, "a"), root]);
      synced.length = 0;
      await store.put("a/b/c/y.bin", new Uint8Array([2]));
      assert.deepEqual(synced, [join(root, "a", "b", "c")]);
      synced.length = 0;
      await store.put("a/d/z.bin", new Uint8Array([3]), { ifNoneMatch: true });
      assert.deepEqual(synced, [join(root, "a", "d"), join(root, "a")]);
      synced.length = 0;
      await store.put("top.bin", new Uint8Array([4]));
      assert.deepEqual(synced, [root]);
      const reader = new FsObjectStore(root);
      assert.deepEqual(await reader.get("a/b/c/x.bin"), new Uint8Array([1]));
      assert.deepEqual(await reader.get("a/d/z.bin"), new Uint8Array([3]));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("puts into new folders with the real directory fsync", async () => {
    const root = await tempRoot();
    try {
      const store = new FsObjectStore(root);
      await store.put("p/q/r/s.bin", new Uint8Array([7, 8]));
      assert.deepEqual(await new FsObjectStore(root).get("p/q/r/s.bin"), new Uint8Array([7, 8]));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("refuses keys inside its reserved temp folder", async () => {
    const root = await tempRoot();
    try {
      const store = new FsObjectStore(root);
      await assert.rejects(store.put(".sediment-tmp/x", new Uint8Array(1)), /reserved/);
      assert.deepEqual(await store.list(""), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("computes the etag of a file written by another process the same as a put would", async () => {
    const root = await tempRoot();
    try {
      const writer = new FsObjectStore(root);
      const put = await writer.put("e/x", new Uint8Array([9, 9, 9]));
      const reader = new FsObjectStore(root);
      assert.ok(put.ok);
      assert.equal((await reader.head("e/x"))?.etag, put.etag);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
