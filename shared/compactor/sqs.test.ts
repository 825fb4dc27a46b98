import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ObjectStoreCatalog } from "../catalog/catalog.ts";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { MemoryObjectStore } from "../objectstore/memory.ts";
import { encodeRecord } from "../wal/codec.ts";
import { decodeWalMessage } from "../wal/sqs.ts";
import {
  CompactorConfigError,
  loadCompactorConfig,
  parseTemplateRules,
  sortKeyFor,
  templateFor,
} from "./config.ts";
import { compactSqsBatch } from "./sqs.ts";
import { record } from "./testkit.ts";

describe("compactSqsBatch", () => {
  it("reports undecodable messages and failed records as batch item failures, and only those", async () => {
    const store = new MemoryObjectStore();
    const deps = {
      store,
      catalog: new ObjectStoreCatalog({ store, clock: new ManualClock(), ids: new SequentialIds("w") }),
      ids: new SequentialIds("f"),
      parse: (body: Uint8Array, o: Parameters<typeof parseLineProtocol>[1]) => {
        if (new TextDecoder().decode(body).includes("boom")) throw new Error("parser crashed");
        return parseLineProtocol(body, o);
      },
    };
    const good = Buffer.from(encodeRecord(record("db", 1n, ["m v=1 1"]))).toString("base64");
    const badPrecision = Buffer.from(encodeRecord(record("db", 2n, ["boom v=2 2"]))).toString("base64");
    const errors: unknown[] = [];
    const summaries: unknown[] = [];
    const out = await compactSqsBatch(
      [
        { messageId: "ok", body: good },
        { messageId: "garbage", body: "not a record" },
        { messageId: "unparsable", body: badPrecision },
      ],
      decodeWalMessage,
      deps,
      { error: (_m, d) => errors.push(d), warn: () => undefined, summary: (c) => summaries.push(c) },
    );
    assert.deepEqual(summaries, [{ messages: 3, failed: 2, points: 1, files: 1, rejectedPoints: 0 }]);
    assert.deepEqual(out.batchItemFailures.map((f) => f.itemIdentifier).sort(), ["garbage", "unparsable"]);
    assert.equal(errors.length, 2);
    assert.equal((await deps.catalog.partitions("db", "m", 0n, 10n))[0]?.files.length, 1);
  });
});

describe("compactor configuration", () => {
  it("parses and validates the environment", () => {
    const c = loadCompactorConfig({
      SEDIMENT_BUCKET: "b",
      SEDIMENT_PARTITION_TEMPLATES:
        '[{"database":"*","measurement":"cpu","parts":[{"kind":"bucket","tag":"hostname","buckets":16}]}]',
      SEDIMENT_MERGE_TARGET_BYTES: "1048576",
    });
    assert.equal(c.merge.targetFileBytes, 1_048_576);
    assert.equal(c.merge.smallFileBytes, 524_288);
    assert.deepEqual(templateFor(c.templates)("any", "cpu"), {
      parts: [{ kind: "bucket", tag: "hostname", buckets: 16 }],
    });
    assert.deepEqual(templateFor(c.templates)("any", "mem"), { parts: [] });
    assert.throws(() => loadCompactorConfig({}), CompactorConfigError);
    assert.throws(
      () => loadCompactorConfig({ SEDIMENT_BUCKET: "b", SEDIMENT_PARTITION_TEMPLATES: "[1]" }),
      /needs database/,
    );
    assert.throws(
      () => loadCompactorConfig({ SEDIMENT_BUCKET: "b", SEDIMENT_ROW_GROUP_ROWS: "12x" }),
      /SEDIMENT_ROW_GROUP_ROWS must be an integer/,
    );
  });

  it("reads an optional sortKey per rule, with or without parts, and rejects bad ones", () => {
    const rules = parseTemplateRules(
      '[{"database":"db","measurement":"cpu","sortKey":["hostname","region"]},' +
        '{"database":"*","measurement":"cpu","parts":[{"kind":"tag","tag":"region"}],"sortKey":["rack"]},' +
        '{"database":"*","measurement":"*","parts":[]}]',
    );
    assert.deepEqual(sortKeyFor(rules)("db", "cpu"), ["hostname", "region"]);
    assert.deepEqual(templateFor(rules)("db", "cpu"), { parts: [] }, "the first matching rule gives both");
    assert.deepEqual(sortKeyFor(rules)("other", "cpu"), ["rack"]);
    assert.equal(sortKeyFor(rules)("db", "mem"), undefined);
    for (const [sortKey, message] of [
      ["[]", /sortKey must be a non-empty array of tag keys/],
      ['"hostname"', /sortKey must be a non-empty array of tag keys/],
      ['["a",""]', /sortKey\[1\] must be a non-empty string, got ""/],
      ['["a",3]', /sortKey\[1\] must be a non-empty string, got 3/],
      ['["time_ns"]', /sortKey\[0\]: "time_ns" is a reserved column/],
      ['["a","b","a"]', /sortKey names "a" twice/],
    ] as const)
      assert.throws(
        () => parseTemplateRules(`[{"database":"*","measurement":"m","sortKey":${sortKey}}]`),
        (e: Error) => e instanceof CompactorConfigError && message.test(e.message),
        sortKey,
      );
    assert.throws(() => parseTemplateRules('[{"database":"*","measurement":"m"}]'), /parts or sortKey/);
    assert.throws(
      () => parseTemplateRules('[{"database":"*","measurement":"m","parts":{}}]'),
      /parts must be an array/,
    );
  });
});
