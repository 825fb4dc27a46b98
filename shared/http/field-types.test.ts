import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { FieldTypeMap } from "../catalog/port.ts";
import type { FieldType, Point } from "../lineprotocol/types.ts";
import { RESERVED_COLUMNS } from "../parquet/table.ts";
import { checkFieldTypes, checkNames, conflictMessage, FieldTypeMemory } from "./field-types.ts";

// The rules written the plain way (every lookup for every field of every point), which the cached and
// shared-layout shortcuts in field-types.ts must agree with on any input.
function referenceNames(
  db: string,
  points: readonly Point[],
  catalog: FieldTypeMap,
  memory: FieldTypeMemory,
): { accepted: Point[]; rejected: { point: Point; message: string }[] } {
  const fields = new Map<string, Set<string>>();
  const tags = new Map<string, Set<string>>();
  const accepted: Point[] = [];
  const rejected: { point: Point; message: string }[] = [];
  for (const p of points) {
    const m = p.measurement;
    const reserved = [...p.tagKeys, ...p.fieldKeys].find((k) => RESERVED_COLUMNS.has(k));
    const both = p.fieldKeys.find((k) => p.tagKeys.includes(k));
    const tagIsField = p.tagKeys.find(
      (k) =>
        catalog.get(m)?.has(k) === true ||
        memory.get(db, m, k) !== undefined ||
        fields.get(m)?.has(k) === true,
    );
    const fieldIsTag = p.fieldKeys.find((k) => tags.get(m)?.has(k) === true);
    const message =
      reserved !== undefined
        ? `invalid name "${reserved}" on measurement "${m}": time, time_ns and _seq are reserved for storage columns`
        : both !== undefined
          ? `invalid point on measurement "${m}": "${both}" is both a tag key and a field key`
          : tagIsField !== undefined
            ? `tag key "${tagIsField}" on measurement "${m}" is already a field key`
            : fieldIsTag !== undefined
              ? `field key "${fieldIsTag}" on measurement "${m}" is already a tag key`
              : undefined;
    if (message !== undefined) {
      rejected.push({ point: p, message });
      continue;
    }
    accepted.push(p);
    for (const k of p.fieldKeys) fields.set(m, (fields.get(m) ?? new Set()).add(k));
    for (const k of p.tagKeys) tags.set(m, (tags.get(m) ?? new Set()).add(k));
  }
  return { accepted, rejected };
}

function referenceTypes(
  db: string,
  points: readonly Point[],
  catalog: FieldTypeMap,
  memory: FieldTypeMemory,
) {
  const seen = new Map<string, Map<string, FieldType>>();
  const accepted: Point[] = [];
  const rejected: { point: Point; message: string }[] = [];
  for (const p of points) {
    const m = p.measurement;
    let message: string | undefined;
    p.fieldKeys.forEach((field, i) => {
      const got = p.fieldTypes[i] as FieldType;
      const existing = catalog.get(m)?.get(field) ?? memory.get(db, m, field) ?? seen.get(m)?.get(field);
      if (message === undefined && existing !== undefined && existing !== got)
        message = conflictMessage({ measurement: m, field, got, existing });
    });
    if (message !== undefined) {
      rejected.push({ point: p, message });
      continue;
    }
    accepted.push(p);
    const bound = seen.get(m) ?? new Map<string, FieldType>();
    seen.set(m, bound);
    p.fieldKeys.forEach((field, i) => {
      if (!bound.has(field)) bound.set(field, p.fieldTypes[i] as FieldType);
    });
  }
  return { accepted, rejected };
}

const keys = fc.oneof(
  { arbitrary: fc.constantFrom("a", "b", "c"), weight: 8 },
  { arbitrary: fc.constantFrom("time", "_seq"), weight: 1 },
);
const types = fc.constantFrom<FieldType>("float", "integer", "string");
const layout = fc.record({
  measurement: fc.constantFrom("m1", "m2"),
  tagKeys: fc.uniqueArray(keys, { maxLength: 3 }),
  fields: fc.uniqueArray(fc.tuple(keys, types), { minLength: 1, maxLength: 3, selector: ([k]) => k }),
});
// Lines pick one of a few layouts, as a parser shares arrays between lines with the same keys and types.
const body = fc
  .record({
    layouts: fc.array(layout, { minLength: 1, maxLength: 5 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
  })
  .map(({ layouts, picks }) => {
    const shared = layouts.map((l) => ({
      measurement: l.measurement,
      tagKeys: l.tagKeys,
      fieldKeys: l.fields.map(([k]) => k),
      fieldTypes: l.fields.map(([, t]) => t),
    }));
    return picks.map((pick, i): Point => {
      const l = shared[pick % shared.length] as (typeof shared)[number];
      return {
        ...l,
        tagValues: l.tagKeys.map(() => "v"),
        fieldValues: l.fieldKeys.map(() => 1),
        time: 0n,
        line: i + 1,
        lineStart: 0,
        lineEnd: 0,
      };
    });
  });
const known = fc.array(fc.tuple(fc.constantFrom("m1", "m2"), keys, types), { maxLength: 4 });

function catalogOf(entries: readonly [string, string, FieldType][]): FieldTypeMap {
  const map = new Map<string, Map<string, FieldType>>();
  for (const [m, k, t] of entries) map.set(m, (map.get(m) ?? new Map()).set(k, t));
  return map;
}

function memoryOf(entries: readonly [string, string, FieldType][]): FieldTypeMemory {
  const memory = new FieldTypeMemory();
  entries.forEach(([m, k, t], i) => {
    memory.reserve("db", [
      {
        measurement: m,
        tagKeys: [],
        tagValues: [],
        fieldKeys: [k],
        fieldTypes: [t],
        fieldValues: [1],
        time: 0n,
        line: i + 1,
        lineStart: 0,
        lineEnd: 0,
      },
    ]);
  });
  return memory;
}

const lines = (points: readonly { point: Point }[] | readonly Point[]) =>
  points.map((p) => ("point" in p ? p.point.line : p.line));

describe("write-path name and field type checks", () => {
  it("accept and reject exactly what the plain rules do, whatever layouts the lines share", () => {
    fc.assert(
      fc.property(body, known, known, (points, inCatalog, inMemory) => {
        const catalog = catalogOf(inCatalog);
        const memory = memoryOf(inMemory);
        const names = checkNames("db", points, catalog, memory);
        const expectedNames = referenceNames("db", points, catalog, memory);
        assert.deepEqual(lines(names.accepted), lines(expectedNames.accepted));
        assert.deepEqual(
          names.rejected.map((r) => [r.point.line, r.message]),
          expectedNames.rejected.map((r) => [r.point.line, r.message]),
        );
        const typed = checkFieldTypes("db", names.accepted, catalog, memory);
        const expectedTypes = referenceTypes("db", names.accepted, catalog, memory);
        assert.deepEqual(lines(typed.accepted), lines(expectedTypes.accepted));
        assert.deepEqual(
          typed.rejected.map((r) => [r.point.line, conflictMessage(r.conflict)]),
          expectedTypes.rejected.map((r) => [r.point.line, r.message]),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("reserves every new field of points sharing a layout, and unreserves them on failure", () => {
    const layout = { fieldKeys: ["a", "b"], fieldTypes: ["float", "integer"] as FieldType[] };
    const point = (line: number, measurement: string): Point => ({
      measurement,
      tagKeys: [],
      tagValues: [],
      ...layout,
      fieldValues: [1, 2n],
      time: 0n,
      line,
      lineStart: 0,
      lineEnd: 0,
    });
    const memory = new FieldTypeMemory();
    const undo = memory.reserve("db", [point(1, "m1"), point(2, "m1"), point(3, "m2")]);
    assert.equal(memory.get("db", "m1", "b"), "integer");
    assert.equal(memory.get("db", "m2", "a"), "float");
    undo();
    assert.equal(memory.get("db", "m1", "a"), undefined);
    assert.equal(memory.get("db", "m2", "b"), undefined);
  });
});
