// Cold-start warm-up for the query function: a tiny synthetic query run end to end through the real query
// handler (parse, plan, catalog, ranged reads, page decoding, aggregation, encoding) against an in-memory
// store and catalog, so the first real query does not pay for compiling those code paths.
import { ObjectStoreCatalog } from "../catalog/catalog.ts";
import type { Clock, IdSource } from "../core/clock.ts";
import type { HttpResponse } from "../http/types.ts";
import { mergedFileKey } from "../layout/keys.ts";
import type { PartitionId } from "../layout/partition.ts";
import type { FieldType } from "../lineprotocol/types.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import { createQueryHandler } from "./endpoint.ts";

/**
 * The fixture's points: per host, six points 30 s apart from `startNs`; `usage` (integer) and `load` (float)
 * follow `usageOf` and `loadOf`. One merged (level-1) file holds them, sorted by host then time.
 */
export const WARMUP_DATA = {
  database: "sediment_warmup",
  measurement: "warmup",
  tagKey: "host",
  hosts: ["a", "b"],
  fields: new Map<string, FieldType>([
    ["usage", "integer"],
    ["load", "float"],
  ]),
  pointsPerHost: 6,
  startNs: 1_704_067_200_000_000_000n, // 2024-01-01T00:00:00Z
  stepNs: 30_000_000_000n,
  usageOf: (host: number, i: number): bigint => BigInt((host === 0 ? 10 : 20) + i),
  loadOf: (host: number, i: number): number => (host === 0 ? i * 0.5 : 1 + i * 0.25),
} as const;

/**
 * WARMUP_DATA written by the real writer (shared/parquet/writer.ts, level 1). Stored as bytes because the
 * writer (parquet-wasm) costs far more to load than the warm-up saves; warmup.test.ts checks that a file
 * written now has the same layout and content, and prints a fresh copy when it does not.
 */
export const WARMUP_PARQUET_BASE64 = [
  "UEFSMRUAFeoDFWIsFRgVChUGFQYAACi1L/0g9UUBAOCAAgQMgICJguL1hgb/xYaPARwAAAAAlboKUKmrAwCyHAU4F0BGcQIVABWO",
  "BRWKASwVGBUKFQYVBgAAKLUv/WBHAN0BALQCgAIEDICAqJbghYimL//vksvdCCYAAAAACNboKQCCNXoKgGCNngIgWKOnAAUAdxyV",
  "pAoADcAC2TDLFQAVFBUmLBUYFQoVBhUGAAAotS/9IApRAACAAgQMAgAAAAAAFQQVFBUmTBUEFQASAAAotS/9IApRAAABAAAAYQEA",
  "AABiFQAVFBUmLBUYFRAVBhUGAAAotS/9IApRAAACAAAAGAEBBcAPFQAVUBVGLBUYFQoVBhUGAAAotS/9ICjVAACgAgAAABgBgAIE",
  "DBQCAwAAAAAAAgABAGjABBUEFZABFWBMFRIVABIAACi1L/0gSD0BALAAAOA/APD4AEAE9D/8PwAAAAAAAAJABwBgIMgMjAayrOQF",
  "7eAAFhUAFSAVMiwVGBUQFQYVBgAAKLUv/SAQgQAAAgAAABgBBAUQMlRic4QAABkSAhkYCAAgIRDXDQYAGRgIgPERGdcNBgAVAhkW",
  "AAAZEgIZGAgAAGUBFxCmFxkYCABcF+45EKYXFQIZFgAAGRICGRgIAQAAAAAAAAAZGAgBAAAAAAAAABUCGRYAABkSAhkYAWEZGAFi",
  "FQIZFgApJgAYABkSAhkYCAoAAAAAAAAAGRgIGQAAAAAAAAAVAhkWACkmABgAGRICGRgIAAAAAAAAAIAZGAgAAAAAAAAEQBUCGRYA",
  "KSYAGAAZHBYIFYYBFgAAABkcFo4BFbABFgAAABkcFr4CFUgWAAAAGRwWyAMVSBYAABkWGAAZHBaQBBVoFgAAABkcFvYFFVQWAAAA",
  "FQIZfEgMYXJyb3dfc2NoZW1hFQwAFQQlABgEdGltZSUUTIwRHCwAAAAAABUEJQAYB3RpbWVfbnMAFQQlABgEX3NlcQAVDCUCGARo",
  "b3N0JQBMHAAAABUEJQIYBXVzYWdlABUKJQIYBGxvYWQAFhgZHBlsJgAcFQQZJQYKGRgEdGltZRUMFhgWjgQWhgEmCDwYCIDxERnX",
  "DQYAGAgAICEQ1w0GABYAKAiA8REZ1w0GABgIACAhENcNBgAREQAZHBUAFQoVAgAAFroJFRYWygYVPgAmABwVBBklBgoZGAd0aW1l",
  "X25zFQwWGBa0BRawASaOATwYCABcF+45EKYXGAgAAGUBFxCmFxYAKAgAXBfuORCmFxgIAABlARcQphcREQAZHBUAFQoVAgAAFtAJ",
  "FRgWiAcVPgAmABwVBBklBgoZGARfc2VxFQwWGBY2FkgmvgI8GAgBAAAAAAAAABgIAQAAAAAAAAAWACgIAQAAAAAAAAAYCAEAAAAA",
  "AAAAEREAGRwVABUKFQIAABboCRUWFsYHFT4AJgAcFQwZNQAGEBkYBGhvc3QVDBYYFmYWigEmyAMmhgMcNgAoAWIYAWEREQAZLBUA",
  "FRAVAgAVBBUAFQIAPBYYKSYAGAAAFv4JFRwWhAgVKgAmABwVBBklBgoZGAV1c2FnZRUMFhgWchZoJpAEPBgIGQAAAAAAAAAYCAoA",
  "AAAAAAAAFgAoCBkAAAAAAAAAGAgKAAAAAAAAABERABkcFQAVChUCADw5JgAYAAAWmgoVFhauCBVGACYAHBUKGTUABhAZGARsb2Fk",
  "FQwWGBbwARbSASb2BSb4BBwYCAAAAAAAAARAGAgAAAAAAAAAgBYAKAgAAAAAAAAEQBgIAAAAAAAAAIAREQAZLBUAFRAVAgAVBBUA",
  "FQIAPDkmABgAABawChUWFvQIFUYAFsANFhgmCBbCBhQAABm8GA1zZWRpbWVudC50YWdzGAhbImhvc3QiXQAYD3NlZGltZW50LmZp",
  "ZWxkcxgieyJ1c2FnZSI6ImludGVnZXIiLCJsb2FkIjoiZmxvYXQifQAYEHNlZGltZW50Lm1pbl9zZXEYATEAGBFzZWRpbWVudC5z",
  "b3J0X2tleRgIWyJob3N0Il0AGBBzZWRpbWVudC5tYXhfc2VxGAExABgSc2VkaW1lbnQucm93X2NvdW50GAIxMgAYFHNlZGltZW50",
  "Lm1pbl90aW1lX25zGBMxNzA0MDY3MjAwMDAwMDAwMDAwABgUc2VkaW1lbnQubWF4X3RpbWVfbnMYEzE3MDQwNjczNTAwMDAwMDAw",
  "MDAAGA5zZWRpbWVudC5sZXZlbBgBMQAYF3NlZGltZW50LmZvcm1hdF92ZXJzaW9uGAExABgMQVJST1c6c2NoZW1hGIAFLy8vLy85",
  "Z0JBQUFRQUFBQUFBQUtBQXdBQ2dBSkFBUUFDZ0FBQUFnQUFBQUFBUVFBTVAvLy93UUFBQUFHQUFBQWNBRUFBQ1FCQUFEd0FBQUFv",
  "QUFBQUZ3QUFBQVVBQUFBRUFBV0FCQUFEZ0FQQUFRQUFBQUlBQkFBQUFBWUFBQUFIQUFBQUFBQUFRTVlBQUFBQUFBR0FBZ0FCZ0FH",
  "QUFBQUFBQUNBQUFBQUFBRUFBQUFiRzloWkFBQUFBQVFBQlFBRUFBT0FBOEFCQUFBQUFnQUVBQUFBQkFBQUFBWUFBQUFBQUFCQWhR",
  "QUFBQkUvLy8vUUFBQUFBQUFBQUVBQUFBQUJRQUFBSFZ6WVdkbEFBQUFFQUFZQUJRQURnQVBBQVFBRUFBSUFCQUFBQUE0QUFBQUxB",
  "QUFBQUFBQVFVUUFBQUFMQUFBQUFnQUNBQUFBQVFBQ0FBQUFBUUFBQUNZLy8vL0lBQUFBQUFBQUFFQUFBQUFCQUFFQUFRQUFBQUVB",
  "QUFBYUc5emRBQUFBQUNZLy8vL0VBQUFBQmdBQUFBQUFBQUNGQUFBQU5ELy8vOUFBQUFBQUFBQUFRQUFBQUFFQUFBQVgzTmxjUUFB",
  "QUFESS8vLy9HQUFBQUNBQUFBQUFBQUFDSEFBQUFBZ0FEQUFFQUFzQUNBQUFBRUFBQUFBQUFBQUJBQUFBQUFjQUFBQjBhVzFsWDI1",
  "ekFCQUFGQUFRQUFBQUR3QUVBQUFBQ0FBUUFBQUFIQUFBQUF3QUFBQUFBQUFLSkFBQUFBQUFBQUFJQUF3QUNnQUVBQWdBQUFBSUFB",
  "QUFBQUFDQUFNQUFBQlZWRU1BQkFBQUFIUnBiV1VBQUFBQQAYGXBhcnF1ZXQtcnMgdmVyc2lvbiA1OS4zLjAZbBwAABwAABwAABwA",
  "ABwAABwAAADFBgAAUEFSMQ==",
].join("");

export interface WarmupQuery {
  readonly name: string;
  readonly q: string;
  /** The expected response body (InfluxDB 1.x JSON, epoch=ns). */
  readonly expected: string;
}

const T0 = "2024-01-01T00:00:00Z";

/** An aggregate GROUP BY time query shaped like TSBS single-groupby, and a raw select. */
export const WARMUP_QUERIES: readonly WarmupQuery[] = [
  {
    name: "groupby-time",
    q: `SELECT max(usage), mean(load) FROM warmup WHERE (host = 'a') AND time >= '${T0}' AND time < '2024-01-01T00:03:00Z' GROUP BY time(1m)`,
    expected:
      '{"results":[{"statement_id":0,"series":[{"name":"warmup","columns":["time","max","mean"],"values":' +
      "[[1704067200000000000,11,0.25],[1704067260000000000,13,1.25],[1704067320000000000,15,2.25]]}]}]}",
  },
  {
    name: "raw-select",
    q: `SELECT usage, load FROM warmup WHERE host = 'b' AND time >= '${T0}' AND time < '2024-01-01T00:01:00Z'`,
    expected:
      '{"results":[{"statement_id":0,"series":[{"name":"warmup","columns":["time","usage","load"],"values":' +
      "[[1704067200000000000,20,1],[1704067230000000000,21,1.25]]}]}]}",
  },
];

export interface WarmupDeps {
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Defaults to WARMUP_QUERIES (tests pass others). */
  readonly queries?: readonly WarmupQuery[];
}

export interface WarmupReport {
  readonly ok: boolean;
  /** One line per query whose answer was not the expected one. */
  readonly problems: readonly string[];
}

function fixtureBytes(): Uint8Array {
  return new Uint8Array(Buffer.from(WARMUP_PARQUET_BASE64, "base64"));
}

function bodyText(response: HttpResponse): string {
  return typeof response.body === "string" ? response.body : new TextDecoder().decode(response.body);
}

/**
 * Runs the warm-up queries through a query handler of their own over an in-memory store and catalog (nothing
 * is shared with the caller's handler) and checks each answer. Throws only if the setup itself fails.
 */
export async function runWarmup(deps: WarmupDeps): Promise<WarmupReport> {
  const d = WARMUP_DATA;
  const store = new MemoryObjectStore(deps.clock);
  const catalog = new ObjectStoreCatalog({ store, clock: deps.clock, ids: deps.ids });
  const bytes = fixtureBytes();
  const partition: PartitionId = { day: "2024-01-01", parts: [] };
  const n = BigInt(d.pointsPerHost - 1);
  const key = mergedFileKey(d.database, d.measurement, partition, 1n, 1n, "warmup");
  await store.put(key, bytes);
  await catalog.ensureSchema(
    d.database,
    new Map([[d.measurement, { tagKeys: [d.tagKey], fields: d.fields, sortKey: () => [d.tagKey] }]]),
  );
  await catalog.commitFiles(d.database, d.measurement, {
    add: [
      {
        partition,
        file: {
          key,
          level: 1,
          sizeBytes: bytes.length,
          rowCount: d.hosts.length * d.pointsPerHost,
          minTimeNs: d.startNs,
          maxTimeNs: d.startNs + n * d.stepNs,
          minSeq: 1n,
          maxSeq: 1n,
          tagValues: new Map([[d.tagKey, [...d.hosts]]]),
        },
      },
    ],
    remove: [],
  });
  const handler = createQueryHandler({ catalog, store, clock: deps.clock });
  const problems: string[] = [];
  for (const { name, q, expected } of deps.queries ?? WARMUP_QUERIES) {
    const query = new URLSearchParams({ db: d.database, epoch: "ns", q, explain: "true" });
    const response = await handler({
      method: "GET",
      path: "/query",
      query,
      headers: {},
      body: new Uint8Array(),
    });
    const body = bodyText(response);
    if (response.status !== 200 || body !== expected)
      problems.push(`${name}: expected 200 ${expected}, got ${response.status} ${body}`);
  }
  return { ok: problems.length === 0, problems };
}
