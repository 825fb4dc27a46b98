// Golden files: testdata/{accepted,rejected}/x.lp parse to exactly what x.json says (bigints as strings).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseLineProtocol } from "./parse.ts";
import type { ParseResult, Precision } from "./types.ts";

const root = join(import.meta.dirname, "testdata");

interface Golden {
  options?: { precision?: Precision; defaultTime?: string };
  points: unknown[];
  errors: unknown[];
}

/** A parse result in the JSON shape of the golden files. */
export function toGolden(result: ParseResult): Omit<Golden, "options"> {
  return {
    points: result.points.map((p) => ({
      line: p.line,
      measurement: p.measurement,
      tags: p.tagKeys.map((k, i) => [k, p.tagValues[i]]),
      fields: p.fieldKeys.map((k, i) => {
        const v = p.fieldValues[i];
        return [k, p.fieldTypes[i], typeof v === "bigint" ? v.toString() : v];
      }),
      time: p.time.toString(),
    })),
    errors: result.errors.map((e) => ({ ...e })),
  };
}

for (const kind of ["accepted", "rejected"] as const) {
  describe(`golden ${kind}`, () => {
    const files = readdirSync(join(root, kind)).filter((f) => f.endsWith(".lp"));
    test("folder has cases", () => assert.ok(files.length > 0));
    for (const file of files) {
      test(file, () => {
        const golden = JSON.parse(
          readFileSync(join(root, kind, file.replace(/\.lp$/, ".json")), "utf8"),
        ) as Golden;
        const result = parseLineProtocol(readFileSync(join(root, kind, file)), {
          precision: golden.options?.precision ?? "ns",
          defaultTime: BigInt(golden.options?.defaultTime ?? "0"),
        });
        const got = toGolden(result);
        assert.deepEqual(got.points, golden.points);
        assert.deepEqual(got.errors, golden.errors);
        if (kind === "accepted") assert.deepEqual(result.errors, [], "accepted files have no bad line");
        else assert.ok(result.errors.length > 0, "rejected files have bad lines");
      });
    }
  });
}
