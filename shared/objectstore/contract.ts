// The behaviour every ObjectStore adapter must share, as a test suite each adapter's tests run against itself.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { InvalidKeyError, NotFoundError } from "./errors.ts";
import type { ObjectStore } from "./port.ts";

export interface ContractOptions {
  /** Run the conditional-write cases, or skip them with this reason. */
  readonly conditional: true | { readonly skip: string };
  /** Number of keys for the listing/deletion case (above 1,000 exercises S3 pagination and delete chunks). */
  readonly manyKeys?: number;
  /** Put and read back an object above 8 MiB (multipart on S3). */
  readonly largeObject?: boolean;
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

export function objectStoreContract(
  name: string,
  setup: () => Promise<{ store: ObjectStore; cleanup?: () => Promise<void> }>,
  options: ContractOptions,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let cleanup: (() => Promise<void>) | undefined;
    before(async () => {
      ({ store, cleanup } = await setup());
    });
    after(async () => {
      await cleanup?.();
    });

    it("answers undefined for a missing key on get and head, and NotFoundError on getRange", async () => {
      assert.equal(await store.get("missing/a.bin"), undefined);
      assert.equal(await store.head("missing/a.bin"), undefined);
      await assert.rejects(store.getRange("missing/a.bin", 0, 4), NotFoundError);
    });

    it("reads back exactly the bytes put, for every byte value", async () => {
      const body = new Uint8Array(512).map((_, i) => i % 256);
      const put = await store.put("exact/all-bytes.bin", body);
      assert.equal(put.ok, true);
      assert.deepEqual(await store.get("exact/all-bytes.bin"), body);
      const info = await store.head("exact/all-bytes.bin");
      assert.equal(info?.size, 512);
      assert.equal(info?.key, "exact/all-bytes.bin");
      if (put.ok && put.etag !== undefined) assert.equal(info?.etag, put.etag);
    });

    it("does not let callers alias stored bytes", async () => {
      const body = bytes("immutable");
      await store.put("alias/a.txt", body);
      body[0] = 0;
      const read = await store.get("alias/a.txt");
      assert.ok(read);
      read[1] = 0;
      assert.deepEqual(await store.get("alias/a.txt"), bytes("immutable"));
    });

    it("replaces an object on an unconditional put", async () => {
      await store.put("replace/x.txt", bytes("first"));
      await store.put("replace/x.txt", bytes("second, longer"));
      assert.deepEqual(await store.get("replace/x.txt"), bytes("second, longer"));
    });

    it("reads byte ranges [start, end), clamping an end past the object", async () => {
      const body = new Uint8Array(1000).map((_, i) => (i * 7) % 256);
      await store.put("range/r.bin", body);
      assert.deepEqual(await store.getRange("range/r.bin", 0, 10), body.slice(0, 10));
      assert.deepEqual(await store.getRange("range/r.bin", 100, 200), body.slice(100, 200));
      assert.deepEqual(await store.getRange("range/r.bin", 992, 1000), body.slice(992));
      assert.deepEqual(await store.getRange("range/r.bin", 990, 5000), body.slice(990));
      assert.deepEqual(await store.getRange("range/r.bin", 5, 6), body.slice(5, 6));
      assert.equal((await store.getRange("range/r.bin", 10, 10)).length, 0);
    });

    it("lists keys under a prefix in ascending byte order, including a prefix ending mid-segment", async () => {
      const keys = [
        "list/db/cpu/day=2024-01-02/part b.parquet",
        "list/db/cpu/day=2024-01-01/part-1.parquet",
        "list/db/cpux/a.parquet",
        "list/db/mem/ü-é.parquet",
        "list/db/mem/z.parquet",
        "list/other.txt",
      ];
      for (const key of keys) await store.put(key, bytes(key));
      const all = await store.list("list/db/");
      assert.deepEqual(
        all.map((o) => o.key),
        [
          "list/db/cpu/day=2024-01-01/part-1.parquet",
          "list/db/cpu/day=2024-01-02/part b.parquet",
          "list/db/cpux/a.parquet",
          "list/db/mem/z.parquet",
          "list/db/mem/ü-é.parquet",
        ],
      );
      assert.deepEqual(
        all.map((o) => o.size),
        all.map((o) => bytes(o.key).length),
      );
      assert.deepEqual(
        (await store.list("list/db/cpu")).map((o) => o.key),
        [
          "list/db/cpu/day=2024-01-01/part-1.parquet",
          "list/db/cpu/day=2024-01-02/part b.parquet",
          "list/db/cpux/a.parquet",
        ],
      );
      assert.deepEqual(await store.list("list/nothing/"), []);
    });

    it("deletes keys, ignoring ones that do not exist", async () => {
      await store.put("del/a", bytes("a"));
      await store.put("del/b/c", bytes("c"));
      await store.delete(["del/a", "del/b/c", "del/never"]);
      assert.equal(await store.get("del/a"), undefined);
      assert.deepEqual(await store.list("del/"), []);
      await store.put("del/b/c", bytes("again"));
      assert.deepEqual(await store.get("del/b/c"), bytes("again"));
    });

    it("lists and deletes many keys", async () => {
      const count = options.manyKeys ?? 120;
      const keys = Array.from({ length: count }, (_, i) => `many/k-${String(i).padStart(5, "0")}`);
      for (let i = 0; i < keys.length; i += 50)
        await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, bytes(key))));
      const listed = await store.list("many/");
      assert.deepEqual(
        listed.map((o) => o.key),
        keys,
      );
      await store.delete(keys);
      assert.deepEqual(await store.list("many/"), []);
    });

    it("rejects keys that could escape their prefix", async () => {
      for (const key of ["", "/abs", "a/../b", "../up", "a//b", "a/./b", "dir/"])
        await assert.rejects(store.put(key, bytes("x")), InvalidKeyError, `key ${JSON.stringify(key)}`);
    });

    if (options.largeObject) {
      it("puts and reads back an object above 8 MiB", async () => {
        const body = new Uint8Array(12 * 1024 * 1024 + 17);
        for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) % 251;
        assert.equal((await store.put("large/big.bin", body)).ok, true);
        assert.equal((await store.head("large/big.bin"))?.size, body.length);
        const read = await store.get("large/big.bin");
        assert.ok(read);
        assert.equal(Buffer.compare(read, body), 0);
        assert.deepEqual(
          await store.getRange("large/big.bin", 9 * 1024 * 1024, 9 * 1024 * 1024 + 8192),
          body.slice(9 * 1024 * 1024, 9 * 1024 * 1024 + 8192),
        );
      });
    }

    const conditional = options.conditional === true ? {} : options.conditional;
    describe("conditional writes", conditional, () => {
      it("creates with ifNoneMatch only when the key is absent", async () => {
        assert.deepEqual((await store.put("cond/a", bytes("1"), { ifNoneMatch: true })).ok, true);
        assert.deepEqual(await store.put("cond/a", bytes("2"), { ifNoneMatch: true }), {
          ok: false,
          reason: "already-exists",
        });
        assert.deepEqual(await store.get("cond/a"), bytes("1"));
      });

      it("lets exactly one of many racing ifNoneMatch puts win", async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.put("cond/race", bytes(`w${i}`), { ifNoneMatch: true })),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
        assert.equal(winners.length, 1);
        assert.deepEqual(await store.get("cond/race"), bytes(`w${winners[0]}`));
      });

      it("replaces with ifMatch only when the etag is current", async () => {
        const first = await store.put("cond/m", bytes("v1"));
        assert.ok(first.ok);
        const etag = first.etag ?? (await store.head("cond/m"))?.etag;
        assert.ok(etag);
        const second = await store.put("cond/m", bytes("v2"), { ifMatch: etag });
        assert.equal(second.ok, true);
        assert.deepEqual(await store.put("cond/m", bytes("v3"), { ifMatch: etag }), {
          ok: false,
          reason: "precondition-failed",
        });
        assert.deepEqual(await store.get("cond/m"), bytes("v2"));
        assert.equal((await store.put("cond/absent", bytes("x"), { ifMatch: etag })).ok, false);
      });
    });
  });
}
