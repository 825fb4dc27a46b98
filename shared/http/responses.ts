// Response helpers and the error envelope of each API flavor (InfluxDB 1.x, 2.x and 3.x answer differently).

import type { HttpResponse } from "./types.ts";

/** Which InfluxDB API a route imitates: decides the shape of error bodies. */
export type ApiFlavor = "v1" | "v2" | "v3";

export const JSON_TYPE = "application/json; charset=utf-8";

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "content-type": JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

export function noContent(headers: Record<string, string> = {}): HttpResponse {
  return { status: 204, headers, body: "" };
}

/**
 * An error in the flavor's envelope: v1 `{"error"}`, v2 `{"code","message"}`, v3 `{"error","data":null}`.
 * `code` uses InfluxDB 2's vocabulary ("invalid", "not found", "unauthorized", ...).
 */
export function errorResponse(
  flavor: ApiFlavor,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  switch (flavor) {
    case "v1":
      return json(status, { error: message }, headers);
    case "v2":
      return json(status, { code, message }, headers);
    case "v3":
      return json(status, { error: message, data: null }, headers);
  }
}
