// The events AWS would hand our functions, built for the bench's Lambda stand-in: API Gateway HTTP API
// (payload 2.0) requests behind our authorizer, SQS event source batches, and the merge schedule.
import type { APIGatewayProxyEventV2, SQSEvent } from "aws-lambda";

const HOST = "bench.execute-api.us-east-1.amazonaws.com";

export interface ApiRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly query: string;
  /** Sent base64-encoded, as API Gateway passes a body it does not treat as text. */
  readonly body?: Uint8Array;
}

/** An HTTP API 2.0 event whose authorizer context grants full access (what our authorizer returns). */
export function apiEvent(request: ApiRequest, nowMs: number): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { host: HOST, "user-agent": "sediment-bench" };
  if (request.body !== undefined) headers["content-type"] = "text/plain; charset=utf-8";
  const routeKey = `${request.method} ${request.path}`;
  const event = {
    version: "2.0",
    routeKey,
    rawPath: request.path,
    rawQueryString: request.query,
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "bench",
      domainName: HOST,
      domainPrefix: "bench",
      http: {
        method: request.method,
        path: request.path,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "sediment-bench",
      },
      requestId: `bench-${nowMs}`,
      routeKey,
      stage: "$default",
      time: new Date(nowMs).toISOString(),
      timeEpoch: nowMs,
      authorizer: { lambda: { databases: "*", read: true, write: true } },
    },
    isBase64Encoded: request.body !== undefined,
    ...(request.body === undefined ? {} : { body: Buffer.from(request.body).toString("base64") }),
  };
  return event;
}

/** `GET /query` for one InfluxQL statement, asking for times in ns and, optionally, the I/O report. */
export function queryEvent(db: string, q: string, nowMs: number, explain = false): APIGatewayProxyEventV2 {
  const query = `db=${encodeURIComponent(db)}&epoch=ns&q=${encodeURIComponent(q)}${explain ? "&explain=true" : ""}`;
  return apiEvent({ method: "GET", path: "/query", query }, nowMs);
}

/** `POST /write` of a line-protocol body with ns timestamps. */
export function writeEvent(db: string, body: Uint8Array, nowMs: number): APIGatewayProxyEventV2 {
  return apiEvent(
    { method: "POST", path: "/write", query: `db=${encodeURIComponent(db)}&precision=ns`, body },
    nowMs,
  );
}

export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: string;
  readonly sentTimestamp: string;
}

/** One SQS event source batch, as Lambda delivers the messages it polled. */
export function sqsBatchEvent(
  messages: readonly QueueMessage[],
  queueArn: string,
  region: string,
  nowMs: number,
): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: m.receiveCount,
        SentTimestamp: m.sentTimestamp,
        SenderId: "AIDABENCH",
        ApproximateFirstReceiveTimestamp: String(nowMs),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}

/** The EventBridge event the merge schedule sends. */
export function scheduleEvent(region: string, nowMs: number): Record<string, unknown> {
  return {
    version: "0",
    id: `bench-${nowMs}`,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: new Date(nowMs).toISOString(),
    region,
    resources: [`arn:aws:events:${region}:123456789012:rule/sediment-merge`],
    detail: {},
  };
}

/** Status, body text and headers of an API Gateway 2.0 result (bodies may come base64-encoded). */
export function apiResult(result: unknown): {
  status: number;
  body: string;
  headers: Record<string, string>;
} {
  if (typeof result !== "object" || result === null) throw new Error(`not an API result: ${String(result)}`);
  const r = result as { statusCode?: unknown; body?: unknown; isBase64Encoded?: unknown; headers?: unknown };
  if (typeof r.statusCode !== "number") throw new Error("API result without a statusCode");
  const raw = typeof r.body === "string" ? r.body : "";
  const body = r.isBase64Encoded === true ? Buffer.from(raw, "base64").toString("utf8") : raw;
  const headers: Record<string, string> = {};
  if (typeof r.headers === "object" && r.headers !== null) {
    for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = String(v);
  }
  return { status: r.statusCode, body, headers };
}
