// API Gateway HTTP API (payload format 2.0) ⇄ HttpRequest/HttpResponse, and the permissions a Lambda
// authorizer put in the request context. Pure translation: no AWS SDK, no I/O.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Authenticate } from "../auth/authenticator.ts";
import type { Permissions } from "../auth/tokens.ts";
import { attachPermissions, permissionsOf } from "./context.ts";
import type { HttpRequest, HttpResponse } from "./types.ts";

/** What our authorizer returns as `context` (simple response format: values are strings or booleans). */
export interface AuthorizerContext {
  /** "*" or a JSON array of database names. */
  readonly databases: string;
  readonly read: boolean;
  readonly write: boolean;
  [key: string]: string | boolean;
}

export function authorizerContext(permissions: Permissions): AuthorizerContext {
  return {
    databases: permissions.databases === "*" ? "*" : JSON.stringify(permissions.databases),
    read: permissions.read,
    write: permissions.write,
  };
}

/** Reads our authorizer's context back; undefined when absent or malformed (the request is then refused). */
export function permissionsFromContext(value: unknown): Permissions | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const ctx = value as Record<string, unknown>;
  // API Gateway may hand booleans back as strings.
  const flag = (v: unknown) => v === true || v === "true";
  let databases: Permissions["databases"];
  if (ctx.databases === "*") databases = "*";
  else if (typeof ctx.databases === "string") {
    try {
      const parsed: unknown = JSON.parse(ctx.databases);
      if (!Array.isArray(parsed) || !parsed.every((d) => typeof d === "string")) return undefined;
      databases = parsed as string[];
    } catch {
      return undefined;
    }
  } else return undefined;
  return { databases, read: flag(ctx.read), write: flag(ctx.write) };
}

/** The event as an HttpRequest; the authorizer's permissions, if any, are attached to it. */
export function fromApiGatewayV2(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const raw = event.body ?? "";
  const body = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  const request: HttpRequest = {
    method: event.requestContext?.http?.method ?? "GET",
    path: stripStage(event.rawPath ?? "/", event.requestContext?.stage),
    // rawQueryString keeps repeated keys (queryStringParameters joins them with commas).
    query: new URLSearchParams(event.rawQueryString ?? ""),
    headers,
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
  };
  const authorizer = (event.requestContext as { authorizer?: { lambda?: unknown } } | undefined)?.authorizer;
  const permissions = permissionsFromContext(authorizer?.lambda);
  if (permissions !== undefined) attachPermissions(request, permissions);
  return request;
}

/** A named stage appears as the first path segment; the $default stage does not. */
function stripStage(path: string, stage: string | undefined): string {
  if (stage === undefined || stage === "" || stage === "$default") return path;
  const prefix = `/${stage}`;
  if (path === prefix) return "/";
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

export function toApiGatewayV2(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  if (typeof response.body === "string") {
    return {
      statusCode: response.status,
      headers: response.headers,
      body: response.body,
      isBase64Encoded: false,
    };
  }
  return {
    statusCode: response.status,
    headers: response.headers,
    body: Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString(
      "base64",
    ),
    isBase64Encoded: true,
  };
}

/** Behind the Lambda authorizer: the permissions it attached, or 401 when there are none. */
export const authorizerAuthenticate: Authenticate<HttpRequest> = async (request) => {
  const permissions = permissionsOf(request);
  return permissions ? { ok: true, permissions } : { ok: false, reason: "missing" };
};
