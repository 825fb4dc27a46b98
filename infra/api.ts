// The public InfluxDB-compatible HTTP API: routes to the writer and query functions behind a token authorizer.
import { Duration } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

const { GET, HEAD, POST } = apigw.HttpMethod;

/** InfluxDB 1.x, 2.x and 3.x write endpoints. */
export const WRITE_PATHS = ["/write", "/api/v2/write", "/api/v3/write_lp"] as const;
/** InfluxQL endpoints (1.x and 3.x). */
export const QUERY_PATHS = ["/query", "/api/v3/query_influxql"] as const;

/** HTTP API context variables for one JSON access-log line per request. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  time: "$context.requestTimeEpoch",
  route: "$context.routeKey",
  status: "$context.status",
  length: "$context.responseLength",
  latency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
  authorizerError: "$context.authorizer.error",
  userAgent: "$context.identity.userAgent",
});

export interface ApiProps {
  readonly writer: lambda.IFunction;
  readonly query: lambda.IFunction;
  readonly authorizer: lambda.IFunction;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /** 0 disables the authorizer cache. */
  readonly authorizerCacheSeconds: number;
  /** InfluxDB v1 `?u=&p=` credentials: no identity source, so the authorizer sees every request. */
  readonly queryStringAuth: boolean;
  readonly logRetentionDays: number;
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    // With an identity source API Gateway answers 401 itself when the header is absent, and caches the
    // authorizer's answer per header value. v1 query-string credentials cannot be a cache key alongside the
    // header (every listed source must be present), so they run uncached with no identity source.
    const authorizer = new HttpLambdaAuthorizer("TokenAuthorizer", props.authorizer, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: props.queryStringAuth ? [] : ["$request.header.Authorization"],
      resultsCacheTtl: Duration.seconds(props.queryStringAuth ? 0 : props.authorizerCacheSeconds),
    });

    this.httpApi = new apigw.HttpApi(this, "HttpApi", {
      description: "Sediment: InfluxDB line protocol in, InfluxQL out",
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, "AccessLogs", {
      retention: props.logRetentionDays as logs.RetentionDays,
    });
    this.stage = this.httpApi.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });

    const writer = new HttpLambdaIntegration("Writer", props.writer);
    const query = new HttpLambdaIntegration("Query", props.query);
    for (const path of WRITE_PATHS) {
      this.httpApi.addRoutes({ path, methods: [POST], integration: writer, authorizer });
    }
    for (const path of QUERY_PATHS) {
      this.httpApi.addRoutes({ path, methods: [GET, POST], integration: query, authorizer });
    }
    // Liveness, unauthenticated as in InfluxDB; answered by the query function (no write access needed).
    this.httpApi.addRoutes({ path: "/ping", methods: [GET, HEAD], integration: query });
    this.httpApi.addRoutes({ path: "/health", methods: [GET], integration: query });
  }

  get url(): string {
    return this.stage.url;
  }
}
