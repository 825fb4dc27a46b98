// Lambda handler behind API Gateway HTTP API (payload 2.0): event → HttpRequest → the shared router →
// result. Configuration and AWS clients are built once per cold start.
import { Readable } from "node:stream";
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
import { runWarmup } from "../shared/query/warmup.ts";
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
const s3 = new S3Client({ ...endpoint, ...(config.awsEndpoint ? { forcePathStyle: true } : {}) });
const store = new S3ObjectStore({
  client: s3,
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
/**
 * Query role: run a tiny query end to end in memory during init, so the first real query does not pay for
 * compiling the parser, planner, page decoder, executor and encoder. Never fails the cold start.
 */
async function warmUpQueries(): Promise<void> {
  const started = performance.now();
  try {
    const report = await runWarmup({ clock: systemClock, ids: randomIds });
    const durationMs = Math.round(performance.now() - started);
    if (report.ok) logger.info("query warm-up done", { durationMs });
    else logger.warn("query warm-up answered wrongly", { durationMs, problems: report.problems });
  } catch (err) {
    logger.warn("query warm-up failed", { error: err instanceof Error ? err.message : String(err) });
  }
}

const WARMUP_MIDDLEWARE = "sedimentInitWarmup";
const EMPTY_LISTING =
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>';

/**
 * Query role: a list and a ranged get through the S3 client's whole middleware stack (endpoint rules,
 * credentials from the environment, signing, parsing), answered in process just before the HTTP send, so the
 * first real request does not pay for that set-up. Nothing reaches the network; bounded by a timeout in case
 * credentials would have to come from somewhere slow.
 */
async function warmUpS3(): Promise<void> {
  const started = performance.now();
  s3.middlewareStack.add(
    (_next, context) => async () => {
      const list = context.commandName === "ListObjectsV2Command";
      const body = list ? EMPTY_LISTING : "0";
      return {
        output: undefined as never,
        response: {
          statusCode: list ? 200 : 206,
          reason: "OK",
          headers: list
            ? { "content-type": "application/xml" }
            : {
                "content-type": "application/octet-stream",
                "content-range": "bytes 0-0/1",
                "content-length": "1",
              },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
    { step: "deserialize", priority: "low", name: WARMUP_MIDDLEWARE },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = (async () => {
      await store.list("catalog/sediment-warmup/");
      await store.getRange("catalog/sediment-warmup/object", 0, 1);
    })();
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), 250);
    });
    const outcome = await Promise.race([work.then(() => "done" as const), timeout]);
    work.catch(() => {}); // a late failure after the timeout is of no interest
    logger.info("S3 client warm-up", { outcome, durationMs: Math.round(performance.now() - started) });
  } catch (err) {
    logger.warn("S3 client warm-up failed", { error: err instanceof Error ? err.message : String(err) });
  } finally {
    clearTimeout(timer);
    // Commands sent from now on no longer carry it; a warm-up request still in flight keeps it.
    s3.middlewareStack.remove(WARMUP_MIDDLEWARE);
  }
}

if (query) {
  await warmUpQueries();
  await warmUpS3();
}

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
