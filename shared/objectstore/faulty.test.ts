import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InjectedFaultError } from "./errors.ts";
import { FaultyObjectStore } from "./faulty.ts";
import { MemoryObjectStore } from "./memory.ts";

describe("FaultyObjectStore", () => {
  it("fails the next chosen calls without reaching the store, then recovers", async () => {
    const store = new FaultyObjectStore(new MemoryObjectStore()).failNext("put", 2);
    await assert.rejects(store.put("a", new Uint8Array([1])), InjectedFaultError);
    await assert.rejects(store.put("a", new Uint8Array([1])), InjectedFaultError);
    assert.equal(await store.get("a"), undefined);
    assert.equal((await store.put("a", new Uint8Array([1]))).ok, true);
    assert.deepEqual(store.calls, { get: 1, getRange: 0, head: 0, put: 3, list: 0, delete: 0 });
  });

  it("fails calls matching a predicate and logs ranges", async () => {
    const store = new FaultyObjectStore(new MemoryObjectStore());
    await store.put("x/1", new Uint8Array(10));
    store.failWhen((call) => call.key === "x/2");
    await assert.rejects(store.get("x/2"), InjectedFaultError);
    assert.equal((await store.getRange("x/1", 2, 5)).length, 3);
    assert.deepEqual(store.log.at(-1), { op: "getRange", key: "x/1", range: [2, 5] });
    store.clearFaults().resetCounts();
    assert.equal(await store.get("x/2"), undefined);
    assert.equal(store.calls.get, 1);
  });
});
