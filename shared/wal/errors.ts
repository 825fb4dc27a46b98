// WAL errors. The write API maps WalUnavailableError to 503 (retry later); the rest are bugs or corruption.

export class WalError extends Error {
  override readonly name: string = "WalError";
}

/** Appending failed: nothing was acknowledged as a whole. Clients should retry (HTTP 503). */
export class WalUnavailableError extends WalError {
  override readonly name = "WalUnavailableError";
}

/** Bytes that should hold a WAL record or frame do not: wrong magic, version, checksum or length. */
export class WalCorruptError extends WalError {
  override readonly name = "WalCorruptError";
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`corrupt WAL record: ${reason}`, options);
  }
}

/** A record that this WAL cannot carry at all (e.g. a header field too long to encode). */
export class WalRecordRejectedError extends WalError {
  override readonly name = "WalRecordRejectedError";
}

/** An SQS message points at a claim-check object that is gone (deleted, expired or never written). */
export class WalClaimMissingError extends WalError {
  override readonly name = "WalClaimMissingError";
  constructor(readonly key: string) {
    super(
      `WAL claim check "${key}" is missing from the object store; the record cannot be read (check the bucket's lifecycle rule on wal/claims/ outlives the queue's retention)`,
    );
  }
}
