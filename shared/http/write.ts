// The write API core shared by /write (1.x), /api/v2/write and /api/v3/write_lp: validate, decode, parse,
// check field types, append ONE WAL record with the accepted lines, and answer in the flavor's shape.
import { TextDecoder } from "node:util";
import type { Permissions } from "../auth/tokens.ts";
import { allows } from "../auth/tokens.ts";
import type { FieldTypeLookup, FieldTypeMap } from "../catalog/port.ts";
import type { Clock, IdSource } from "../core/clock.ts";
import type { ParseOptions, ParseResult, Point } from "../lineprotocol/types.ts";
import { WalUnavailableError } from "../wal/errors.ts";
import type { WalRecord, WalWriter } from "../wal/port.ts";
import { type BodyLimits, decodeBody } from "./body.ts";
import { HttpError } from "./errors.ts";
import { checkFieldTypes, checkNames, conflictMessage, FieldTypeMemory } from "./field-types.ts";
import { errorDetails, type Log, silentLog } from "./log.ts";
import { type ApiFlavor, errorResponse, json, noContent } from "./responses.ts";
import type { HttpRequest, HttpResponse } from "./types.ts";
import { parseWriteParams, type WriteParams } from "./write-params.ts";

export type LineProtocolParser = (body: Uint8Array, options: ParseOptions) => ParseResult;

export interface WriteDeps {
  readonly wal: WalWriter;
  readonly parse: LineProtocolParser;
  readonly sequence: { next(): bigint };
  readonly ids: IdSource;
  readonly clock: Clock;
  readonly limits: BodyLimits;
  /** Field types fixed in the catalog; absent when there is no catalog yet (first-seen wins in-process). */
  readonly fieldTypes?: FieldTypeLookup;
  readonly fieldTypeMemory?: FieldTypeMemory;
  readonly retryAfterSeconds?: number;
  readonly log?: Log;
}

/** One rejected line, whatever the reason. */
export interface Rejection {
  readonly line: number;
  readonly text: string;
  readonly message: string;
}

/** At most this many rejected lines are described in a response (the count is always exact). */
export const MAX_REPORTED_REJECTIONS = 100;
const MAX_LINE_TEXT = 256;

export type WriteHandler = (
  request: HttpRequest,
  flavor: ApiFlavor,
  permissions: Permissions,
) => Promise<HttpResponse>;

export function createWriteHandler(deps: WriteDeps): WriteHandler {
  const memory = deps.fieldTypeMemory ?? new FieldTypeMemory();
  const log = deps.log ?? silentLog;
  const retryAfter = String(deps.retryAfterSeconds ?? 1);
  const decoder = new TextDecoder();

  return async (request, flavor, permissions) => {
    const parsed = parseWriteParams(flavor, request.query);
    if (!parsed.ok) return errorResponse(flavor, parsed.status, parsed.code, parsed.message);
    const params = parsed.params;
    if (!allows(permissions, "write", params.database)) {
      return errorResponse(
        flavor,
        403,
        "forbidden",
        `insufficient permissions for write to database "${params.database}"`,
      );
    }

    let body: Uint8Array;
    try {
      body = await decodeBody(request.body, request.headers["content-encoding"], deps.limits);
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(flavor, error.status, error.code, error.message);
      throw error;
    }

    const receivedAtNs = deps.clock.nowNs();
    const result = deps.parse(body, { precision: params.precision, defaultTime: receivedAtNs });

    let catalogTypes: FieldTypeMap = new Map();
    if (deps.fieldTypes && result.points.length > 0) {
      try {
        catalogTypes = await deps.fieldTypes.fieldTypes(params.database);
      } catch (error) {
        log.error("field type lookup failed", { database: params.database, ...errorDetails(error) });
        return unavailable(flavor, retryAfter, "the catalog is unavailable");
      }
    }
    const named = checkNames(params.database, result.points, catalogTypes, memory);
    const { accepted, rejected } = checkFieldTypes(params.database, named.accepted, catalogTypes, memory);

    const rejections: Rejection[] = [
      ...result.errors.map((e) => ({ line: e.line, text: e.text, message: e.message })),
      ...named.rejected.map(({ point, message }) => ({
        line: point.line,
        text: lineText(decoder, body, point),
        message,
      })),
      ...rejected.map(({ point, conflict }) => ({
        line: point.line,
        text: lineText(decoder, body, point),
        message: conflictMessage(conflict),
      })),
    ].sort((a, b) => a.line - b.line);

    if (rejections.length > 0 && !params.acceptPartial) {
      return rejectAll(flavor, rejections);
    }
    if (accepted.length === 0) {
      return rejections.length === 0 ? noContent() : allRejected(flavor, rejections);
    }

    const record: WalRecord = {
      database: params.database,
      writeId: deps.ids.next(),
      receivedAtNs,
      sequence: deps.sequence.next(),
      precision: params.precision,
      body: rejections.length === 0 ? acceptedBody(body, accepted) : joinLines(body, accepted),
    };
    const unreserve = memory.reserve(params.database, accepted);
    try {
      await deps.wal.append([record]);
    } catch (error) {
      unreserve();
      if (error instanceof WalUnavailableError) {
        log.error("WAL unavailable", {
          database: params.database,
          writeId: record.writeId,
          ...errorDetails(error),
        });
        return unavailable(flavor, retryAfter, "the write-ahead log is unavailable");
      }
      log.error("WAL append failed", {
        database: params.database,
        writeId: record.writeId,
        ...errorDetails(error),
      });
      return errorResponse(
        flavor,
        500,
        "internal error",
        "internal error: nothing from this request was acknowledged",
      );
    }

    return rejections.length === 0 ? noContent() : partialWrite(flavor, rejections, accepted.length);
  };
}

function unavailable(flavor: ApiFlavor, retryAfter: string, what: string): HttpResponse {
  return errorResponse(
    flavor,
    503,
    "unavailable",
    `${what}: nothing from this request was acknowledged; retry later`,
    { "retry-after": retryAfter },
  );
}

function lineText(decoder: TextDecoder, body: Uint8Array, point: Point): string {
  const text = decoder.decode(
    body.subarray(point.lineStart, Math.min(point.lineEnd, point.lineStart + MAX_LINE_TEXT * 4)),
  );
  return text.length > MAX_LINE_TEXT ? `${text.slice(0, MAX_LINE_TEXT)}…` : text;
}

/** The body itself when the accepted lines cover it exactly (no comments, blanks or rejects), else joined. */
function acceptedBody(body: Uint8Array, points: readonly Point[]): Uint8Array {
  let pos = 0;
  for (const point of points) {
    if (point.lineStart !== pos) return joinLines(body, points);
    pos = point.lineEnd;
    if (pos < body.byteLength) {
      if (body[pos] !== 0x0a) return joinLines(body, points);
      pos += 1;
    }
  }
  return pos === body.byteLength ? body : joinLines(body, points);
}

/** The accepted lines, byte for byte as received, joined by "\n". */
export function joinLines(body: Uint8Array, points: readonly Point[]): Uint8Array {
  let size = 0;
  for (const p of points) size += p.lineEnd - p.lineStart + 1;
  const out = new Uint8Array(Math.max(0, size - 1));
  let offset = 0;
  for (const [i, p] of points.entries()) {
    if (i > 0) out[offset++] = 0x0a;
    out.set(body.subarray(p.lineStart, p.lineEnd), offset);
    offset += p.lineEnd - p.lineStart;
  }
  return out;
}

function v1Message(r: Rejection): string {
  return r.message.startsWith("field type conflict")
    ? r.message
    : `unable to parse '${r.text}': ${r.message}`;
}

function describeLines(rejections: readonly Rejection[]): string {
  const shown = rejections
    .slice(0, MAX_REPORTED_REJECTIONS)
    .map((r) => `line ${r.line}: ${r.message} (${r.text})`);
  if (rejections.length > shown.length) shown.push(`... and ${rejections.length - shown.length} more`);
  return shown.join("\n");
}

function v3Data(r: Rejection) {
  return { original_line: r.text, line_number: r.line, error_message: r.message };
}

/** Some lines written, some rejected: 400 in every flavor (the good lines ARE durable). */
function partialWrite(flavor: ApiFlavor, rejections: readonly Rejection[], written: number): HttpResponse {
  const first = rejections[0] as Rejection;
  switch (flavor) {
    case "v1":
      return json(400, {
        error: `partial write: ${rejections.slice(0, MAX_REPORTED_REJECTIONS).map(v1Message).join("\n")} dropped=${rejections.length}`,
      });
    case "v2":
      return json(400, {
        code: "invalid",
        line: first.line,
        message: `partial write: ${rejections.length} line(s) rejected, ${written} written\n${describeLines(rejections)}`,
      });
    case "v3":
      return json(400, {
        error: "partial write of line protocol occurred",
        data: rejections.slice(0, MAX_REPORTED_REJECTIONS).map(v3Data),
      });
  }
}

/** Every line was rejected: nothing written. */
function allRejected(flavor: ApiFlavor, rejections: readonly Rejection[]): HttpResponse {
  const first = rejections[0] as Rejection;
  switch (flavor) {
    case "v1": {
      const conflicts = rejections.some((r) => r.message.startsWith("field type conflict"));
      const text = rejections.slice(0, MAX_REPORTED_REJECTIONS).map(v1Message).join("\n");
      return json(400, { error: conflicts ? `partial write: ${text} dropped=${rejections.length}` : text });
    }
    case "v2":
      return json(400, {
        code: "invalid",
        line: first.line,
        message: `no lines written: ${rejections.length} line(s) rejected\n${describeLines(rejections)}`,
      });
    case "v3":
      return partialWrite("v3", rejections, 0);
  }
}

/** v3 with accept_partial=false: the first error, nothing written. */
function rejectAll(flavor: ApiFlavor, rejections: readonly Rejection[]): HttpResponse {
  if (flavor !== "v3") return allRejected(flavor, rejections);
  return json(400, {
    error: "parsing failed for write_lp endpoint",
    data: v3Data(rejections[0] as Rejection),
  });
}

export type { WriteParams };
