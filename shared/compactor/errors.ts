// Errors of compaction and merging.

export class CompactionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CompactionError";
  }
}

export class RecordParseError extends CompactionError {
  constructor(recordId: string, cause: unknown) {
    super(
      `WAL record ${recordId} could not be parsed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = "RecordParseError";
  }
}
