import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { validateKey } from "../objectstore/errors.ts";
import { decodeSegment, EMPTY_SEGMENT, encodeSegment, MAX_SEGMENT_CHARS, NULL_SEGMENT } from "./encode.ts";
import {
  catalogFilesPrefix,
  catalogSchemaPrefix,
  catalogVersionKey,
  l0FileKey,
  mergedFileKey,
  parseCatalogKey,
  parseDataFileKey,
} from "./keys.ts";
import type { PartitionId } from "./partition.ts";
import {
  bucketOf,
  dayOf,
  dayRangeNs,
  fnv1a32,
  partitionOf,
  partitionPath,
  validateTemplate,
} from "./partition.ts";

const anyString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc
    .string({ unit: "binary", maxLength: 40 })
    .filter((s) => new TextDecoder().decode(new TextEncoder().encode(s)) === s),
  fc.constantFrom("", ".", "..", "_x", "a/b", "=", "%", "%25", "~", "__HIVE_DEFAULT_PARTITION__", "a b"),
);

describe("segment encoding", () => {
  it("round-trips any well-formed string", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const enc = encodeSegment(s);
        assert.deepEqual(decodeSegment(enc), { value: s, complete: true });
      }),
      { numRuns: 2000 },
    );
  });

  it("never produces a character that could escape a prefix or be read by Hive as special", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const enc = encodeSegment(s);
        assert.match(enc, /^[A-Za-z0-9%~-][A-Za-z0-9._%~-]*$/);
        assert.ok(!enc.includes("/") && !enc.includes("=") && enc !== "." && enc !== "..");
        assert.notEqual(enc, NULL_SEGMENT);
        assert.ok(!enc.startsWith("_") && !enc.startsWith("."));
        validateKey(`data/${enc}/x`);
      }),
      { numRuns: 2000 },
    );
  });

  it("is injective: different strings never share an encoding", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(encodeSegment(a), encodeSegment(b));
      }),
    );
  });

  it("escapes '=', '%', '/', a leading '.' or '_' and represents the empty string", () => {
    assert.equal(encodeSegment("a=b%c/d"), "a%3Db%25c%2Fd");
    assert.equal(encodeSegment(".."), "%2E.");
    assert.equal(encodeSegment("_tmp"), "%5Ftmp");
    assert.equal(encodeSegment(""), EMPTY_SEGMENT);
    assert.equal(encodeSegment("us-west-1"), "us-west-1");
  });

  it("rejects non-canonical spellings", () => {
    for (const bad of ["%2f", "a%3", "a/b", "%41", "_x", "a~zz", ""])
      assert.throws(() => decodeSegment(bad), /invalid encoded key segment/);
  });

  it("shortens long values with a hash suffix whose prefix still decodes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 80, maxLength: 400 }), (s) => {
        const enc = encodeSegment(s);
        assert.ok(enc.length <= MAX_SEGMENT_CHARS);
        const dec = decodeSegment(enc);
        if (dec.complete) assert.equal(dec.value, s);
        else assert.ok(s.startsWith(dec.value) && dec.value.length > 0);
      }),
    );
    const a = encodeSegment("x".repeat(300));
    const b = encodeSegment(`${"x".repeat(299)}y`);
    assert.notEqual(a, b);
  });
});

describe("partitions", () => {
  it("computes UTC days, including before the epoch", () => {
    assert.equal(dayOf(0n), "1970-01-01");
    assert.equal(dayOf(-1n), "1969-12-31");
    assert.equal(dayOf(1_700_000_000_000_000_000n), "2023-11-14");
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 19n }), (t) => {
        const [start, end] = dayRangeNs(dayOf(t));
        assert.ok(start <= t && t < end);
      }),
    );
  });

  it("buckets by a stable hash, zero-padded", () => {
    assert.equal(fnv1a32(""), 0x811c9dc5);
    assert.equal(fnv1a32("a"), 0xe40c292c); // published FNV-1a test vector
    assert.equal(bucketOf("host_1", 16).length, 2);
    assert.equal(bucketOf("host_1", 1000).length, 3);
    assert.equal(bucketOf("x", 16), bucketOf("x", 16));
  });

  it("builds tag and bucket parts, absent tags as Hive's null partition", () => {
    const template = {
      parts: [
        { kind: "tag" as const, tag: "region" },
        { kind: "bucket" as const, tag: "host", buckets: 16 },
      ],
    };
    validateTemplate(template);
    const p = partitionOf(template, 0n, (t) => (t === "host" ? "h1" : null));
    assert.equal(
      partitionPath(p),
      `day=1970-01-01/region=${NULL_SEGMENT}/host_bucket=${bucketOf("h1", 16)}/`,
    );
  });

  it("rejects templates with duplicate or reserved names", () => {
    assert.throws(() => validateTemplate({ parts: [{ kind: "tag", tag: "day" }] }));
    assert.throws(() =>
      validateTemplate({
        parts: [
          { kind: "tag", tag: "a_bucket" },
          { kind: "bucket", tag: "a", buckets: 4 },
        ],
      }),
    );
    assert.throws(() => validateTemplate({ parts: [{ kind: "bucket", tag: "a", buckets: 0 }] }));
  });
});

describe("data and catalog keys", () => {
  const partitionArb: fc.Arbitrary<PartitionId> = fc.record({
    day: fc.constantFrom("2024-01-01", "1999-12-31"),
    parts: fc.array(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 10 }),
        value: fc.option(anyString, { nil: null }),
      }),
      { maxLength: 3 },
    ),
  });
  const name = fc.string({ minLength: 1, maxLength: 30 });

  it("round-trips L0 and merged file keys", () => {
    fc.assert(
      fc.property(
        name,
        name,
        partitionArb,
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (db, m, raw, s1, s2) => {
          const p = { day: raw.day, parts: raw.parts.map((x) => ({ name: x.name, value: x.value })) };
          const k0 = l0FileKey(db, m, p, s1, "id-1");
          validateKey(k0);
          assert.deepEqual(parseDataFileKey(k0), {
            database: db,
            measurement: m,
            partition: p,
            level: 0,
            minSeq: s1,
            id: "id-1",
          });
          const k1 = mergedFileKey(db, m, p, s1, s2, "abc");
          assert.deepEqual(parseDataFileKey(k1), {
            database: db,
            measurement: m,
            partition: p,
            level: 1,
            minSeq: s1,
            maxSeq: s2,
            id: "abc",
          });
          assert.ok(k0.startsWith(`data/${encodeSegment(db)}/${encodeSegment(m)}/day=`));
        },
      ),
    );
  });

  it("round-trips catalog keys", () => {
    fc.assert(
      fc.property(name, name, fc.bigInt({ min: 0n, max: 10n ** 12n }), (db, m, v) => {
        assert.deepEqual(parseCatalogKey(catalogVersionKey(catalogSchemaPrefix(db), v)), {
          kind: "schema",
          database: db,
          version: v,
        });
        assert.deepEqual(parseCatalogKey(catalogVersionKey(catalogFilesPrefix(db, m), v)), {
          kind: "files",
          database: db,
          measurement: m,
          version: v,
        });
      }),
    );
  });

  it("sorts keys by sequence and rejects foreign keys", () => {
    const p = { day: "2024-01-01", parts: [] };
    assert.ok(l0FileKey("d", "m", p, 9n, "a") < l0FileKey("d", "m", p, 10n, "a"));
    assert.equal(parseDataFileKey("data/d/m/day=2024-01-01/other.parquet"), undefined);
    assert.equal(parseDataFileKey("wal/claims/x.bin"), undefined);
    assert.throws(() => l0FileKey("d", "m", p, 1n, "../x"));
  });
});
