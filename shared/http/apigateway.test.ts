import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import { SequenceGenerator } from "../wal/sequence.ts";
import {
  authorizerAuthenticate,
  authorizerContext,
  fromApiGatewayV2,
  permissionsFromContext,
  toApiGatewayV2,
} from "./apigateway.ts";
import { permissionsOf } from "./context.ts";
import { createRouter } from "./router.ts";
import { RecordingWal } from "./testing.ts";
import { createWriteHandler } from "./write.ts";

/** An event shaped like what API Gateway HTTP API sends (payload format 2.0). */
function event(
  overrides: Partial<APIGatewayProxyEventV2> & { authorizer?: unknown; stage?: string; method?: string },
) {
  const { authorizer, stage, method, ...rest } = overrides;
  return {
    version: "2.0",
    routeKey: "POST /api/v2/write",
    rawPath: "/api/v2/write",
    rawQueryString: "",
    cookies: ["session=abc"],
    headers: {
      accept: "application/json",
      "content-type": "text/plain; charset=utf-8",
      host: "abc123.execute-api.eu-west-1.amazonaws.com",
      "user-agent": "influxdb-client-js/1.35.0",
      "x-forwarded-for": "203.0.113.7",
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method: method ?? "POST",
        path: "/api/v2/write",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: "x",
      },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: "POST /api/v2/write",
      stage: stage ?? "$default",
      time: "25/Nov/2026:04:00:00 +0000",
      timeEpoch: 1795000000000,
      ...(authorizer !== undefined ? { authorizer: { lambda: authorizer } } : {}),
    },
    isBase64Encoded: false,
    ...rest,
  } as APIGatewayProxyEventV2;
}

function setup() {
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
  const router = createRouter({ write, authenticate: authorizerAuthenticate, version: "v" });
  const handle = async (e: APIGatewayProxyEventV2) => toApiGatewayV2(await router(fromApiGatewayV2(e)));
  return { wal, handle };
}

const ALL = { databases: "*", read: true, write: true };

describe("API Gateway v2 adapter", () => {
  it("decodes a base64, gzip-compressed body and writes it", async () => {
    const { wal, handle } = setup();
    const lines = "cpu,host=a usage=1 1\ncpu,host=b usage=2 2";
    const result = await handle(
      event({
        rawQueryString: "bucket=telemetry&org=acme&precision=ns",
        headers: { "Content-Encoding": "gzip", authorization: "Token t" },
        body: gzipSync(lines).toString("base64"),
        isBase64Encoded: true,
        authorizer: ALL,
      }),
    );
    assert.equal(result.statusCode, 204);
    assert.equal(new TextDecoder().decode(wal.records[0]?.body), lines);
    assert.equal(wal.records[0]?.database, "telemetry");
  });

  it("keeps repeated query parameters from rawQueryString, lower-cases headers, ignores cookies", () => {
    const request = fromApiGatewayV2(
      event({
        rawQueryString: "db=a&tag=x&tag=y&q=SELECT%20*%20FROM%20%22cpu%22",
        headers: { "X-Custom": "1", Authorization: "Token t" },
        queryStringParameters: { db: "a", tag: "x,y" },
      }),
    );
    assert.deepEqual(request.query.getAll("tag"), ["x", "y"]);
    assert.equal(request.query.get("q"), 'SELECT * FROM "cpu"');
    assert.equal(request.headers["x-custom"], "1");
    assert.equal(request.headers.authorization, "Token t");
    assert.equal(request.headers.cookie, undefined);
  });

  it("strips a named stage from the path, not $default", () => {
    assert.equal(fromApiGatewayV2(event({ rawPath: "/prod/ping", stage: "prod" })).path, "/ping");
    assert.equal(fromApiGatewayV2(event({ rawPath: "/prod", stage: "prod" })).path, "/");
    assert.equal(
      fromApiGatewayV2(event({ rawPath: "/production/ping", stage: "prod" })).path,
      "/production/ping",
    );
    assert.equal(fromApiGatewayV2(event({ rawPath: "/ping" })).path, "/ping");
  });

  it("a plain-text body arrives as UTF-8 bytes", () => {
    const request = fromApiGatewayV2(event({ body: "m,loc=Zürich v=1 1" }));
    assert.equal(new TextDecoder().decode(request.body), "m,loc=Zürich v=1 1");
  });

  it("without the authorizer's context the request is refused (401), with a read-only one 403", async () => {
    const { wal, handle } = setup();
    const none = await handle(event({ rawQueryString: "bucket=d", body: "m v=1 1" }));
    assert.equal(none.statusCode, 401);
    assert.deepEqual(JSON.parse(String(none.body)), { code: "unauthorized", message: "unauthorized access" });
    const readOnly = await handle(
      event({
        rawQueryString: "bucket=d",
        body: "m v=1 1",
        authorizer: { databases: "*", read: true, write: false },
      }),
    );
    assert.equal(readOnly.statusCode, 403);
    assert.equal(wal.records.length, 0);
  });

  it("a forged context header does not grant anything", async () => {
    const { handle } = setup();
    const res = await handle(
      event({
        rawQueryString: "bucket=d",
        body: "m v=1 1",
        headers: { "x-sediment-permissions": JSON.stringify(ALL) },
      }),
    );
    assert.equal(res.statusCode, 401);
  });

  it("string responses pass as text, binary ones as base64", () => {
    const text = toApiGatewayV2({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    assert.deepEqual(text, {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
      isBase64Encoded: false,
    });
    const bytes = gzipSync("hello");
    const binary = toApiGatewayV2({ status: 200, headers: {}, body: bytes });
    assert.equal(binary.isBase64Encoded, true);
    assert.equal(gunzipSync(Buffer.from(String(binary.body), "base64")).toString(), "hello");
  });
});

describe("authorizer context", () => {
  it("round-trips permissions", () => {
    for (const p of [
      { databases: "*" as const, read: true, write: false },
      { databases: ["a", "b-2"], read: false, write: true },
    ]) {
      assert.deepEqual(permissionsFromContext(authorizerContext(p)), p);
    }
  });

  it("accepts booleans API Gateway turned into strings; refuses malformed contexts", () => {
    assert.deepEqual(permissionsFromContext({ databases: '["a"]', read: "true", write: "false" }), {
      databases: ["a"],
      read: true,
      write: false,
    });
    for (const bad of [
      undefined,
      null,
      "x",
      {},
      { databases: "[1]" },
      { databases: "{" },
      { databases: 5 },
    ]) {
      assert.equal(permissionsFromContext(bad), undefined, JSON.stringify(bad));
    }
  });

  it("the adapter attaches the context's permissions to the request", () => {
    const request = fromApiGatewayV2(event({ authorizer: { databases: '["a"]', read: true, write: true } }));
    assert.deepEqual(permissionsOf(request), { databases: ["a"], read: true, write: true });
  });
});
