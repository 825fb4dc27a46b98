import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ObjectStoreCatalog } from "../catalog/catalog.ts";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseDataFileKey } from "../layout/keys.ts";
import { bucketOf } from "../layout/partition.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { FaultyObjectStore } from "../objectstore/faulty.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { WalDelivery, WalSource } from "../wal/port.ts";
import type { CompactorDeps } from "./l0.ts";
import { compactRecords } from "./l0.ts";
import { executeMerge, runMerges } from "./merge.ts";
import { planMerges } from "./plan.ts";
import { runCompactionOnce } from "./runner.ts";
import { record, visibleRows } from "./testkit.ts";

function setup(store: ObjectStore = new MemoryObjectStore()) {
  const clock = new ManualClock();
  const ids = new SequentialIds("t");
  const catalog = new ObjectStoreCatalog({ store, clock, ids: new SequentialIds("w") });
  const deps: CompactorDeps = {
    store,
    catalog,
    ids,
    parse: parseLineProtocol,
    templateFor: (_db, m) =>
      m === "cpu" ? { parts: [{ kind: "bucket", tag: "host", buckets: 4 }] } : { parts: [] },
  };
  return { store, catalog, deps, clock };
}

const DAY1 = 1_700_000_000_000_000_000n; // 2023-11-14
const DAY2 = DAY1 + 86_400_000_000_000n;

describe("L0 compaction", () => {
  it("writes one sorted file per partition and lists it in the catalog", async () => {
    const { store, catalog, deps } = setup();
    const result = await compactRecords(
      [
        {
          id: "a",
          record: record("db", 1n, [`cpu,host=b v=1 ${DAY1}`, `cpu,host=a v=2 ${DAY1}`, `mem v=3i ${DAY2}`]),
        },
        { id: "b", record: record("db", 2n, [`cpu,host=a v=4 ${DAY2}`, `cpu,host=a v=5 ${DAY1 + 1n}`]) },
      ],
      deps,
    );
    assert.deepEqual(result.succeeded, ["a", "b"]);
    assert.deepEqual(result.failed, []);
    const cpuFiles = result.files.filter((f) => parseDataFileKey(f.key)?.measurement === "cpu");
    const partitions = cpuFiles.map((f) => parseDataFileKey(f.key)?.partition);
    const expectedParts = new Set([
      `2023-11-14/${bucketOf("a", 4)}`,
      `2023-11-14/${bucketOf("b", 4)}`,
      `2023-11-15/${bucketOf("a", 4)}`,
    ]);
    assert.deepEqual(new Set(partitions.map((p) => `${p?.day}/${p?.parts[0]?.value}`)), expectedParts);
    assert.ok(cpuFiles.every((f) => f.level === 0 && f.key.includes("/_l0/")));
    const rows = await visibleRows(store, catalog, "db", "cpu");
    assert.equal(rows.length, 4);
    const day1a = rows.filter((r) => r.key.startsWith("host=a@")).map((r) => r.key);
    assert.deepEqual(
      day1a,
      [`host=a@${DAY1}`, `host=a@${DAY1 + 1n}`, `host=a@${DAY2}`].slice(0, day1a.length),
    );
    const measurements = await catalog.measurements("db");
    assert.deepEqual(
      measurements.map((m) => [m.name, m.tagKeys, [...m.fields]]),
      [
        ["cpu", ["host"], [["v", "float"]]],
        ["mem", [], [["v", "integer"]]],
      ],
    );
  });

  it("applies last-write-wins field by field within a batch", async () => {
    const { store, catalog, deps } = setup();
    await compactRecords(
      [
        { id: "late", record: record("db", 5n, [`m,t=x a=2,b=2 ${DAY1}`]) },
        { id: "early", record: record("db", 3n, [`m,t=x a=1,c=1 ${DAY1}`, `m,t=x c=7 ${DAY1}`]) },
      ],
      deps,
    );
    const rows = await visibleRows(store, catalog, "db", "m");
    assert.deepEqual(
      rows.map((r) => [r.seq, r.values]),
      [[5n, { a: 2, b: 2, c: 7 }]],
    );
  });

  it("reports field type conflicts instead of writing them, without failing the record", async () => {
    const { store, catalog, deps } = setup();
    await compactRecords([{ id: "1", record: record("db", 1n, [`m v=1 ${DAY1}`]) }], deps);
    const r = await compactRecords(
      [
        {
          id: "2",
          record: record("db", 2n, [`m v="str" ${DAY1 + 1n}`, `m v=2 ${DAY1 + 2n}`, `m,v=t w=1 ${DAY1}`]),
        },
      ],
      deps,
    );
    assert.deepEqual(r.succeeded, ["2"]);
    assert.equal(r.rejected.length, 2);
    assert.match(r.rejected[0]?.message ?? "", /field type conflict: "v" is float, got string/);
    assert.equal(r.rejected[0]?.line, 1);
    assert.match(r.rejected[1]?.message ?? "", /reserved or both|already a field/);
    const rows = await visibleRows(store, catalog, "db", "m");
    assert.deepEqual(rows.map((x) => x.values.v).sort(), [1, 2]);
  });

  it("keeps every field type through the batch columns and rejects conflicts within one batch", async () => {
    const { store, catalog, deps } = setup();
    const r = await compactRecords(
      [
        {
          id: "r2",
          record: record("db", 2n, [`a,h=1 v=5i,b=false ${DAY1}`, `b v=2 ${DAY1}`]),
        },
        {
          id: "r1",
          record: record("db", 1n, [
            `a,h=1 v=1i,s="x",b=true,u=3u ${DAY1}`,
            `b v=1 ${DAY1}`,
            `a,h=2 v="str" ${DAY1 + 1n}`,
            `a,_seq=1 v=2i ${DAY1}`,
          ]),
        },
      ],
      deps,
    );
    assert.deepEqual(r.succeeded, ["r2", "r1"]);
    assert.deepEqual(
      r.rejected.map((x) => [x.id, x.measurement, x.line]),
      [
        ["r1", "a", 4],
        ["r1", "a", 3],
      ],
    );
    assert.match(r.rejected[0]?.message ?? "", /"_seq" cannot be used/);
    assert.match(r.rejected[1]?.message ?? "", /field type conflict: "v" is integer, got string/);
    const a = await visibleRows(store, catalog, "db", "a");
    assert.deepEqual(
      a.map((x) => [x.key, x.seq, x.values]),
      [[`h=1@${DAY1}`, 2n, { b: false, s: "x", u: 3n, v: 5n }]],
    );
    const b = await visibleRows(store, catalog, "db", "b");
    assert.deepEqual(
      b.map((x) => [x.key, x.values]),
      [[`@${DAY1}`, { v: 2 }]],
    );
  });

  it("fails only the record that cannot be parsed", async () => {
    const { deps } = setup();
    const r = await compactRecords(
      [
        { id: "good", record: record("db", 1n, [`m v=1 ${DAY1}`]) },
        { id: "bad", record: { ...record("db", 2n, []), precision: "weird" as never } },
      ],
      deps,
    );
    assert.deepEqual(r.succeeded, ["good"]);
    assert.deepEqual(
      r.failed.map((f) => f.id),
      ["bad"],
    );
  });
});

describe("merges", () => {
  it("plans per partition: L0 plus small merged files, oldest first, bounded", () => {
    const f = (key: string, level: number, sizeBytes: number, seq: bigint) => ({
      key,
      level,
      sizeBytes,
      rowCount: 1,
      minTimeNs: 0n,
      maxTimeNs: 0n,
      minSeq: seq,
      maxSeq: seq,
      tagValues: new Map(),
    });
    const policy = {
      targetFileBytes: 100,
      smallFileBytes: 50,
      minInputFiles: 2,
      maxInputBytes: 250,
      maxInputRows: 1000,
    };
    const id = { day: "2024-01-01", parts: [] };
    const jobs = planMerges(
      "db",
      "m",
      [
        {
          path: "p1/",
          id,
          files: [f("big", 1, 400, 1n), f("l0b", 0, 90, 3n), f("l0a", 0, 90, 2n), f("sm", 1, 40, 9n)],
        },
        { path: "p2/", id, files: [f("only", 0, 10, 1n)] },
        { path: "p3/", id, files: [f("m1", 1, 10, 1n), f("m2", 1, 10, 2n)] },
      ],
      policy,
    );
    assert.deepEqual(
      jobs.map((j) => [j.partitionPath, j.inputs.map((x) => x.key)]),
      [
        ["p1/", ["l0a", "l0b", "sm"]],
        ["p2/", ["only"]], // a lone level-0 file is promoted so Athena sees its points
      ],
    );
    assert.equal(jobs[0]?.maxOutputs, 2);
    const wide = planMerges(
      "db",
      "m",
      [{ path: "p/", id, files: [f("a", 0, 120, 1n), f("b", 0, 130, 2n), f("c", 0, 9, 3n)] }],
      policy,
    );
    assert.equal(wide[0]?.maxOutputs, 2);
    assert.equal(wide[0]?.inputs.length, 2, "stops at maxInputBytes");
    const manyRows = planMerges(
      "db",
      "m",
      [{ path: "p/", id, files: [f("a", 0, 1, 1n), f("b", 0, 1, 2n), f("c", 0, 1, 3n)] }],
      { ...policy, maxInputRows: 2 },
    );
    assert.equal(manyRows[0]?.inputs.length, 2, "stops at maxInputRows");
    const dense = { ...f("dense", 1, 10, 1n), rowCount: 500 };
    const denseJobs = planMerges(
      "db",
      "m",
      [{ path: "p/", id, files: [dense, f("x", 0, 1, 2n), f("y", 0, 1, 3n)] }],
      policy,
    );
    assert.deepEqual(
      denseJobs[0]?.inputs.map((x) => x.key),
      ["x", "y"],
      "a merged file holding half of maxInputRows is full, whatever its size",
    );
  });

  it("merges L0 files into deduplicated files, then deletes the inputs", async () => {
    const { store, catalog, deps } = setup();
    await compactRecords(
      [{ id: "1", record: record("db", 1n, [`m,h=a v=1 ${DAY1}`, `m,h=b v=1 ${DAY1}`]) }],
      deps,
    );
    await compactRecords(
      [{ id: "2", record: record("db", 2n, [`m,h=a v=2 ${DAY1}`, `m w=3 ${DAY1}`]) }],
      deps,
    );
    const before = (await catalog.catalogPartitions("db", "m"))[0]?.files.map((f) => f.key) ?? [];
    assert.equal(before.length, 2);
    const report = await runMerges(deps);
    assert.deepEqual(report, { merged: 1, orphansDeleted: 0, lostRaces: 0, failed: [] });
    const rows = await visibleRows(store, catalog, "db", "m");
    assert.deepEqual(
      rows.map((r) => [r.key, r.values]),
      [
        [`@${DAY1}`, { w: 3 }],
        [`h=a@${DAY1}`, { v: 2 }],
        [`h=b@${DAY1}`, { v: 1 }],
      ],
    );
    assert.ok(rows.every((r) => parseDataFileKey(r.file)?.level === 1));
    for (const key of before) assert.equal(await store.head(key), undefined);
  });

  it("splits a large merge into several files between series, each sorted, none overlapping", async () => {
    const { store, catalog, deps } = setup();
    for (let s = 1n; s <= 6n; s++) {
      const lines = Array.from(
        { length: 200 },
        (_, i) => `m,h=h${i % 7} v=${i} ${DAY1 + BigInt(i) * 1000n + s}`,
      );
      await compactRecords([{ id: `${s}`, record: record("db", s, lines) }], deps);
    }
    const partitions = await catalog.catalogPartitions("db", "m");
    const total = partitions[0]?.files.reduce((n, f) => n + f.sizeBytes, 0) ?? 0;
    const policy = {
      targetFileBytes: Math.floor(total / 3),
      smallFileBytes: 1,
      minInputFiles: 2,
      maxInputBytes: 2 ** 40,
      maxInputRows: 1e9,
    };
    const report = await runMerges({ ...deps, policy });
    assert.equal(report.merged, 1);
    const files = (await catalog.partitions("db", "m", 0n, 2n ** 62n))[0]?.files ?? [];
    assert.ok(files.length >= 2 && files.length <= 3, `${files.length} outputs`);
    const hosts = files.map((f) => f.tagValues.get("h") ?? []);
    const flat = hosts.flat();
    assert.equal(new Set(flat).size, flat.length, "no series in two outputs");
    const rows = await visibleRows(store, catalog, "db", "m");
    assert.equal(rows.length, 1200);
  });

  it("collects unlisted files only after the grace period, and stops starting jobs at the deadline", async () => {
    const storeClock = new ManualClock();
    const { store, catalog, deps } = setup(new MemoryObjectStore(storeClock));
    await compactRecords([{ id: "1", record: record("db", 1n, [`m v=1 ${DAY1}`]) }], deps);
    await compactRecords([{ id: "2", record: record("db", 2n, [`m v=2 ${DAY1 + 1n}`]) }], deps);
    const stray = "data/db/m/day=2023-11-14/part-00000000000000000001-00000000000000000001-dead.parquet";
    await store.put(stray, new Uint8Array([1]));
    const mergeDeps = { ...deps, clock: storeClock, orphanGraceMs: 60_000 };
    const stopped = await runMerges(mergeDeps, { stopAtMs: storeClock.nowMs() });
    assert.equal(stopped.merged, 0, "no job starts after the deadline");
    const first = await runMerges(mergeDeps);
    assert.equal(first.merged, 1);
    assert.equal(first.orphansDeleted, 0, "young stray file kept");
    assert.ok(await store.head(stray));
    storeClock.advanceMs(60_001);
    const later = await runMerges(mergeDeps);
    assert.equal(later.orphansDeleted, 1);
    assert.equal(await store.head(stray), undefined);
    assert.equal((await visibleRows(store, catalog, "db", "m")).length, 2);
  });

  it("two merges of one partition at once lose nothing and leave one copy", async () => {
    const { store, catalog, deps } = setup();
    for (let s = 1n; s <= 4n; s++)
      await compactRecords([{ id: `${s}`, record: record("db", s, [`m,h=h${s} v=${s} ${DAY1}`]) }], deps);
    const [job] = planMerges("db", "m", await catalog.catalogPartitions("db", "m"));
    assert.ok(job);
    const outcomes = await Promise.all([executeMerge(job, deps), executeMerge(job, deps)]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ["lost-race", "merged"]);
    const rows = await visibleRows(store, catalog, "db", "m");
    assert.equal(rows.length, 4);
    const listed = (await store.list("data/")).map((o) => o.key);
    assert.equal(listed.length, 1, `only the winner's output remains: ${listed.join(", ")}`);
  });

  it("a redelivered record leaves no duplicate rows after merge", async () => {
    const { store, catalog, deps } = setup();
    const rec = record("db", 7n, [`cpu,host=a v=1 ${DAY1}`, `cpu,host=b v=2 ${DAY1}`]);
    await compactRecords([{ id: "first", record: rec }], deps);
    await compactRecords([{ id: "again", record: rec }], deps);
    assert.equal((await visibleRows(store, catalog, "db", "cpu")).length, 4);
    await runMerges(deps);
    const rows = await visibleRows(store, catalog, "db", "cpu");
    assert.deepEqual(rows.map((r) => r.key).sort(), [`host=a@${DAY1}`, `host=b@${DAY1}`]);
  });
});

class ArrayWalSource implements WalSource {
  readonly acked: string[] = [];
  readonly released: string[] = [];
  constructor(private pending: WalDelivery[]) {}
  async receive(max: number): Promise<WalDelivery[]> {
    const out = this.pending.slice(0, max);
    this.pending = this.pending.slice(max);
    return out;
  }
  async ack(ids: readonly string[]): Promise<void> {
    this.acked.push(...ids);
  }
  async release(ids: readonly string[]): Promise<void> {
    this.released.push(...ids);
    const again = ids.map((id) => this.all.find((d) => d.id === id)).filter((d) => d !== undefined);
    this.pending.push(...again.map((d) => ({ ...d, receiveCount: d.receiveCount + 1 })));
  }
  async close(): Promise<void> {}
  all: WalDelivery[] = [];
}

describe("crash safety", () => {
  const batches = [1n, 2n, 3n, 4n].map((s) => ({
    id: `r${s}`,
    record: record("db", s, [
      `cpu,host=a v=${s} ${DAY1 + s}`,
      `cpu,host=b v=${s} ${DAY1}`, // overwritten by every later record
      `cpu,host=c v=${s} ${DAY2 + s}`,
    ]),
    receiveCount: 1,
  }));
  const expected = new Map<string, number>([
    [`host=b@${DAY1}`, 4],
    ...[1, 2, 3, 4].flatMap((s) => [
      [`host=a@${DAY1 + BigInt(s)}`, s] as [string, number],
      [`host=c@${DAY2 + BigInt(s)}`, s] as [string, number],
    ]),
  ]);

  /**
   * Runs the workload failing the failAt-th call of failOp (0: none); returns how many such calls it made.
   * "put-lost-reply" performs the put and then throws, as when a response is lost after S3 stored the object.
   */
  async function scenario(
    failOp: "put" | "delete" | "get" | "list" | "put-lost-reply",
    failAt: number,
  ): Promise<{ calls: number }> {
    const memory = new MemoryObjectStore();
    if (failOp === "put-lost-reply") {
      const counted = new FaultyObjectStore(lostReplies(memory, failAt));
      const { deps } = setup(counted);
      const source = new ArrayWalSource([...batches]);
      source.all = [...batches];
      for (let round = 0; round < 20 && source.acked.length < batches.length; round++) {
        await runCompactionOnce(source, deps, 2);
        await runMerges(deps).catch(() => undefined);
      }
      await runMerges(deps);
      await checkVisible(memory, deps.catalog, source);
      return { calls: counted.calls.put };
    }
    const faulty = new FaultyObjectStore(memory);
    const { catalog, deps } = setup(faulty);
    const source = new ArrayWalSource([...batches]);
    source.all = [...batches];
    let n = 0;
    faulty.failWhen((call) => {
      if (call.op !== failOp) return false;
      n++;
      return n === failAt;
    });
    // Compact two records at a time, merge in between; retry until everything is acknowledged.
    for (let round = 0; round < 20 && source.acked.length < batches.length; round++) {
      await runCompactionOnce(source, deps, 2);
      await runMerges(deps).catch(() => undefined);
    }
    const calls = n;
    faulty.clearFaults();
    await runMerges(deps);
    await checkVisible(memory, catalog, source);
    return { calls };
  }

  async function checkVisible(memory: ObjectStore, catalog: ObjectStoreCatalog, source: ArrayWalSource) {
    assert.equal(new Set(source.acked).size, batches.length);
    const rows = await visibleRows(memory, catalog, "db", "cpu");
    const seen = new Map<string, number>();
    for (const r of rows) {
      assert.ok(!seen.has(r.key), `row ${r.key} appears once after merge`);
      seen.set(r.key, Number(r.values.v));
    }
    assert.deepEqual(seen, expected);
  }

  function lostReplies(inner: ObjectStore, failAt: number): ObjectStore {
    let n = 0;
    return {
      conditionalWrites: inner.conditionalWrites,
      get: (k) => inner.get(k),
      getRange: (k, a, b) => inner.getRange(k, a, b),
      head: (k) => inner.head(k),
      list: (p) => inner.list(p),
      delete: (ks) => inner.delete(ks),
      async put(key, body, options) {
        const r = await inner.put(key, body, options);
        n++;
        if (n === failAt) throw new Error(`reply lost after storing ${key}`);
        return r;
      },
    };
  }

  for (const op of ["put", "delete", "get", "list", "put-lost-reply"] as const) {
    it(`loses nothing and duplicates nothing when any single ${op} fails`, async () => {
      const { calls } = await scenario(op, 0);
      assert.ok(calls >= 2, `the workload makes ${op} calls (${calls})`);
      for (let i = 1; i <= calls; i++) await scenario(op, i);
    });
  }
});
