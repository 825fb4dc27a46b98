import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { catalogSchemaPrefix, catalogVersionKey } from "../layout/keys.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import type { ObjectStore, PutOptions, PutResult } from "../objectstore/port.ts";
import { backoffMs, ObjectStoreCatalog } from "./catalog.ts";
import { decodeCatalogObject, encodeCatalogObject } from "./codec.ts";
import type { FileEntry } from "./port.ts";

const file = (key: string, day = 0n): FileEntry => ({
  key,
  level: 0,
  sizeBytes: 10,
  rowCount: 1,
  minTimeNs: day,
  maxTimeNs: day,
  minSeq: 1n,
  maxSeq: 2n,
  tagValues: new Map([["host", ["a", "b"]]]),
});

function catalog(store: ObjectStore, clock = new ManualClock(), prefix = "w") {
  return new ObjectStoreCatalog({ store, clock, ids: new SequentialIds(prefix), fieldTypesTtlMs: 1000 });
}

describe("catalog object codec", () => {
  it("round-trips and detects corruption", () => {
    const bytes = encodeCatalogObject("schema", 7n, "me", { a: [1, "ü"] });
    assert.deepEqual(decodeCatalogObject("k", bytes, "schema"), {
      kind: "schema",
      version: 7n,
      writer: "me",
      body: { a: [1, "ü"] },
    });
    const text = new TextDecoder().decode(bytes).replace("ü", "u");
    assert.notEqual(text, new TextDecoder().decode(bytes));
    assert.throws(() => decodeCatalogObject("k", new TextEncoder().encode(text), "schema"), /checksum/);
    assert.throws(() => decodeCatalogObject("k", bytes, "files"), /expected kind files/);
    assert.throws(() => decodeCatalogObject("k", new TextEncoder().encode("{}"), "schema"), /bad magic/);
  });
});

describe("backoff", () => {
  it("grows with the attempt, stays under 1 s and differs between writers", () => {
    assert.ok(backoffMs(1, "a") <= 10 && backoffMs(20, "a") < 1000);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffMs(8, `writer-${i}`)));
    assert.ok(spread.size > 10, `${spread.size} distinct delays`);
  });
});

describe("ObjectStoreCatalog", () => {
  it("fixes field types on first sight and keeps them", async () => {
    const c = catalog(new MemoryObjectStore());
    await c.ensureSchema(
      "db",
      new Map([["m", { tagKeys: ["h"], fields: new Map([["v", "float" as const]]) }]]),
    );
    const after = await c.ensureSchema(
      "db",
      new Map([
        [
          "m",
          {
            tagKeys: ["a", "v"],
            fields: new Map([
              ["v", "integer" as const],
              ["h", "float" as const],
              ["w", "string" as const],
            ]),
          },
        ],
      ]),
    );
    const m = after.measurements.get("m");
    assert.deepEqual(m?.tagKeys, ["a", "h"]);
    assert.deepEqual(
      [...(m?.fields ?? [])],
      [
        ["v", "float"],
        ["w", "string"],
      ],
    );
    assert.deepEqual(await c.databases(), ["db"]);
  });

  it("keeps concurrent updates from different writers (optimistic concurrency)", async () => {
    const store = new MemoryObjectStore();
    const writers = Array.from({ length: 6 }, (_, i) => catalog(store, new ManualClock(), `w${i}`));
    await Promise.all(
      writers.map((c, i) =>
        Promise.all([
          c.ensureSchema(
            "db",
            new Map([[`m${i}`, { tagKeys: [], fields: new Map([["v", "float" as const]]) }]]),
          ),
          c.commitFiles("db", "m", {
            add: [{ partition: { day: "2024-01-01", parts: [] }, file: file(`f${i}`) }],
            remove: [],
          }),
        ]),
      ),
    );
    const fresh = catalog(store);
    assert.equal((await fresh.measurements("db")).length, 6);
    const files = (await fresh.partitions("db", "m", 0n, 2n ** 62n)).flatMap((p) =>
      p.files.map((f) => f.key),
    );
    assert.deepEqual(files.sort(), ["f0", "f1", "f2", "f3", "f4", "f5"]);
  });

  it("commits a merge only while its inputs are listed", async () => {
    const c = catalog(new MemoryObjectStore());
    const p = { day: "2024-01-01", parts: [{ name: "host_bucket", value: "03" }] };
    await c.commitFiles("db", "m", {
      add: [
        { partition: p, file: file("a") },
        { partition: p, file: file("b") },
      ],
      remove: [],
    });
    const ok = await c.commitFiles("db", "m", {
      add: [{ partition: p, file: file("ab") }],
      remove: ["a", "b"],
      requireRemovedPresent: true,
    });
    assert.deepEqual(ok, { ok: true });
    const lost = await c.commitFiles("db", "m", {
      add: [{ partition: p, file: file("ab2") }],
      remove: ["a", "b"],
      requireRemovedPresent: true,
    });
    assert.deepEqual(lost, { ok: false, missing: ["a", "b"] });
    const parts = await c.partitions("db", "m", 0n, 2n ** 62n);
    assert.deepEqual(
      parts.map((x) => [x.day, x.parts, x.files.map((f) => f.key)]),
      [["2024-01-01", { host_bucket: "03" }, ["ab"]]],
    );
    assert.deepEqual(parts[0]?.files[0]?.tagValues, new Map([["host", ["a", "b"]]]));
  });

  it("takes a put whose reply was lost and whose retry hit its own version as committed", async () => {
    const inner = new MemoryObjectStore();
    // Like the SDK retrying a timed-out PutObject: the first attempt lands, the retry sees 412.
    const retrying: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
      conditionalWrites: true,
      async put(key: string, body: Uint8Array, options?: PutOptions): Promise<PutResult> {
        const first = await inner.put(key, body, options);
        if (!first.ok) return first;
        return inner.put(key, body, options);
      },
    });
    const c = catalog(retrying);
    const p = { day: "2024-01-01", parts: [] };
    await c.commitFiles("db", "m", { add: [{ partition: p, file: file("a") }], remove: [] });
    const merged = await c.commitFiles("db", "m", {
      add: [{ partition: p, file: file("merged") }],
      remove: ["a"],
      requireRemovedPresent: true,
    });
    assert.deepEqual(merged, { ok: true }, "not mistaken for a lost race (which would delete the output)");
    const parts = await c.partitions("db", "m", 0n, 2n ** 62n);
    assert.deepEqual(
      parts.flatMap((x) => x.files.map((f) => f.key)),
      ["merged"],
    );
  });

  it("selects partitions by day overlap", async () => {
    const c = catalog(new MemoryObjectStore());
    const day = (d: string) => ({ day: d, parts: [] });
    await c.commitFiles("db", "m", {
      add: [
        { partition: day("2024-01-01"), file: file("x") },
        { partition: day("2024-01-03"), file: file("y") },
      ],
      remove: [],
    });
    const jan2 = BigInt(Date.parse("2024-01-02T00:00:00Z")) * 1_000_000n;
    const got = await c.partitions("db", "m", jan2, jan2 + 86_400_000_000_000n);
    assert.deepEqual(
      got.map((p) => p.day),
      ["2024-01-03"],
    );
    const edge = await c.partitions("db", "m", jan2 - 1n, jan2 - 1n);
    assert.deepEqual(
      edge.map((p) => p.day),
      ["2024-01-01"],
    );
  });

  it("caches field types for the TTL on the injected clock", async () => {
    const store = new MemoryObjectStore();
    const clock = new ManualClock();
    const reader = catalog(store, clock);
    const writer = catalog(store, clock, "x");
    await writer.ensureSchema(
      "db",
      new Map([["m", { tagKeys: [], fields: new Map([["a", "float" as const]]) }]]),
    );
    assert.deepEqual([...((await reader.fieldTypes("db")).get("m") ?? [])], [["a", "float"]]);
    await writer.ensureSchema(
      "db",
      new Map([["m", { tagKeys: [], fields: new Map([["b", "boolean" as const]]) }]]),
    );
    assert.equal((await reader.fieldTypes("db")).get("m")?.size, 1, "cached");
    clock.advanceMs(1001);
    assert.equal((await reader.fieldTypes("db")).get("m")?.size, 2, "refreshed after the TTL");
  });

  it("prunes old versions but stays readable", async () => {
    const store = new MemoryObjectStore();
    const c = new ObjectStoreCatalog({
      store,
      clock: new ManualClock(),
      ids: new SequentialIds("w"),
      keepVersions: 4,
    });
    for (let i = 0; i < 40; i++)
      await c.ensureSchema(
        "db",
        new Map([[`m${i}`, { tagKeys: [], fields: new Map([["v", "float" as const]]) }]]),
      );
    const versions = await store.list(catalogSchemaPrefix("db"));
    assert.ok(versions.length < 20, `${versions.length} versions kept`);
    assert.equal((await catalog(store).measurements("db")).length, 40);
  });

  it("detects a lost update by reading back where the store ignores conditions", async () => {
    const inner = new MemoryObjectStore();
    let hijack = true;
    const store: ObjectStore = {
      conditionalWrites: false,
      get: (k) => inner.get(k),
      getRange: (k, a, b) => inner.getRange(k, a, b),
      head: (k) => inner.head(k),
      list: (p) => inner.list(p),
      delete: (ks) => inner.delete(ks),
      async put(key: string, body: Uint8Array, options?: PutOptions): Promise<PutResult> {
        const r = await inner.put(key, body, { contentType: options?.contentType });
        // Another writer overwrites the same version right after our put (what an emulator allows).
        if (hijack && key === catalogVersionKey(catalogSchemaPrefix("db"), 1n)) {
          hijack = false;
          await inner.put(
            key,
            encodeCatalogObject("schema", 1n, "intruder", { database: "db", measurements: [] }),
          );
        }
        return r;
      },
    };
    const c = catalog(store);
    await c.ensureSchema("db", new Map([["m", { tagKeys: [], fields: new Map([["v", "float" as const]]) }]]));
    assert.deepEqual(
      (await catalog(store).measurements("db")).map((m) => m.name),
      ["m"],
    );
  });
});

describe("sort key in the schema", () => {
  const putSchema = (store: MemoryObjectStore, measurement: Record<string, unknown>) =>
    store.put(
      catalogVersionKey(catalogSchemaPrefix("db"), 1n),
      encodeCatalogObject("schema", 1n, "old", {
        database: "db",
        measurements: [{ fields: { v: "float" }, template: { parts: [] }, ...measurement }],
      }),
    );

  it("fixes the proposed order for a new measurement, appending later tags alphabetically", async () => {
    const c = catalog(new MemoryObjectStore());
    let asked = 0;
    const sortKey = () => {
      asked++;
      return ["host", "nope", "dc"];
    };
    const first = await c.ensureSchema(
      "db",
      new Map([
        ["m", { tagKeys: ["dc", "host", "az"], fields: new Map([["v", "float" as const]]), sortKey }],
      ]),
    );
    // "nope" is not a tag key; "az" was not in the proposal and goes after, alphabetically.
    assert.deepEqual(first.measurements.get("m")?.sortKey, ["host", "dc", "az"]);
    const later = await c.ensureSchema(
      "db",
      new Map([["m", { tagKeys: ["zone", "app", "host"], fields: new Map(), sortKey }]]),
    );
    assert.deepEqual(later.measurements.get("m")?.sortKey, ["host", "dc", "az", "app", "zone"]);
    assert.deepEqual(later.measurements.get("m")?.tagKeys, ["app", "az", "dc", "host", "zone"]);
    assert.equal(asked, 1, "the preferred order is asked only while the measurement is new");
  });

  it("reads a schema written before sort keys as alphabetical and extends it after the old keys", async () => {
    const store = new MemoryObjectStore();
    await putSchema(store, { name: "m", tagKeys: ["dc", "host"] });
    const c = catalog(store);
    assert.deepEqual((await c.schema("db")).measurements.get("m")?.sortKey, ["dc", "host"]);
    const after = await c.ensureSchema(
      "db",
      new Map([["m", { tagKeys: ["az"], fields: new Map(), sortKey: () => ["az"] }]]),
    );
    assert.deepEqual(after.measurements.get("m")?.sortKey, ["dc", "host", "az"]);
    assert.deepEqual(await catalog(store).schema("db"), after, "the extended key round-trips");
  });

  for (const [name, sortKey] of [
    ["a key that is no tag", ["dc", "zz"]],
    ["a missing key", ["dc"]],
    ["a repeated key", ["dc", "dc"]],
    ["not an array", "dc,host"],
  ] as const) {
    it(`rejects a stored sort key with ${name}`, async () => {
      const store = new MemoryObjectStore();
      await putSchema(store, { name: "m", tagKeys: ["dc", "host"], sortKey });
      await assert.rejects(catalog(store).schema("db"), /sort key of "m" is not an ordering of its tag keys/);
    });
  }
});
