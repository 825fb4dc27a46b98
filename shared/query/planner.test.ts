import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parquetMetadata } from "hyparquet";
import type { FileEntry, PartitionEntry } from "../catalog/port.ts";
import type { SelectStatement } from "../influxql/ast.ts";
import { parseStatement } from "../influxql/parser.ts";
import { timeRange } from "./condition.ts";
import {
  choosePageRanges,
  chooseRowGroups,
  literalAlternatives,
  overlapClusters,
  type PageStats,
  type PruneInput,
  planFiles,
} from "./planner.ts";
import { writeContractFile } from "./testkit.ts";

const NOW = 1_700_000_000_000_000_000n;
const DAY = 86_400_000_000_000n;
const day0 = 1_451_606_400_000_000_000n; // 2016-01-01

function input(where: string, tags = ["host", "region"]): PruneInput {
  const s = parseStatement(`SELECT v FROM m WHERE ${where}`) as SelectStatement;
  return {
    ...(s.condition ? { condition: s.condition } : {}),
    range: timeRange(s.condition, NOW),
    nowNs: NOW,
    isTag: (n) => tags.includes(n),
  };
}

function file(key: string, min: bigint, max: bigint, tagValues: Record<string, string[]> = {}): FileEntry {
  return {
    key,
    level: 1,
    sizeBytes: 100,
    rowCount: 10,
    minTimeNs: min,
    maxTimeNs: max,
    minSeq: 1n,
    maxSeq: 1n,
    tagValues: new Map(Object.entries(tagValues)),
  };
}

const partitions: PartitionEntry[] = [
  {
    day: "2016-01-01",
    parts: { region: "eu" },
    files: [file("a", day0, day0 + DAY - 1n, { host: ["h1", "h2"] })],
  },
  { day: "2016-01-01", parts: { region: "us" }, files: [file("b", day0, day0 + DAY - 1n, { host: ["h3"] })] },
  {
    day: "2016-01-02",
    parts: { region: "eu" },
    files: [file("c", day0 + DAY, day0 + 2n * DAY - 1n, { host: ["h1"] })],
  },
  {
    day: "2016-01-02",
    parts: { host_bucket: "07" },
    files: [file("d", day0 + DAY, day0 + 2n * DAY - 1n, {})],
  },
];

const keys = (where: string): string[] => planFiles(partitions, input(where)).files.map((f) => f.key);

describe("planFiles", () => {
  const cases: [name: string, where: string, expected: string[]][] = [
    ["keeps everything without a condition", "v > 0", ["a", "b", "c", "d"]],
    ["prunes days outside the time range", "time >= '2016-01-02T00:00:00Z'", ["c", "d"]],
    ["prunes by a tag-named partition part", "region = 'us'", ["b", "d"]],
    ["prunes by a regex on a partition part", "region =~ /^e/", ["a", "c", "d"]],
    ["prunes files by their tag-value summary", "host = 'h3'", ["b", "d"]],
    ["OR keeps either side", "host = 'h3' OR time < '2016-01-01T12:00:00Z'", ["a", "b", "d"]],
    ["AND needs both sides", "host = 'h1' AND time >= '2016-01-02T00:00:00Z'", ["c", "d"]],
    ["an empty value may match rows without the tag", "host = ''", ["a", "b", "c", "d"]],
    ["!= never prunes", "host != 'h1'", ["a", "b", "c", "d"]],
  ];
  for (const [name, where, expected] of cases) it(name, () => assert.deepEqual(keys(where), expected));

  it("counts what it considered", () => {
    const plan = planFiles(partitions, input("region = 'us'"));
    assert.equal(plan.partitionsConsidered, 4);
    assert.equal(plan.partitionsChosen, 2);
    assert.equal(plan.filesConsidered, 4);
  });
});

describe("chooseRowGroups", () => {
  const fields = new Map([["v", "float" as const]]);
  const points = [];
  for (const host of ["h1", "h2", "h3", "h4"]) {
    for (let i = 0; i < 50; i++)
      points.push({ time: day0 + BigInt(i) * 60_000_000_000n, tags: { host }, fields: { v: i } });
  }
  // Sorted by host then time: 50 rows per host, one row group each.
  const written = writeContractFile(points, ["host"], fields, { rowGroupSize: 50 });
  const meta = parquetMetadata(written.bytes.buffer as ArrayBuffer);

  const chosen = (where: string): number[] =>
    chooseRowGroups(meta, input(where, ["host"])).map((g) => g.index);

  it("has one row group per host", () => assert.equal(meta.row_groups.length, 4));
  it("keeps only the row group whose min/max hold the host", () =>
    assert.deepEqual(chosen("host = 'h3'"), [2]));
  it("keeps row groups for either host under OR", () =>
    assert.deepEqual(chosen("host = 'h1' OR host = 'h4'"), [0, 3]));
  it("prunes every row group outside the time range", () =>
    assert.deepEqual(chosen("time > '2016-01-02T00:00:00Z'"), []));
  it("keeps row groups overlapping the time range", () =>
    assert.deepEqual(chosen("time >= '2016-01-01T00:30:00Z' AND host = 'h2'"), [1]));
  it("prunes an anchored alternation of literals like equalities", () =>
    assert.deepEqual(chosen("host =~ /^(h2|h4)$/"), [1, 3]));
  it("cannot prune a regex by min/max, so keeps all", () =>
    assert.deepEqual(chosen("host =~ /3/"), [0, 1, 2, 3]));
  it("reports row ranges for hyparquet", () =>
    assert.deepEqual(chooseRowGroups(meta, input("host = 'h2'", ["host"])), [
      { index: 1, rowStart: 50, rowEnd: 100 },
    ]));
  it("a tag missing from the file only matches ''", () => {
    const groups = chooseRowGroups(meta, input("region = 'eu'", ["host", "region"]));
    assert.deepEqual(groups, []);
    assert.equal(chooseRowGroups(meta, input("region = ''", ["host", "region"])).length, 4);
  });
});

describe("chooseRowGroups with truncated statistics", () => {
  const fields = new Map([["v", "float" as const]]);
  const hosts = ["a-very-long-hostname-0001", "a-very-long-hostname-0002", "short"];
  const points = hosts.flatMap((host) =>
    [0n, 1n].map((i) => ({ time: day0 + i, tags: { host }, fields: { v: 1 } })),
  );
  const written = writeContractFile(points, ["host"], fields, {
    rowGroupSize: 2,
    statisticsTruncateLength: 16,
  });
  const meta = parquetMetadata(written.bytes.buffer as ArrayBuffer);
  const chosen = (host: string): number[] =>
    chooseRowGroups(meta, input(`host = '${host}'`, ["host"])).map((g) => g.index);

  it("keeps the group whose truncated bounds hold the value", () =>
    assert.ok(chosen(hosts[1] as string).includes(1)));
  it("prunes groups whose exact bounds exclude the value", () => assert.deepEqual(chosen("short"), [2]));
});

describe("literalAlternatives", () => {
  const cases: [RegExp, string[] | undefined][] = [
    [/^a$/, ["a"]],
    [/^(a|b_c)$/, ["a", "b_c"]],
    [/^(?:x\.y|z)$/, ["x.y", "z"]],
    [/^a.*$/, undefined],
    [/a|b/, undefined],
    [/^(a|b)/, undefined],
    [/^a$/i, undefined],
  ];
  for (const [re, expected] of cases) it(`${re}`, () => assert.deepEqual(literalAlternatives(re), expected));
});

describe("overlapClusters", () => {
  it("groups transitively overlapping ranges and leaves disjoint ones alone", () => {
    const r = (n: string, a: number, b: number) => ({ n, minTimeNs: BigInt(a), maxTimeNs: BigInt(b) });
    const clusters = overlapClusters([
      r("x", 10, 20),
      r("y", 0, 5),
      r("z", 15, 30),
      r("w", 30, 31),
      r("v", 40, 50),
    ]);
    assert.deepEqual(
      clusters.map((c) => c.map((i) => i.n)),
      [["y"], ["x", "z", "w"], ["v"]],
    );
  });
});

describe("choosePageRanges", () => {
  const t = (h: number): bigint => day0 + BigInt(h) * 3_600_000_000_000n;
  // Three pages of hostname (rows 0-9, 10-19, 20-29) and two of time_ns (rows 0-14, 15-29).
  const pages = new Map<string, PageStats>([
    [
      "host",
      {
        firstRows: [0, 10, 20],
        mins: ["a", "c", "e"],
        maxs: ["b", "d", "f"],
        nullPages: [false, false, false],
      },
    ],
    ["time_ns", { firstRows: [0, 15], mins: [t(0), t(10)], maxs: [t(9), t(20)], nullPages: [false, false] }],
  ]);
  const ranges = (where: string): [number, number][] => choosePageRanges(30, pages, input(where));
  it("keeps only the page whose min/max hold the host", () =>
    assert.deepEqual(ranges("host = 'c'"), [[10, 20]]));
  it("keeps pages for either host under OR, joining neighbours", () =>
    assert.deepEqual(ranges("host = 'a' OR host = 'd'"), [[0, 20]]));
  it("cuts at time pages too", () => assert.deepEqual(ranges(`host = 'c' AND time >= ${t(12)}`), [[15, 20]]));
  it("keeps every page when nothing prunes", () => assert.deepEqual(ranges("v > 1"), [[0, 30]]));
  it("prunes an anchored alternation like equalities", () =>
    assert.deepEqual(ranges("host =~ /^(a|f)$/"), [
      [0, 10],
      [20, 30],
    ]));
  it("a page of nulls only matches ''", () => {
    const nulls = new Map<string, PageStats>([
      [
        "host",
        { firstRows: [0, 10], mins: ["a", undefined], maxs: ["b", undefined], nullPages: [false, true] },
      ],
    ]);
    assert.deepEqual(choosePageRanges(20, nulls, input("host = 'a'")), [[0, 10]]);
    assert.deepEqual(choosePageRanges(20, nulls, input("host = 'x'")), []);
  });
});
