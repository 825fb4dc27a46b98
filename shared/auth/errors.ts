// Errors of the auth module: bad token configuration is reported with the offending entry and field.

export class AuthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configured token list is malformed (names the entry index and the field). */
export class TokenConfigError extends AuthError {}

/** The token source (e.g. SSM) could not be read. */
export class TokenSourceError extends AuthError {}
