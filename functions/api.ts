// Lambda handler behind API Gateway HTTP API (payload 2.0): event → HttpRequest → the shared router →
// result. Configuration and AWS clients are built once per cold start.
import { Logger } from "@aws-lambda-powertools/logger";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { openAccess } from "../shared/auth/authenticator.ts";
import { ObjectStoreCatalog } from "../shared/catalog/catalog.ts";
import { randomIds, systemClock } from "../shared/core/clock.ts";
import { authorizerAuthenticate, fromApiGatewayV2, toApiGatewayV2 } from "../shared/http/apigateway.ts";
import type { Log } from "../shared/http/log.ts";
import { createRouter } from "../shared/http/router.ts";
import { createWriteHandler } from "../shared/http/write.ts";
import { parseLineProtocol } from "../shared/lineprotocol/parse.ts";
import { S3ObjectStore } from "../shared/objectstore/s3.ts";
import { createQueryHandler } from "../shared/query/endpoint.ts";
import { SequenceGenerator } from "../shared/wal/sequence.ts";
import { SqsWalWriter } from "../shared/wal/sqs.ts";
import { type ApiConfig, loadApiConfig } from "./config.ts";

const config: ApiConfig = loadApiConfig(process.env);
const logger = new Logger({ serviceName: `sediment-${config.role}` });
const log: Log = {
  error: (message, details) => (details ? logger.error(message, details) : logger.error(message)),
  info: (message, details) => (details ? logger.info(message, details) : logger.info(message)),
};
const endpoint = config.awsEndpoint ? { endpoint: config.awsEndpoint } : {};
const store = new S3ObjectStore({
  client: new S3Client({ ...endpoint, ...(config.awsEndpoint ? { forcePathStyle: true } : {}) }),
  bucket: config.bucket,
  conditionalWrites: config.conditionalWrites,
});
const catalog = new ObjectStoreCatalog({ store, clock: systemClock, ids: randomIds });

function writeHandler() {
  if (config.role !== "write" || config.queueUrl === undefined) return undefined;
  const wal = new SqsWalWriter({
    client: new SQSClient(endpoint),
    queueUrl: config.queueUrl,
    store,
    ids: randomIds,
    clock: systemClock,
  });
  return createWriteHandler({
    wal,
    parse: parseLineProtocol,
    sequence: new SequenceGenerator(systemClock),
    ids: randomIds,
    clock: systemClock,
    limits: { maxBodyBytes: config.maxBodyBytes, maxDecompressedBytes: config.maxDecompressedBytes },
    log,
    fieldTypes: catalog,
  });
}

const write = writeHandler();
const query =
  config.role === "query"
    ? createQueryHandler({
        catalog,
        store,
        clock: systemClock,
        parse: parseLineProtocol,
        log: (entry) => logger.info("query", entry),
      })
    : undefined;
const router = createRouter({
  ...(write ? { write } : {}),
  ...(query ? { query } : {}),
  authenticate: config.auth === "none" ? openAccess : authorizerAuthenticate,
  version: config.version,
  log,
});

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return toApiGatewayV2(await router(fromApiGatewayV2(event)));
}
