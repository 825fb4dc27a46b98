// Errors of the HTTP layer: each carries the status and a message safe to show to clients.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** Short machine code in InfluxDB 2's vocabulary ("invalid", "request too large", ...). */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request body, compressed or decompressed, is larger than a configured limit (413). */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, "request too large", message);
  }
}

/** The body says gzip but is not valid gzip (400). */
export class InvalidEncodingError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, "invalid", message, options);
  }
}

/** The Content-Encoding is neither identity nor gzip (415, as InfluxDB answers). */
export class UnsupportedEncodingError extends HttpError {
  constructor(encoding: string) {
    super(415, "unsupported media type", `unsupported Content-Encoding "${encoding}": send identity or gzip`);
  }
}
