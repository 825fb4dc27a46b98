// Keys of WAL claim checks: records too large for one SQS message live at wal/claims/<yyyy-mm-dd>/<writeId>.bin.
// The day is the day the claim was written, so a lifecycle rule can expire whole days after queue retention.
import { WalCorruptError } from "./errors.ts";

const PREFIX = "wal/claims/";
const KEY = /^wal\/claims\/(\d{4}-\d{2}-\d{2})\/([^/]+)\.bin$/;

export function claimKey(writtenAtMs: number, writeId: string): string {
  const day = new Date(writtenAtMs).toISOString().slice(0, 10);
  // writeIds are UUID-shaped; anything else is percent-encoded so it stays one safe path segment.
  return `${PREFIX}${day}/${encodeURIComponent(writeId).replaceAll(".", "%2E")}.bin`;
}

export function parseClaimKey(key: string): { day: string; writeId: string } {
  const match = KEY.exec(key);
  if (match?.[1] === undefined || match[2] === undefined)
    throw new WalCorruptError(
      `"${key}" is not a WAL claim-check key (expected ${PREFIX}<yyyy-mm-dd>/<writeId>.bin)`,
    );
  try {
    return { day: match[1], writeId: decodeURIComponent(match[2]) };
  } catch (cause) {
    throw new WalCorruptError(`claim-check key "${key}" has a badly encoded writeId`, { cause });
  }
}
