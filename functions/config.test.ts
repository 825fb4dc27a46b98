import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FunctionConfigError, loadApiConfig, loadAuthorizerConfig } from "./config.ts";

describe("loadApiConfig", () => {
  it("write role needs bucket and queue; defaults fill the rest", () => {
    const c = loadApiConfig({
      SEDIMENT_ROLE: "write",
      SEDIMENT_BUCKET: "b",
      SEDIMENT_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/1/q",
    });
    assert.deepEqual(c, {
      role: "write",
      bucket: "b",
      queueUrl: "https://sqs.eu-west-1.amazonaws.com/1/q",
      maxBodyBytes: 10 * 1024 * 1024,
      maxDecompressedBytes: 64 * 1024 * 1024,
      auth: "authorizer",
      conditionalWrites: true,
      awsEndpoint: undefined,
      version: "0.1.0",
    });
  });

  it("query role does not need a queue", () => {
    assert.equal(loadApiConfig({ SEDIMENT_ROLE: "query", SEDIMENT_BUCKET: "b" }).queueUrl, undefined);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    [
      "no bucket",
      { SEDIMENT_QUEUE_URL: "https://q" },
      /SEDIMENT_BUCKET is not set: it must hold the data bucket's name/,
    ],
    ["no queue for writes", { SEDIMENT_BUCKET: "b" }, /SEDIMENT_QUEUE_URL is not set/],
    [
      "queue not a URL",
      { SEDIMENT_BUCKET: "b", SEDIMENT_QUEUE_URL: "q" },
      /SEDIMENT_QUEUE_URL must be an http\(s\) URL/,
    ],
    [
      "unknown role",
      { SEDIMENT_ROLE: "admin", SEDIMENT_BUCKET: "b" },
      /SEDIMENT_ROLE must be one of write, query, got "admin"/,
    ],
    [
      "bad limit",
      { SEDIMENT_ROLE: "query", SEDIMENT_BUCKET: "b", SEDIMENT_MAX_BODY_BYTES: "10MB" },
      /SEDIMENT_MAX_BODY_BYTES must be an integer/,
    ],
    [
      "bad auth",
      { SEDIMENT_ROLE: "query", SEDIMENT_BUCKET: "b", SEDIMENT_AUTH: "off" },
      /SEDIMENT_AUTH must be one of authorizer, none/,
    ],
  ];
  for (const [name, env, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => loadApiConfig(env),
        (e: unknown) => e instanceof FunctionConfigError && message.test(e.message),
      );
    });
  }
});

describe("loadAuthorizerConfig", () => {
  it("reads the parameter name and cache time", () => {
    assert.deepEqual(
      loadAuthorizerConfig({
        SEDIMENT_TOKENS_PARAMETER: "/sediment/tokens",
        SEDIMENT_TOKENS_CACHE_SECONDS: "30",
      }),
      {
        tokensParameter: "/sediment/tokens",
        cacheMs: 30_000,
        awsEndpoint: undefined,
      },
    );
  });
  it("refuses a missing parameter name", () => {
    assert.throws(() => loadAuthorizerConfig({}), /SEDIMENT_TOKENS_PARAMETER is not set/);
  });
});
