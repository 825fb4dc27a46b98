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
