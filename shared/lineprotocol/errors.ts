// Errors of the line protocol module. Parsing reports bad lines as LineError values (one bad line must not
// sink a batch); exceptions are kept for caller mistakes such as serializing a point that cannot be written.

export class LineProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A rule broken inside one line. Thrown and caught inside the parser only (the catch turns it into a
 * LineError and moves on to the next line); `offset` is the byte offset in the body where it was found.
 */
export class LineSyntaxError extends LineProtocolError {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** A point handed to the serializer that line protocol cannot carry, or that a parser would reject. */
export class InvalidPointError extends LineProtocolError {}

/** ParseOptions that make no sense, e.g. an unknown precision: a programming error, not a client error. */
export class InvalidParseOptionsError extends LineProtocolError {}
