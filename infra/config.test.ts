import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ConfigError, DEFAULTS, glueTableName, parseConfig } from "./config.ts";

const cpu = { name: "cpu", tags: ["host"], fields: { usage: "float" } };
const withMeasurement = (m: Record<string, unknown>) => ({ databases: [{ name: "db", measurements: [m] }] });

describe("parseConfig", () => {
  it("returns the defaults when the context value is absent", () => {
    assert.deepEqual(parseConfig(undefined), DEFAULTS);
  });

  it("accepts the context value as JSON text (cdk -c sediment='{...}')", () => {
    const config = parseConfig('{"batchSize": 500, "maxBatchingWindowSeconds": 20, "kms": true}');
    assert.equal(config.batchSize, 500);
    assert.equal(config.maxBatchingWindowSeconds, 20);
    assert.equal(config.kms, true);
    assert.equal(config.maxConcurrency, DEFAULTS.maxConcurrency);
  });

  it("merges partial memory settings with the defaults", () => {
    assert.deepEqual(parseConfig({ memory: { query: 4096 } }).memory, { ...DEFAULTS.memory, query: 4096 });
  });

  it("parses tag and bucket partition parts", () => {
    const parts = [
      { kind: "tag", tag: "region", values: ["a", "b"] },
      { kind: "tag", tag: "dc" },
      { kind: "bucket", tag: "host", buckets: 16 },
    ];
    const config = parseConfig(
      withMeasurement({ ...cpu, tags: ["host", "region", "dc"], partitions: parts }),
    );
    assert.deepEqual(config.databases[0]?.measurements[0]?.partitions, parts);
  });

  it("turns the authorizer cache off by default when query-string auth is on", () => {
    assert.equal(parseConfig({ queryStringAuth: true }).authorizerCacheSeconds, 0);
  });

  const rejected: [string, unknown, string][] = [
    ["an unknown setting", { batchsize: 10 }, 'unknown setting "batchsize"'],
    ["invalid JSON text", "{batchSize:", "not valid JSON"],
    [
      "a batch above 10 with no batching window",
      { batchSize: 100, maxBatchingWindowSeconds: 0 },
      "maxBatchingWindowSeconds",
    ],
    [
      "max concurrency below SQS's minimum of 2",
      { maxConcurrency: 1 },
      "maxConcurrency: expected an integer in [2, 1000]",
    ],
    ["a batch above SQS's 10,000", { batchSize: 10_001 }, "batchSize"],
    ["a retention CloudWatch does not offer", { logRetentionDays: 10 }, "logRetentionDays"],
    // Claim checks must outlive the 14-day queue and DLQ retention, or a backlogged record loses its body.
    ["claim checks expiring before the queue's messages", { claimExpiryDays: 7 }, "claimExpiryDays"],
    [
      "caching with query-string credentials",
      { queryStringAuth: true, authorizerCacheSeconds: 60 },
      "authorizerCacheSeconds",
    ],
    [
      "a merge longer than its interval",
      { mergeScheduleMinutes: 5, mergeTimeoutSeconds: 900 },
      "mergeTimeoutSeconds",
    ],
    ["memory above Lambda's 10,240 MB", { memory: { merge: 20_000 } }, "memory.merge"],
    ["an empty database name", { databases: [{ name: "", measurements: [] }] }, "databases[0].name"],
    ["an unknown field type", withMeasurement({ ...cpu, fields: { usage: "double" } }), "fields.usage"],
    ["a reserved column name", withMeasurement({ ...cpu, tags: ["time"] }), "tags[0]"],
    ["an uppercase column", withMeasurement({ ...cpu, fields: { Usage: "float" } }), "fields.Usage"],
    [
      "a tag and a field with one name",
      withMeasurement({ ...cpu, tags: ["usage"] }),
      'duplicate column "usage"',
    ],
    [
      "a partition part on a field",
      withMeasurement({ ...cpu, partitions: [{ kind: "tag", tag: "usage" }] }),
      "partitions[0].tag",
    ],
    [
      "an empty list of projected values",
      withMeasurement({ ...cpu, partitions: [{ kind: "tag", tag: "host", values: [] }] }),
      "partitions[0].values",
    ],
    [
      "more hash buckets than the layout allows",
      withMeasurement({ ...cpu, partitions: [{ kind: "bucket", tag: "host", buckets: 10_001 }] }),
      "partitions[0].buckets",
    ],
    [
      "a bucket column that collides with a tag",
      withMeasurement({
        ...cpu,
        tags: ["host", "host_bucket"],
        partitions: [{ kind: "bucket", tag: "host", buckets: 4 }],
      }),
      'bucket column "host_bucket" collides',
    ],
    [
      "the same part twice",
      withMeasurement({
        ...cpu,
        partitions: [
          { kind: "tag", tag: "host" },
          { kind: "tag", tag: "host" },
        ],
      }),
      'duplicate partition column "host"',
    ],
    [
      "an unknown part kind",
      withMeasurement({ ...cpu, partitions: [{ kind: "hash", tag: "host" }] }),
      "partitions[0].kind",
    ],
    [
      "two measurements mapping to one Glue table",
      {
        databases: [
          {
            name: "db",
            measurements: [
              { ...cpu, name: "a.b" },
              { ...cpu, name: "a-b" },
            ],
          },
        ],
      },
      'both map to Glue table "db__a_b"',
    ],
  ];
  for (const [what, input, message] of rejected) {
    it(`rejects ${what}, naming the setting`, () => {
      assert.throws(
        () => parseConfig(input),
        (error: unknown) => error instanceof ConfigError && error.message.includes(message),
      );
    });
  }
});

describe("glueTableName", () => {
  it("lowercases and replaces characters Athena does not allow", () => {
    assert.equal(glueTableName("Telegraf", "disk.io-stats"), "telegraf__disk_io_stats");
  });
});

describe("cdk.json", () => {
  const cdkJson = JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    app: string;
    notices: boolean;
    context: Record<string, unknown>;
  };

  it("runs the TypeScript app with tsx and keeps the CLI offline", () => {
    assert.equal(cdkJson.app, "npx tsx infra/app.ts");
    assert.equal(cdkJson.notices, false);
    assert.equal(cdkJson.context["cli-telemetry"], false);
  });

  it("holds a valid sediment configuration", () => {
    assert.doesNotThrow(() => parseConfig(cdkJson.context.sediment));
  });
});
