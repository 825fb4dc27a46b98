import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ObjectStoreCatalog } from "../catalog/catalog.ts";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import { readMeasurementParquet } from "../parquet/reader.ts";
import type { Row } from "../parquet/table.ts";
import { compactRecords } from "./l0.ts";
import { runMerges } from "./merge.ts";
import { DEFAULT_MERGE_POLICY } from "./plan.ts";
import { sortAndDedup } from "./rows.ts";
import { record } from "./testkit.ts";

const DAY = 1_700_000_000_000_000_000n;
const FIELDS = ["a", "b", "c"] as const;

const pointArb = fc.record({
  host: fc.constantFrom("h1", "h2", "h é"),
  dc: fc.option(fc.constantFrom("x", "y"), { nil: null }),
  t: fc.integer({ min: 0, max: 4 }),
  a: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  b: fc.option(fc.constantFrom(0.5, -2.25), { nil: null }),
  c: fc.option(fc.boolean(), { nil: null }),
});
type P = typeof pointArb extends fc.Arbitrary<infer T> ? T : never;

function line(p: P): string | undefined {
  const fields = [
    p.a === null ? "" : `a=${p.a}i`,
    p.b === null ? "" : `b=${p.b}`,
    p.c === null ? "" : `c=${p.c}`,
  ].filter((f) => f !== "");
  if (fields.length === 0) return undefined;
  return `m,${p.dc === null ? "" : `dc=${p.dc},`}host=${p.host.replace(" ", "\\ ")} ${fields.join(",")} ${DAY + BigInt(p.t)}`;
}

/** Every row of every file, tags in `tagOrder` (the measurement's sort key), fields in the order above. */
async function rowsOf(store: MemoryObjectStore, tagOrder: readonly string[]): Promise<Row[]> {
  const out: Row[] = [];
  for (const o of await store.list("data/")) {
    const t = await readMeasurementParquet((await store.get(o.key)) as Uint8Array);
    for (const r of t.rows)
      out.push({
        tags: tagOrder.map((k) => r.tags[t.tagKeys.indexOf(k)] ?? null),
        timeNs: r.timeNs,
        seq: r.seq,
        values: FIELDS.map((f) => {
          const i = t.fields.findIndex((d) => d.name === f);
          return i < 0 ? null : (r.values[i] ?? null);
        }),
      });
  }
  return out;
}

describe("L0 compaction and merge against the row reference", () => {
  it("write exactly what sortAndDedup of the parsed points gives, through an independent reader", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(pointArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (batches, perCompaction) => {
          const store = new MemoryObjectStore();
          const catalog = new ObjectStoreCatalog({
            store,
            clock: new ManualClock(),
            ids: new SequentialIds("c"),
          });
          const deps = { store, catalog, ids: new SequentialIds("f"), parse: parseLineProtocol };
          const reference: (Omit<Row, "tags"> & { tags: Record<string, string | null> })[] = [];
          const records = batches.map((points, i) => {
            const seq = BigInt(i + 1);
            const lines: string[] = [];
            for (const p of points) {
              const l = line(p);
              if (l === undefined) continue;
              lines.push(l);
              reference.push({
                tags: { dc: p.dc, host: p.host },
                timeNs: DAY + BigInt(p.t),
                seq,
                values: [p.a === null ? null : BigInt(p.a), p.b, p.c],
              });
            }
            return { id: `r${i}`, record: record("db", seq, lines) };
          });
          if (reference.length === 0) return;
          for (let i = 0; i < records.length; i += perCompaction) {
            const r = await compactRecords(records.slice(i, i + perCompaction), deps);
            assert.equal(r.failed.length, 0);
          }
          await runMerges({ ...deps, policy: { ...DEFAULT_MERGE_POLICY, minInputFiles: 1 } });
          // The sort key was chosen from the first compaction's points; the reference sorts by it too.
          const sortKey = (await catalog.schema("db")).measurements.get("m")?.sortKey ?? [];
          const inOrder = reference.map((r) => ({
            ...r,
            tags: sortKey.map((k) => r.tags[k] ?? null),
          }));
          // After merging everything into one file, it holds exactly the reference's deduplicated rows.
          assert.deepEqual(await rowsOf(store, sortKey), sortAndDedup(inOrder));
        },
      ),
      { numRuns: 60 },
    );
  });
});
