import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { ACCESS_LOG_FORMAT } from "./api.ts";
import { logicalId, synthesize, TEST_CONFIG } from "./testing.ts";

/** Route key -> [function logical id prefix it integrates, authorization type]. */
function routes(template: Template): Record<string, [string, string]> {
  const integrations = template.findResources("AWS::ApiGatewayV2::Integration");
  const functions = Object.keys(template.findResources("AWS::Lambda::Function"));
  const out: Record<string, [string, string]> = {};
  for (const route of Object.values(template.findResources("AWS::ApiGatewayV2::Route"))) {
    const integrationId = JSON.stringify(route.Properties.Target).match(/"Ref":"([^"]+)"/)?.[1] ?? "";
    const uri = JSON.stringify(integrations[integrationId]?.Properties.IntegrationUri);
    const fn = functions.find((id) => uri.includes(`"${id}"`)) ?? "?";
    out[route.Properties.RouteKey] = [
      fn.replace(/^Functions/, "").replace(/[0-9A-F]{8}$/, ""),
      route.Properties.AuthorizationType,
    ];
  }
  return out;
}

describe("Api (header tokens, cached)", () => {
  const template = synthesize({
    ...TEST_CONFIG,
    throttleRateLimit: 200,
    throttleBurstLimit: 400,
    authorizerCacheSeconds: 120,
  });

  it("routes writes to the writer and InfluxQL to the query function, behind the authorizer", () => {
    assert.deepEqual(routes(template), {
      "POST /write": ["Writer", "CUSTOM"],
      "POST /api/v2/write": ["Writer", "CUSTOM"],
      "POST /api/v3/write_lp": ["Writer", "CUSTOM"],
      "GET /query": ["Query", "CUSTOM"],
      "POST /query": ["Query", "CUSTOM"],
      "GET /api/v3/query_influxql": ["Query", "CUSTOM"],
      "POST /api/v3/query_influxql": ["Query", "CUSTOM"],
      "GET /ping": ["Query", "NONE"],
      "HEAD /ping": ["Query", "NONE"],
      "GET /health": ["Query", "NONE"],
    });
  });

  it("uses a Lambda authorizer with simple responses, cached per Authorization header", () => {
    template.resourceCountIs("AWS::ApiGatewayV2::Authorizer", 1);
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      AuthorizerPayloadFormatVersion: "2.0",
      EnableSimpleResponses: true,
      IdentitySource: ["$request.header.Authorization"],
      AuthorizerResultTtlInSeconds: 120,
      AuthorizerUri: {
        "Fn::Join": [
          "",
          Match.arrayWith([
            { "Fn::GetAtt": [logicalId(template, "AWS::Lambda::Function", "FunctionsAuthorizer"), "Arn"] },
          ]),
        ],
      },
    });
  });

  it("throttles and access-logs the auto-deployed default stage", () => {
    template.resourceCountIs("AWS::ApiGatewayV2::Stage", 1);
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      AccessLogSettings: {
        DestinationArn: {
          "Fn::GetAtt": [logicalId(template, "AWS::Logs::LogGroup", "ApiAccessLogs"), "Arn"],
        },
        Format: ACCESS_LOG_FORMAT,
      },
    });
    assert.match(ACCESS_LOG_FORMAT, /\$context\.requestId/);
  });

  it("uses payload format 2.0 Lambda proxy integrations", () => {
    template.allResourcesProperties("AWS::ApiGatewayV2::Integration", {
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
    });
  });
});

describe("Api (v1 query-string credentials)", () => {
  const template = synthesize({ ...TEST_CONFIG, queryStringAuth: true });

  it("invokes the authorizer on every request, with no identity source and no cache", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      IdentitySource: [],
      AuthorizerResultTtlInSeconds: 0,
      EnableSimpleResponses: true,
    });
  });
});
