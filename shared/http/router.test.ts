import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openAccess, tokenAuthenticator } from "../auth/authenticator.ts";
import { sha256Hex, type TokenGrant } from "../auth/tokens.ts";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { SequenceGenerator } from "../wal/sequence.ts";
import { permissionsOf } from "./context.ts";
import { createRouter } from "./router.ts";
import { RecordingWal, request } from "./testing.ts";
import type { HttpRequest, HttpResponse, RequestHandler } from "./types.ts";
import { createWriteHandler } from "./write.ts";

function setup(options: { grants?: TokenGrant[]; query?: RequestHandler } = {}) {
  const wal = new RecordingWal();
  const clock = new ManualClock();
  const write = createWriteHandler({
    wal,
    parse: parseLineProtocol,
    sequence: new SequenceGenerator(clock),
    ids: new SequentialIds(),
    clock,
    limits: { maxBodyBytes: 1 << 20, maxDecompressedBytes: 1 << 22 },
  });
  const grants = options.grants;
  const authenticate = grants ? tokenAuthenticator(async () => grants) : openAccess;
  const router = createRouter({
    write,
    authenticate,
    version: "1.2.3",
    ...(options.query ? { query: options.query } : {}),
  });
  return { router, wal };
}

const json = (res: HttpResponse) => JSON.parse(String(res.body));

describe("router: routes", () => {
  it("GET and HEAD /ping → 204 with version headers", async () => {
    const { router } = setup();
    for (const method of ["GET", "HEAD"]) {
      const res = await router(request(method, "/ping"));
      assert.equal(res.status, 204);
      assert.equal(res.headers["x-influxdb-version"], "1.2.3");
      assert.equal(res.headers["x-influxdb-build"], "Sediment");
    }
  });

  it("GET /ping?verbose=true → 200 with the version", async () => {
    const { router } = setup();
    const res = await router(request("GET", "/ping?verbose=true"));
    assert.equal(res.status, 200);
    assert.deepEqual(json(res), { version: "1.2.3" });
  });

  it("GET /health → 200 like InfluxDB 2", async () => {
    const { router } = setup();
    const res = await router(request("GET", "/health"));
    assert.equal(res.status, 200);
    assert.match(res.headers["content-type"] ?? "", /^application\/json/);
    const b = json(res);
    assert.equal(b.name, "sediment");
    assert.equal(b.message, "ready for queries and writes");
    assert.equal(b.status, "pass");
    assert.equal(b.version, "1.2.3");
  });

  it("unknown path → 404", async () => {
    const { router } = setup();
    const res = await router(request("GET", "/api/v2/buckets"));
    assert.equal(res.status, 404);
    assert.deepEqual(json(res), { code: "not found", message: "path not found" });
  });

  const wrongMethods: [string, string, string][] = [
    ["GET", "/write?db=d", "POST"],
    ["PUT", "/api/v2/write?bucket=d", "POST"],
    ["GET", "/api/v3/write_lp?db=d", "POST"],
    ["POST", "/ping", "GET, HEAD"],
    ["DELETE", "/query", "GET, POST"],
  ];
  for (const [method, target, allow] of wrongMethods) {
    it(`${method} ${target.split("?")[0]} → 405 allowing ${allow}`, async () => {
      const { router, wal } = setup();
      const res = await router(request(method, target, "m v=1 1"));
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, allow);
      assert.equal(wal.records.length, 0);
    });
  }

  it("a trailing slash is tolerated", async () => {
    const { router } = setup();
    assert.equal((await router(request("GET", "/ping/"))).status, 204);
  });

  it("/query and /api/v3/query_influxql without a query handler → 501 in each flavor", async () => {
    const { router } = setup();
    const v1 = await router(request("GET", "/query?q=SHOW+DATABASES"));
    assert.equal(v1.status, 501);
    assert.deepEqual(json(v1), { error: "queries are not available on this server" });
    const v3 = await router(request("POST", "/api/v3/query_influxql", '{"db":"d","q":"SELECT 1"}'));
    assert.equal(v3.status, 501);
    assert.deepEqual(json(v3), { error: "queries are not available on this server", data: null });
  });

  it("query routes go to the injected handler, which can see the caller's permissions", async () => {
    const seen: HttpRequest[] = [];
    const { router } = setup({
      query: async (req) => {
        seen.push(req);
        return { status: 200, headers: {}, body: `{"path":"${req.path}"}` };
      },
    });
    assert.deepEqual(json(await router(request("GET", "/query?db=d&q=x"))), { path: "/query" });
    assert.deepEqual(json(await router(request("POST", "/api/v3/query_influxql"))), {
      path: "/api/v3/query_influxql",
    });
    assert.equal(seen.length, 2);
    assert.equal(permissionsOf(seen[0] as HttpRequest)?.read, true);
  });

  it("a throwing handler → 500 without a stack trace", async () => {
    const { router } = setup({
      query: async () => {
        throw new Error("boom at /srv/secret.ts:12");
      },
    });
    const res = await router(request("GET", "/query?q=x"));
    assert.equal(res.status, 500);
    assert.deepEqual(json(res), { error: "internal error" });
  });
});

describe("router: authentication and permissions", () => {
  const grants: TokenGrant[] = [
    { tokenHash: sha256Hex("all-access"), databases: "*", read: true, write: true },
    { tokenHash: sha256Hex("reader"), databases: "*", read: true, write: false },
    { tokenHash: sha256Hex("only-a"), databases: ["a"], read: true, write: true },
  ];
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

  const cases: {
    name: string;
    method: string;
    target: string;
    headers?: Record<string, string>;
    send?: string;
    status: number;
    body?: unknown;
  }[] = [
    {
      name: "v2 write without a token",
      method: "POST",
      target: "/api/v2/write?bucket=a",
      status: 401,
      body: { code: "unauthorized", message: "unauthorized access" },
    },
    {
      name: "v1 write without a token",
      method: "POST",
      target: "/write?db=a",
      status: 401,
      body: { error: "unauthorized access" },
    },
    {
      name: "v3 write without a token",
      method: "POST",
      target: "/api/v3/write_lp?db=a",
      status: 401,
      body: { error: "unauthorized access", data: null },
    },
    {
      name: "wrong token",
      method: "POST",
      target: "/api/v2/write?bucket=a",
      headers: { authorization: "Token nope" },
      status: 401,
      body: { code: "unauthorized", message: "unauthorized access" },
    },
    {
      name: "unknown scheme",
      method: "POST",
      target: "/api/v2/write?bucket=a",
      headers: { authorization: "Digest all-access" },
      status: 401,
    },
    {
      name: "Token scheme",
      method: "POST",
      target: "/api/v2/write?bucket=a",
      headers: { authorization: "Token all-access" },
      status: 204,
    },
    {
      name: "Bearer scheme",
      method: "POST",
      target: "/api/v3/write_lp?db=a",
      headers: { authorization: "Bearer all-access" },
      status: 204,
    },
    {
      name: "Basic scheme, password is the token",
      method: "POST",
      target: "/write?db=a",
      headers: { authorization: basic("anyone", "all-access") },
      status: 204,
    },
    { name: "v1 u/p query parameters", method: "POST", target: "/write?db=a&u=me&p=all-access", status: 204 },
    { name: "v1 p with a wrong token", method: "POST", target: "/write?db=a&u=me&p=wrong", status: 401 },
    {
      name: "read-only token writing",
      method: "POST",
      target: "/api/v2/write?bucket=a",
      headers: { authorization: "Token reader" },
      status: 403,
      body: { code: "forbidden", message: 'insufficient permissions for write to database "a"' },
    },
    {
      name: "token for a writing b",
      method: "POST",
      target: "/write?db=b",
      headers: { authorization: "Token only-a" },
      status: 403,
    },
    {
      name: "token for a writing a",
      method: "POST",
      target: "/write?db=a",
      headers: { authorization: "Token only-a" },
      status: 204,
    },
    { name: "query without a token", method: "GET", target: "/query?db=a&q=x", status: 401 },
    {
      name: "query of b with a token for a",
      method: "GET",
      target: "/query?db=b&q=x",
      headers: { authorization: "Token only-a" },
      status: 403,
    },
    {
      name: "query of a with a token for a",
      method: "GET",
      target: "/query?db=a&q=x",
      headers: { authorization: "Token only-a" },
      status: 200,
    },
    {
      name: "query naming no db with a token for a",
      method: "GET",
      target: "/query?q=x",
      headers: { authorization: "Token only-a" },
      status: 403,
    },
    {
      name: "query naming no db with an all-databases token",
      method: "GET",
      target: "/query?q=x",
      headers: { authorization: "Token reader" },
      status: 200,
    },
    {
      name: "v3 query of b named in a JSON body, token for a",
      method: "POST",
      target: "/api/v3/query_influxql?db=a",
      headers: { authorization: "Token only-a", "content-type": "application/json" },
      send: '{"db":"b","q":"SELECT 1"}',
      status: 403,
    },
    {
      name: "v1 query of b named in a form body, token for a",
      method: "POST",
      target: "/query?db=a",
      headers: { authorization: "Token only-a", "content-type": "application/x-www-form-urlencoded" },
      send: "db=b&q=SELECT+1",
      status: 403,
    },
    { name: "ping needs no token", method: "GET", target: "/ping", status: 204 },
    { name: "health needs no token", method: "GET", target: "/health", status: 200 },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const { router, wal } = setup({
        grants,
        query: async () => ({ status: 200, headers: {}, body: "{}" }),
      });
      const res = await router(request(c.method, c.target, c.send ?? "m v=1 1", c.headers ?? {}));
      assert.equal(res.status, c.status);
      if (c.body !== undefined) assert.deepEqual(json(res), c.body);
      assert.equal(wal.records.length, c.status === 204 && c.method === "POST" ? 1 : 0);
    });
  }

  it("no tokens configured → open access", async () => {
    const { router, wal } = setup({ grants: [] });
    assert.equal((await router(request("POST", "/write?db=a", "m v=1 1"))).status, 204);
    assert.equal(wal.records.length, 1);
  });
});
