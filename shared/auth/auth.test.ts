import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { extractToken } from "./credentials.ts";
import { TokenConfigError, TokenSourceError } from "./errors.ts";
import { CachedTokenSource } from "./source.ts";
import { allows, findGrant, parseTokenGrants, sha256Hex } from "./tokens.ts";

describe("parseTokenGrants", () => {
  it("hashes plain tokens and lower-cases given hashes", () => {
    const hash = sha256Hex("s3cret").toUpperCase();
    const grants = parseTokenGrants([
      { token: "abc", databases: "*", read: true, write: false },
      { tokenHash: hash, databases: ["a", "b"], read: false, write: true },
    ]);
    assert.deepEqual(grants, [
      { tokenHash: sha256Hex("abc"), databases: "*", read: true, write: false },
      { tokenHash: hash.toLowerCase(), databases: ["a", "b"], read: false, write: true },
    ]);
    assert.ok(!JSON.stringify(grants).includes('abc"'), "the plain token is not kept");
  });

  const bad: [string, unknown, RegExp][] = [
    ["not a list", { token: "x" }, /must be a JSON array/],
    ["entry not an object", ["x"], /entry 0 must be an object/],
    ["no token", [{ databases: "*", read: true, write: true }], /entry 0 needs "tokenHash"/],
    ["short hash", [{ tokenHash: "abcd", databases: "*", read: true, write: true }], /64 hex digits/],
    [
      "bad databases",
      [{ token: "t", databases: "all", read: true, write: true }],
      /"databases" must be "\*" or a list/,
    ],
    [
      "missing write",
      [{ token: "t", databases: "*", read: true }],
      /entry 0: "write" must be true or false, got nothing/,
    ],
  ];
  for (const [name, value, message] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => parseTokenGrants(value),
        (e: unknown) => e instanceof TokenConfigError && message.test(e.message),
      );
    });
  }
});

describe("findGrant / allows", () => {
  const grants = parseTokenGrants([
    { token: "one", databases: ["a"], read: true, write: false },
    { token: "two", databases: "*", read: false, write: true },
  ]);
  it("finds the grant of a presented token and nothing for others", () => {
    assert.equal(findGrant(grants, "one"), grants[0]);
    assert.equal(findGrant(grants, "two"), grants[1]);
    assert.equal(findGrant(grants, "three"), undefined);
    assert.equal(findGrant(grants, ""), undefined);
  });
  it("checks action and database", () => {
    const one = grants[0];
    const two = grants[1];
    assert.ok(one && two);
    assert.equal(allows(one, "read", "a"), true);
    assert.equal(allows(one, "read", "b"), false);
    assert.equal(allows(one, "write", "a"), false);
    assert.equal(allows(two, "write", "anything"), true);
    assert.equal(allows(two, "read", "anything"), false);
  });
});

describe("extractToken", () => {
  const none = new URLSearchParams();
  const cases: [string, Record<string, string>, string, string | undefined][] = [
    ["Token", { authorization: "Token abc" }, "", "abc"],
    ["token (any case)", { authorization: "token abc" }, "", "abc"],
    ["Bearer", { authorization: "Bearer abc" }, "", "abc"],
    [
      "Basic user:pass",
      { authorization: `Basic ${Buffer.from("u:abc:def").toString("base64")}` },
      "",
      "abc:def",
    ],
    [
      "Basic without a password",
      { authorization: `Basic ${Buffer.from("u:").toString("base64")}` },
      "",
      undefined,
    ],
    ["unknown scheme", { authorization: "Digest abc" }, "", undefined],
    ["no scheme", { authorization: "abc" }, "", undefined],
    ["v1 p param", {}, "u=me&p=abc", "abc"],
    ["header wins over p", { authorization: "Token abc" }, "p=zzz", "abc"],
    ["nothing", {}, "", undefined],
  ];
  for (const [name, headers, query, expected] of cases) {
    it(name, () => assert.equal(extractToken(headers, query ? new URLSearchParams(query) : none), expected));
  }
});

describe("CachedTokenSource", () => {
  const list = (token: string) => JSON.stringify([{ token, databases: "*", read: true, write: true }]);

  it("loads once per TTL and refreshes after it", async () => {
    const clock = new ManualClock();
    let loads = 0;
    let current = list("first");
    const source = new CachedTokenSource(
      {
        load: async () => {
          loads += 1;
          return current;
        },
      },
      clock,
      60_000,
    );
    const [a, b] = await Promise.all([source.grants(), source.grants()]);
    assert.equal(loads, 1, "concurrent callers share one load");
    assert.equal(a, b);
    current = list("second");
    clock.advanceMs(59_999);
    assert.equal(findGrant(await source.grants(), "first") !== undefined, true);
    clock.advanceMs(1);
    assert.equal(findGrant(await source.grants(), "second") !== undefined, true);
    assert.equal(loads, 2);
  });

  it("keeps the last good list when a refresh fails, and fails clearly with none", async () => {
    const clock = new ManualClock();
    let fail = false;
    const source = new CachedTokenSource(
      {
        load: async () => {
          if (fail) throw new Error("ssm throttled");
          return list("kept");
        },
      },
      clock,
    );
    await source.grants();
    fail = true;
    clock.advanceMs(120_000);
    assert.ok(findGrant(await source.grants(), "kept"));

    const empty = new CachedTokenSource({ load: async () => "not json" }, clock);
    await assert.rejects(
      empty.grants(),
      (e: unknown) => e instanceof TokenSourceError && /not valid JSON/.test(e.message),
    );
  });
});
