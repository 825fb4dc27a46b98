// InfluxQL errors, worded as InfluxDB 1.x words them so clients that match on messages keep working.

export class InfluxQLError extends Error {
  override readonly name: string = "InfluxQLError";
}

/** `error parsing query: found X, expected Y at line L, char C` (line and char 1-based). */
export class ParseError extends InfluxQLError {
  override readonly name = "ParseError";
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly char: number,
  ) {
    super(`error parsing query: ${detail} at line ${line}, char ${char}`);
  }

  static found(found: string, expected: readonly string[], line: number, char: number): ParseError {
    return new ParseError(`found ${found}, expected ${expected.join(", ")}`, line, char);
  }
}
