// Errors of the Parquet persistence layer.

export class ParquetFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ParquetFormatError";
  }
}
