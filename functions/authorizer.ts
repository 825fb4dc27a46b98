// API Gateway HTTP API Lambda authorizer (simple responses): checks the presented token against the hashed
// token list in SSM Parameter Store (loaded once, cached per instance), and passes its permissions on.
import { Logger } from "@aws-lambda-powertools/logger";
import { SSMClient } from "@aws-sdk/client-ssm";
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import { decide } from "../shared/auth/authorizer.ts";
import { CachedTokenSource } from "../shared/auth/source.ts";
import { SsmTokenListLoader } from "../shared/auth/ssm.ts";
import { systemClock } from "../shared/core/clock.ts";
import { type AuthorizerContext, authorizerContext } from "../shared/http/apigateway.ts";
import { loadAuthorizerConfig } from "./config.ts";

const config = loadAuthorizerConfig(process.env);
const logger = new Logger({ serviceName: "sediment-authorizer" });
const tokens = new CachedTokenSource(
  new SsmTokenListLoader(
    new SSMClient(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
    config.tokensParameter,
  ),
  systemClock,
  config.cacheMs,
);

export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext | Record<string, never>>> {
  // A token list that cannot be loaded throws: API Gateway answers 500, not a misleading 403.
  const decision = decide(await tokens.grants(), event.headers ?? {}, event.rawQueryString ?? "");
  if (!decision.authorized) {
    logger.info("request not authorized", { reason: decision.reason, route: event.routeKey });
    return { isAuthorized: false, context: {} };
  }
  return { isAuthorized: true, context: authorizerContext(decision.permissions) };
}
