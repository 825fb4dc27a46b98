import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parquetMetadata, readColumnIndex, readOffsetIndex } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { ObjectStoreCatalog } from "../catalog/catalog.ts";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import { readColumnarParquet, readFileMetadata, readMeasurementParquet } from "../parquet/reader.ts";
import type { Row } from "../parquet/table.ts";
import { TSBS_TAG_KEYS, tsbsLine, tsbsRows } from "../parquet/tsbs.ts";
import { parseTemplateRules, sortKeyFor } from "./config.ts";
import type { CompactorDeps } from "./l0.ts";
import { compactRecords } from "./l0.ts";
import { runMerges } from "./merge.ts";
import { DEFAULT_MERGE_POLICY } from "./plan.ts";
import { sortAndDedup } from "./rows.ts";
import { chooseSortKey, orderBySortKey } from "./sortkey.ts";
import { record } from "./testkit.ts";

const DAY = 1_700_000_000_000_000_000n;

function setup(overrides: Partial<CompactorDeps> = {}) {
  const store = new MemoryObjectStore();
  const catalog = new ObjectStoreCatalog({ store, clock: new ManualClock(), ids: new SequentialIds("c") });
  const deps: CompactorDeps = {
    store,
    catalog,
    ids: new SequentialIds("f"),
    parse: parseLineProtocol,
    ...overrides,
  };
  return { store, catalog, deps };
}

function tsbsRecord(sequence: bigint, hosts: number, pointsPerHost: number) {
  // One point per second from midnight: up to 86,400 points per host stay in one day partition.
  const startNs = 1_699_920_000_000_000_000n;
  const lines = [
    ...tsbsRows({ hosts, pointsPerHost, form: "integer", startNs, intervalNs: 1_000_000_000n }),
  ].map(tsbsLine);
  return { id: `r${sequence}`, record: record("db", sequence, lines) };
}

async function sortKeyOf(catalog: ObjectStoreCatalog, measurement: string) {
  return (await catalog.schema("db")).measurements.get(measurement)?.sortKey;
}

async function onlyFile(store: MemoryObjectStore) {
  const [o, ...more] = await store.list("data/");
  assert.ok(o !== undefined && more.length === 0, "one data file");
  return (await store.get(o.key)) as Uint8Array;
}

/** TSBS tag cardinalities over 50 hosts: hostname 50, rack 50, service 20, datacenter 6, region 6, team 4, ... */
const TSBS_50_HOSTS_KEY = [
  "hostname",
  "rack",
  "service",
  "datacenter",
  "region",
  "team",
  "arch",
  "os",
  "service_environment",
  "service_version",
];

describe("choosing a sort key", () => {
  it("orders by distinct values, descending, ties alphabetical; an override leads", () => {
    const counts = new Map([
      ["b", 3],
      ["a", 3],
      ["host", 40],
      ["z", 1],
    ]);
    assert.deepEqual(chooseSortKey(counts), ["host", "a", "b", "z"]);
    assert.deepEqual(chooseSortKey(counts, ["z", "b", "z"]), ["z", "b", "host", "a"]);
    assert.deepEqual(chooseSortKey(new Map()), []);
  });

  it("orders a file's keys by the sort key, unknown keys last and alphabetically", () => {
    assert.deepEqual(orderBySortKey(["a", "x", "host", "b", "a"], ["host", "b"]), ["host", "b", "a", "x"]);
  });

  it("puts hostname first for a TSBS batch and writes the file's tag columns in that order", async () => {
    const { store, catalog, deps } = setup();
    const r = await compactRecords([tsbsRecord(1n, 50, 3)], deps);
    assert.deepEqual(r.failed, []);
    assert.deepEqual(await sortKeyOf(catalog, "cpu"), TSBS_50_HOSTS_KEY);
    const bytes = await onlyFile(store);
    const meta = readFileMetadata(bytes);
    assert.deepEqual(meta.tagKeys, TSBS_50_HOSTS_KEY);
    assert.deepEqual(meta.sortKey, TSBS_50_HOSTS_KEY);
    const columns = parquetMetadata(bytes.slice().buffer).schema.map((e) => e.name);
    assert.deepEqual(columns.slice(4, 14), TSBS_50_HOSTS_KEY, "Parquet column order");
    // Rows follow it: hostnames ascend through the file.
    const hosts = (await readMeasurementParquet(bytes)).rows.map((row) => row.tags[0] as string);
    assert.deepEqual(hosts, [...hosts].sort());
  });

  it("takes the configured override (SEDIMENT_PARTITION_TEMPLATES sortKey) for a new measurement", async () => {
    const rules = parseTemplateRules(
      '[{"database":"db","measurement":"cpu","sortKey":["region","hostname"]},{"database":"*","measurement":"*","parts":[]}]',
    );
    const { catalog, deps } = setup({ sortKeyFor: sortKeyFor(rules) });
    await compactRecords([tsbsRecord(1n, 50, 1)], deps);
    const rest = TSBS_50_HOSTS_KEY.filter((k) => k !== "region" && k !== "hostname");
    assert.deepEqual(await sortKeyOf(catalog, "cpu"), ["region", "hostname", ...rest]);
    assert.equal(sortKeyFor(rules)("other", "cpu"), undefined);
  });

  it("keeps the first batch's key and appends tags first seen later, alphabetically", async () => {
    const { store, catalog, deps } = setup();
    const first = [`m,dc=a,host=h1 v=1 ${DAY}`, `m,dc=a,host=h2 v=1 ${DAY}`, `m,dc=a,host=h3 v=1 ${DAY}`];
    await compactRecords([{ id: "1", record: record("db", 1n, first) }], deps);
    assert.deepEqual(await sortKeyOf(catalog, "m"), ["host", "dc"]);
    // Later, dc has more values than host and two new tags arrive: the fixed order does not change.
    const later = ["d1", "d2", "d3", "d4"].map(
      (dc, i) => `m,app=x,dc=${dc},host=h1,zone=z${i} v=2 ${DAY + 1n}`,
    );
    await compactRecords([{ id: "2", record: record("db", 2n, later) }], deps);
    assert.deepEqual(await sortKeyOf(catalog, "m"), ["host", "dc", "app", "zone"]);
    const files = await store.list("data/");
    const tagOrders = await Promise.all(
      files.map(async (o) => readFileMetadata((await store.get(o.key)) as Uint8Array).tagKeys),
    );
    assert.deepEqual(
      tagOrders.sort((a, b) => a.length - b.length),
      [
        ["host", "dc"],
        ["host", "dc", "app", "zone"],
      ],
    );
  });
});

describe("merging files sorted under different keys", () => {
  it("re-sorts an old alphabetical file and a new-order file into one sorted, deduplicated file", async () => {
    const { store, catalog, deps } = setup();
    // New-order L0 file: host has more values, so the key is [host, dc].
    const fresh = [
      `m,dc=b,host=h1 v=10,w=1i ${DAY}`,
      `m,dc=a,host=h2 v=11 ${DAY + 1n}`,
      `m,dc=b,host=h3 v=12 ${DAY}`,
      `m,dc=a,host=h1 v=13 ${DAY + 2n}`,
    ];
    await compactRecords([{ id: "1", record: record("db", 5n, fresh) }], deps);
    assert.deepEqual(await sortKeyOf(catalog, "m"), ["host", "dc"]);
    // An old L0 file (written before sort keys: alphabetical, no sediment.sort_key) with older writes to
    // some of the same points and points of its own, committed to the same partition.
    const old: Row[] = [
      { tags: ["a", "h1"], timeNs: DAY + 2n, seq: 2n, values: [1, 7n] },
      { tags: ["a", "h9"], timeNs: DAY, seq: 2n, values: [2, null] },
      { tags: ["b", "h1"], timeNs: DAY, seq: 2n, values: [3, 8n] },
      { tags: ["b", "h3"], timeNs: DAY - 5n, seq: 3n, values: [4, null] },
    ];
    const oldBytes = legacyFile(old);
    assert.deepEqual(readFileMetadata(oldBytes).sortKey, ["dc", "host"], "no sort_key: alphabetical");
    const [partition] = await catalog.catalogPartitions("db", "m");
    assert.ok(partition !== undefined);
    const oldKey = `${(partition.files[0] as { key: string }).key.replace(/[^/]+$/, "")}00000000000000000002-old.parquet`;
    await store.put(oldKey, oldBytes);
    await catalog.commitFiles("db", "m", {
      add: [
        {
          partition: partition.id,
          file: {
            key: oldKey,
            level: 0,
            sizeBytes: oldBytes.length,
            rowCount: old.length,
            minTimeNs: DAY - 5n,
            maxTimeNs: DAY + 2n,
            minSeq: 2n,
            maxSeq: 3n,
            tagValues: new Map(),
          },
        },
      ],
      remove: [],
    });
    const report = await runMerges({ ...deps, policy: { ...DEFAULT_MERGE_POLICY, minInputFiles: 1 } });
    assert.equal(report.merged, 1);
    const merged = await readMeasurementParquet(await onlyFile(store));
    assert.deepEqual(merged.tagKeys, ["host", "dc"]);
    assert.deepEqual(merged.meta.sortKey, ["host", "dc"]);
    const reference = sortAndDedup([
      ...fresh.map((l): Row => {
        const p = parseLineProtocol(new TextEncoder().encode(l), { precision: "ns", defaultTime: 0n })
          .points[0];
        assert.ok(p !== undefined);
        const tag = (k: string) => p.tagValues[p.tagKeys.indexOf(k)] ?? null;
        const field = (k: string) => p.fieldValues[p.fieldKeys.indexOf(k)] ?? null;
        return { tags: [tag("host"), tag("dc")], timeNs: p.time, seq: 5n, values: [field("v"), field("w")] };
      }),
      ...old.map((r) => ({ ...r, tags: [r.tags[1] ?? null, r.tags[0] ?? null] })),
    ]);
    assert.deepEqual(
      merged.fields.map((f) => f.name),
      ["v", "w"],
    );
    assert.deepEqual(merged.rows, reference);
    // h1@DAY+2: the fresh write (seq 5) wins v, the old one (seq 2) keeps w; one row.
    assert.deepEqual(
      merged.rows.filter((r) => r.tags[0] === "h1" && r.timeNs === DAY + 2n).map((r) => r.values),
      [[13, 7n]],
    );
  });
});

/** A file as written before sort keys existed: tags alphabetical, no `sediment.sort_key`. */
function legacyFile(rows: Row[]): Uint8Array {
  const sorted = sortAndDedup(rows);
  const times = sorted.map((r) => r.timeNs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const meta: Record<string, string> = {
    "sediment.format_version": "1",
    "sediment.min_time_ns": String(times[0]),
    "sediment.max_time_ns": String(times[times.length - 1]),
    "sediment.row_count": String(sorted.length),
    "sediment.min_seq": "2",
    "sediment.max_seq": "3",
    "sediment.level": "0",
    "sediment.tags": JSON.stringify(["dc", "host"]),
    "sediment.fields": JSON.stringify({ v: "float", w: "integer" }),
  };
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "time_ns", data: BigInt64Array.from(sorted, (r) => r.timeNs), type: "INT64" },
        { name: "_seq", data: BigInt64Array.from(sorted, (r) => r.seq), type: "INT64" },
        { name: "dc", data: sorted.map((r) => r.tags[0] ?? null), type: "STRING" },
        { name: "host", data: sorted.map((r) => r.tags[1] ?? null), type: "STRING" },
        { name: "v", data: sorted.map((r) => r.values[0] ?? null), type: "DOUBLE" },
        { name: "w", data: sorted.map((r) => r.values[1] ?? null), type: "INT64" },
      ],
      kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
    }),
  );
}

/**
 * Per page of the hostname column: how many of the file's hosts lie within the page's min..max, and how
 * many hosts the page actually holds (from the offset index's first rows and the decoded column).
 */
async function hostsPerPage(bytes: Uint8Array, allHosts: readonly string[]) {
  const buffer = bytes.slice().buffer;
  const metadata = parquetMetadata(buffer);
  const element = metadata.schema.find((e) => e.name === "hostname");
  assert.ok(element !== undefined);
  const table = readColumnarParquet(bytes);
  const hostColumn = table.tags[table.tagKeys.indexOf("hostname")];
  assert.ok(hostColumn !== undefined);
  const out: { inRange: number; present: number }[] = [];
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const column = group.columns.find((c) => c.meta_data?.path_in_schema[0] === "hostname");
    const ci = column?.column_index_offset;
    const oi = column?.offset_index_offset;
    assert.ok(
      column?.column_index_length && ci !== undefined && oi !== undefined && column.offset_index_length,
    );
    const index = readColumnIndex(
      { view: new DataView(buffer, Number(ci), column.column_index_length), offset: 0 },
      element,
    );
    const pages = readOffsetIndex({
      view: new DataView(buffer, Number(oi), column.offset_index_length),
      offset: 0,
    }).page_locations;
    assert.equal(index.min_values.length, pages.length);
    pages.forEach((page, p) => {
      const min = String(index.min_values[p]);
      const max = String(index.max_values[p]);
      const from = groupStart + Number(page.first_row_index);
      const to = groupStart + Number(pages[p + 1]?.first_row_index ?? group.num_rows);
      const present = new Set(hostColumn.indices.subarray(from, to));
      out.push({ inRange: allHosts.filter((h) => h >= min && h <= max).length, present: present.size });
    });
    groupStart += Number(group.num_rows);
  }
  return out;
}

describe("statistics under the TSBS sort key", () => {
  it("gives every hostname page a range of only its own hosts, at most 2 (alphabetical order: wider)", async () => {
    const hosts = 8; // more hosts than datacenters, so hostname leads by cardinality
    const allHosts = Array.from({ length: hosts }, (_, h) => `host_${h}`);
    // Series longer than a page (20,000 rows) and not a multiple of it, so pages straddle hosts.
    const batch = [tsbsRecord(1n, hosts, 25_000)];
    const led = setup();
    await compactRecords(batch, led.deps);
    assert.equal((await sortKeyOf(led.catalog, "cpu"))?.[0], "hostname");
    const ledPages = await hostsPerPage(await onlyFile(led.store), allHosts);
    assert.ok(ledPages.length >= 8, `${ledPages.length} pages`);
    assert.ok(
      ledPages.every((p) => p.inRange === p.present && p.inRange <= 2),
      `hosts per page: ${JSON.stringify(ledPages)}`,
    );
    assert.ok(
      ledPages.some((p) => p.present === 2),
      "some pages straddle two hosts",
    );
    // The same rows under the old alphabetical key (arch leads): neighbouring series are not neighbouring
    // hostnames, so a straddling page's range covers hosts it does not hold.
    const alphabetical = setup({ sortKeyFor: () => [...TSBS_TAG_KEYS] });
    await compactRecords(batch, alphabetical.deps);
    const wide = await hostsPerPage(await onlyFile(alphabetical.store), allHosts);
    assert.ok(
      wide.some((p) => p.inRange > 2),
      `hosts per page: ${JSON.stringify(wide)}`,
    );
  });
});
