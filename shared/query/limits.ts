// Per-query limits: every one is a clear, named error when exceeded (see QueryLimitError).

export interface QueryLimits {
  /** Series (result groups) in one statement's answer. */
  readonly maxSeries: number;
  /** Points decoded from Parquet and the WAL for one statement. */
  readonly maxPointsScanned: number;
  /** Rows in one statement's answer, including filled windows. */
  readonly maxResponseRows: number;
  /** Wall-clock budget for one request. */
  readonly timeoutMs: number;
  /** Bytes fetched from a file's end to find its footer (the footer of a small file is one request). */
  readonly footerBytes: number;
  /** Files read concurrently. */
  readonly fileConcurrency: number;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxSeries: 100_000,
  maxPointsScanned: 50_000_000,
  maxResponseRows: 1_000_000,
  timeoutMs: 25_000,
  footerBytes: 64 * 1024,
  fileConcurrency: 4,
};
