// Test fakes for the HTTP layer (not used in production code): a recording WAL, a failing WAL, and a
// request builder.
import type { FieldTypeLookup, FieldTypeMap } from "../catalog/port.ts";
import type { WalRecord, WalWriter } from "../wal/port.ts";
import type { HttpRequest } from "./types.ts";

export class RecordingWal implements WalWriter {
  readonly records: WalRecord[] = [];
  closed = false;
  async append(records: readonly WalRecord[]): Promise<void> {
    this.records.push(...records);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Fails the next `failures` appends with the given error, then records. */
export class FailingWal extends RecordingWal {
  constructor(
    private readonly error: () => Error,
    private failures = Number.POSITIVE_INFINITY,
  ) {
    super();
  }
  override async append(records: readonly WalRecord[]): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw this.error();
    }
    await super.append(records);
  }
}

export class StaticFieldTypes implements FieldTypeLookup {
  constructor(private readonly types: Record<string, FieldTypeMap> = {}) {}
  async fieldTypes(database: string): Promise<FieldTypeMap> {
    return this.types[database] ?? new Map();
  }
}

export function request(
  method: string,
  target: string,
  body: string | Uint8Array = "",
  headers: Record<string, string> = {},
): HttpRequest {
  const url = new URL(target, "http://localhost");
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: typeof body === "string" ? new TextEncoder().encode(body) : body,
  };
}
