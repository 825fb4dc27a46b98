import assert from "node:assert/strict";
import { it } from "node:test";
import { decide } from "./authorizer.ts";
import { parseTokenGrants } from "./tokens.ts";

const grants = parseTokenGrants([{ token: "good", databases: ["a"], read: true, write: false }]);

it("authorizes a known token from any supported place, with its permissions", () => {
  const basic = `Basic ${Buffer.from("me:good").toString("base64")}`;
  for (const [headers, query] of [
    [{ Authorization: "Token good" }, ""],
    [{ authorization: "Bearer good" }, ""],
    [{ authorization: basic }, ""],
    [{}, "db=a&u=me&p=good"],
  ] as const) {
    assert.deepEqual(decide(grants, headers, query), {
      authorized: true,
      permissions: { databases: ["a"], read: true, write: false },
    });
  }
});

it("refuses missing and unknown tokens, and everything when no tokens are configured", () => {
  assert.deepEqual(decide(grants, {}, ""), { authorized: false, reason: "missing" });
  assert.deepEqual(decide(grants, { authorization: "Token bad" }, ""), {
    authorized: false,
    reason: "invalid",
  });
  assert.deepEqual(decide([], { authorization: "Token good" }, ""), {
    authorized: false,
    reason: "no-tokens-configured",
  });
});
