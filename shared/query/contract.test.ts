// Reads files written by the project's own Parquet writer (shared/parquet/, parquet-wasm) through the
// query engine: the storage contract as one side writes it and the other reads it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MeasurementEntry } from "../catalog/port.ts";
import { ManualClock } from "../core/clock.ts";
import type { FieldType } from "../lineprotocol/types.ts";
import type { MeasurementTable, Row } from "../parquet/table.ts";
import { writeMeasurementParquet } from "../parquet/writer.ts";
import { createQueryHandler } from "./endpoint.ts";
import { CountingStore, FakeCatalog } from "./testkit.ts";

const T0 = 1_451_606_400_000_000_000n;
const MIN = 60_000_000_000n;

describe("files from shared/parquet/writer.ts", () => {
  it("answer an aggregate with exact times, integers and pruned row groups", async () => {
    const fields: { name: string; type: FieldType }[] = [
      { name: "n", type: "integer" },
      { name: "usage", type: "float" },
    ];
    const rows: Row[] = [];
    const hosts = Array.from({ length: 20 }, (_, i) => `host_${String(i).padStart(2, "0")}`);
    for (const host of hosts) {
      for (let m = 0n; m < 100n; m++) {
        rows.push({ tags: [host], timeNs: T0 + m * MIN + 7n, seq: 1n, values: [m, Number(m) / 2] });
      }
    }
    const table: MeasurementTable = { tagKeys: ["host"], fields, rows };
    const written = writeMeasurementParquet(table, { level: 1, rowGroupRows: 100 });
    const store = new CountingStore();
    const catalog = new FakeCatalog(store);
    const cpu: MeasurementEntry = {
      name: "cpu",
      tagKeys: ["host"],
      fields: new Map(fields.map((f) => [f.name, f.type])),
    };
    catalog.add("db", cpu, "2016-01-01", {
      bytes: written.bytes,
      entry: {
        level: 1,
        sizeBytes: written.bytes.length,
        rowCount: written.rowCount,
        minTimeNs: written.minTimeNs,
        maxTimeNs: written.maxTimeNs,
        minSeq: written.minSeq,
        maxSeq: written.maxSeq,
        tagValues: new Map([["host", hosts]]),
      },
    });
    const handler = createQueryHandler({ catalog, store, clock: new ManualClock(T0 + 1000n * MIN) });
    const ask = async (q: string, epoch?: string) => {
      const r = await handler({
        method: "GET",
        path: "/query",
        query: new URLSearchParams({ db: "db", q, explain: "true", ...(epoch ? { epoch } : {}) }),
        headers: {},
        body: new Uint8Array(),
      });
      return {
        text: String(r.body),
        body: JSON.parse(String(r.body)),
        explain: JSON.parse(r.headers["x-sediment-explain"] ?? "{}"),
      };
    };
    const agg = await ask(
      "SELECT sum(n), max(usage) FROM cpu WHERE host = 'host_07' AND time >= '2016-01-01T00:10:00Z' AND time < '2016-01-01T00:20:00Z' GROUP BY time(5m)",
    );
    // Minutes 10..14 and 15..19 (each point 7 ns after the minute).
    assert.deepEqual(agg.body.results[0].series[0].values, [
      ["2016-01-01T00:10:00Z", 60, 7],
      ["2016-01-01T00:15:00Z", 85, 9.5],
    ]);
    assert.equal(agg.explain.rowGroupsRead, 1);
    assert.equal(agg.explain.rowGroupsConsidered, 20);
    const raw = await ask("SELECT last(n) FROM cpu WHERE host = 'host_19'", "ns");
    // Exact nanoseconds survive (compare the text: JSON.parse would round them).
    assert.match(raw.text, new RegExp(`"values":\\[\\[${T0 + 99n * MIN + 7n},99\\]\\]`));
  });
});
