import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Hex } from "../shared/auth/tokens.ts";
import { isLoopback, loadServerConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";

const load = (argv: string[], env: Record<string, string> = {}) => {
  const config = loadServerConfig(argv, env, "/work");
  assert.ok(config);
  return config;
};

describe("loadServerConfig", () => {
  it("defaults: loopback, 8086, ./data, local disk, open access", () => {
    const c = load([]);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 8086);
    assert.equal(c.dataDir, "/work/data");
    assert.deepEqual(c.objectStore, { kind: "file", root: "/work/data/objects" });
    assert.deepEqual(c.wal, { kind: "file", dir: "/work/data/wal" });
    assert.equal(c.maxBodyBytes, 10 * 1024 * 1024);
    assert.deepEqual(c.tokens, []);
  });

  it("a flag beats its variable, which beats the default", () => {
    assert.equal(load([], { SEDIMENT_PORT: "9000" }).port, 9000);
    assert.equal(load(["--port", "9001"], { SEDIMENT_PORT: "9000" }).port, 9001);
    assert.equal(load([], { SEDIMENT_DATA_DIR: "/var/sediment" }).dataDir, "/var/sediment");
  });

  it("--token becomes a full-access grant, stored hashed; SEDIMENT_TOKENS adds more", () => {
    const c = load(["--token", "t0"], {
      SEDIMENT_TOKENS: JSON.stringify([{ token: "t1", databases: ["a"], read: true, write: false }]),
    });
    assert.deepEqual(c.tokens, [
      { tokenHash: sha256Hex("t0"), databases: "*", read: true, write: true },
      { tokenHash: sha256Hex("t1"), databases: ["a"], read: true, write: false },
    ]);
  });

  it("s3 and sqs modes take their names and AWS_ENDPOINT_URL", () => {
    const c = load(["--object-store", "s3", "--bucket", "b", "--wal", "sqs", "--queue-url", "http://q"], {
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
    });
    assert.deepEqual(c.objectStore, { kind: "s3", bucket: "b", conditionalWrites: false });
    assert.deepEqual(c.wal, { kind: "sqs", queueUrl: "http://q" });
    assert.equal(c.awsEndpoint, "http://127.0.0.1:4566");
  });

  it("--help returns undefined", () => {
    assert.equal(loadServerConfig(["--help"], {}, "/"), undefined);
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    [
      "public host without a token",
      ["--host", "0.0.0.0"],
      {},
      /refusing to listen on 0.0.0.0 without a token/,
    ],
    ["bad port", ["--port", "80x"], {}, /--port must be an integer from 0 to 65535, got "80x"/],
    ["port from env out of range", [], { SEDIMENT_PORT: "70000" }, /SEDIMENT_PORT must be an integer/],
    ["unknown flag", ["--colour"], {}, /Unknown option '--colour'/],
    [
      "s3 without bucket",
      ["--object-store", "s3"],
      {},
      /--object-store s3 needs --bucket \(SEDIMENT_BUCKET\)/,
    ],
    [
      "unknown object store",
      ["--object-store", "tape"],
      {},
      /--object-store must be one of file, s3, got "tape"/,
    ],
    ["sqs without queue", ["--wal", "sqs"], {}, /--wal sqs needs --queue-url/],
    ["sqs with a file store", ["--wal", "sqs", "--queue-url", "q"], {}, /--wal sqs needs --object-store s3/],
    [
      "bad token list",
      [],
      { SEDIMENT_TOKENS: "[{}]" },
      /SEDIMENT_TOKENS: token list entry 0 needs "tokenHash"/,
    ],
    ["token list not JSON", [], { SEDIMENT_TOKENS: "{" }, /SEDIMENT_TOKENS: not valid JSON/],
  ];
  for (const [name, argv, env, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => loadServerConfig(argv, env, "/"),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    });
  }

  it("a public host is fine with a token", () => {
    assert.equal(load(["--host", "0.0.0.0", "--token", "x"]).host, "0.0.0.0");
  });

  it("isLoopback", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
      assert.equal(isLoopback(host), true, host);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com", "127.example.com"])
      assert.equal(isLoopback(host), false, host);
  });
});
