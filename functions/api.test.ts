import assert from "node:assert/strict";
import { it } from "node:test";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

it("the query-role function answers /ping and refuses writes (cold start from the environment)", async () => {
  process.env.SEDIMENT_ROLE = "query";
  process.env.SEDIMENT_BUCKET = "test-bucket";
  process.env.AWS_REGION ??= "eu-west-1";
  process.env.POWERTOOLS_DEV = "false";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  const { handler } = await import("./api.ts");
  const base = {
    version: "2.0",
    rawQueryString: "",
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      http: { method: "GET" },
      stage: "$default",
      authorizer: { lambda: { databases: "*", read: true, write: true } },
    },
  };
  const ping = await handler({
    ...base,
    routeKey: "GET /ping",
    rawPath: "/ping",
  } as unknown as APIGatewayProxyEventV2);
  assert.equal(ping.statusCode, 204);
  assert.equal(ping.headers?.["x-influxdb-version"], "0.1.0");
  const write = await handler({
    ...base,
    routeKey: "POST /write",
    rawPath: "/write",
    rawQueryString: "db=a",
    body: "m v=1 1",
    requestContext: { ...base.requestContext, http: { method: "POST" } },
  } as unknown as APIGatewayProxyEventV2);
  assert.equal(write.statusCode, 501);
});
