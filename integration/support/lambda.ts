// Drives the Lambda handlers as AWS would: API Gateway HTTP API (payload 2.0) events for the API function,
// and an SQS event source mapping (receive, invoke, delete the successes, retry the rest) for the compactor.
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from "aws-lambda";

/**
 * Imports a handler module as a fresh instance: the functions parse their configuration from process.env
 * when first loaded, so each role needs its own instance, loaded after its environment is set. The query
 * string gives the module (not its dependencies) a new identity in the ESM loader. The variables stay set
 * for the rest of the process (one test file), as they would in a Lambda container.
 */
export async function loadFresh<T>(
  relativeToCaller: string,
  callerUrl: string,
  instance: string,
  env: Readonly<Record<string, string>>,
): Promise<T> {
  // Left set: the AWS SDK resolves region and credentials from the environment lazily, at the first call.
  Object.assign(process.env, env);
  const url = new URL(relativeToCaller, callerUrl);
  url.search = `instance=${encodeURIComponent(instance)}`;
  return (await import(url.href)) as T;
}

export interface ApiRequest {
  readonly method: "GET" | "POST" | "HEAD";
  readonly path: string;
  readonly query?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent gzip-compressed and base64-encoded, as API Gateway passes a binary body. */
  readonly body?: string | Uint8Array;
  /** What our authorizer puts in the context; default full access. */
  readonly permissions?: { databases: string; read: boolean; write: boolean };
}

/** An HTTP API payload format 2.0 event as API Gateway sends it behind our Lambda authorizer. */
export function apiGatewayEvent(request: ApiRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {
    host: "abc123.execute-api.us-east-1.amazonaws.com",
    "user-agent": "sediment-integration",
    "x-forwarded-proto": "https",
  };
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  if (request.body !== undefined) {
    body = gzipSync(request.body).toString("base64");
    headers["content-encoding"] = "gzip";
  }
  const now = Date.now();
  const event: APIGatewayProxyEventV2WithLambdaAuthorizer<{
    databases: string;
    read: boolean;
    write: boolean;
  }> = {
    version: "2.0",
    routeKey: `${request.method === "HEAD" ? "GET" : request.method} ${request.path}`,
    rawPath: request.path,
    rawQueryString: request.query ?? "",
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: headers.host as string,
      domainPrefix: "abc123",
      http: {
        method: request.method,
        path: request.path,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "sediment-integration",
      },
      requestId: randomUUID(),
      routeKey: `${request.method} ${request.path}`,
      stage: "$default",
      time: new Date(now).toISOString(),
      timeEpoch: now,
      authorizer: { lambda: request.permissions ?? { databases: "*", read: true, write: true } },
    },
    isBase64Encoded: body !== undefined,
    ...(body === undefined ? {} : { body }),
  };
  return event;
}

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The response body as text (the handler base64-encodes binary bodies). */
export function responseText(result: APIGatewayProxyStructuredResultV2): string {
  const body = result.body ?? "";
  return result.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}

export function sqsEvent(messages: readonly Message[], queueArn: string, region: string): SQSEvent {
  const Records: SQSRecord[] = messages.map((m) => ({
    messageId: m.MessageId ?? "",
    receiptHandle: m.ReceiptHandle ?? "",
    body: m.Body ?? "",
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
      SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: m.Attributes?.SenderId ?? "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  }));
  return { Records };
}

export interface PumpOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly handler: SqsHandler;
  /** false: the function "crashes" after doing its work (timeout): nothing is deleted, all comes back. */
  readonly deleteSuccesses?: boolean;
  /** Safety bound on receive rounds. */
  readonly maxRounds?: number;
}

export interface PumpReport {
  readonly invocations: number;
  readonly delivered: number;
  readonly deleted: number;
  /** messageId → how often the function reported it failed. */
  readonly failures: ReadonlyMap<string, number>;
  /** Receive counts SQS reported, per messageId (highest seen). */
  readonly receiveCounts: ReadonlyMap<string, number>;
}

/**
 * One event source mapping poller: receive up to 10, invoke, delete what succeeded, make the reported
 * failures visible again at once (instead of waiting out the visibility timeout). Stops when a receive
 * comes back empty, which, for messages that keep failing, happens once SQS moved them to the DLQ.
 */
export async function pumpQueue(options: PumpOptions): Promise<PumpReport> {
  const failures = new Map<string, number>();
  const receiveCounts = new Map<string, number>();
  let invocations = 0;
  let delivered = 0;
  let deleted = 0;
  const maxRounds = options.maxRounds ?? 200;
  for (let round = 0; ; round++) {
    if (round >= maxRounds) throw new Error(`queue not drained after ${maxRounds} receive rounds`);
    const received = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: [
          "ApproximateReceiveCount",
          "SentTimestamp",
          "SenderId",
          "ApproximateFirstReceiveTimestamp",
        ],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    delivered += messages.length;
    for (const m of messages) {
      const count = Number(m.Attributes?.ApproximateReceiveCount ?? "0");
      receiveCounts.set(m.MessageId ?? "", Math.max(count, receiveCounts.get(m.MessageId ?? "") ?? 0));
    }
    invocations += 1;
    let failed: Set<string>;
    try {
      const response = await options.handler(sqsEvent(messages, options.queueArn, options.region));
      failed = new Set((response.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      // A function error fails the whole batch.
      failed = new Set(messages.map((m) => m.MessageId ?? ""));
    }
    for (const id of failed) failures.set(id, (failures.get(id) ?? 0) + 1);
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
    const retry = messages.filter((m) => failed.has(m.MessageId ?? ""));
    if (options.deleteSuccesses !== false && done.length > 0) {
      const out = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
      if ((out.Failed ?? []).length > 0)
        throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(out.Failed)}`);
      deleted += done.length;
    }
    const visibleAgain = options.deleteSuccesses === false ? messages : retry;
    if (visibleAgain.length > 0) {
      await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: visibleAgain.map((m, i) => ({
            Id: `v${i}`,
            ReceiptHandle: m.ReceiptHandle ?? "",
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
    // A crashed invocation leaves everything for the next poller: one round only.
    if (options.deleteSuccesses === false) break;
  }
  return { invocations, delivered, deleted, failures, receiveCounts };
}

/** A Lambda context with the remaining time the merge handler budgets against. */
export function lambdaContext(functionName: string, remainingMs = 900_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "integration",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** An EventBridge scheduled event, as the merge schedule sends it. */
export function scheduledEvent(region: string) {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event" as const,
    source: "aws.events" as const,
    account: "123456789012",
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:events:${region}:123456789012:rule/sediment-merge`],
    detail: {},
  };
}
