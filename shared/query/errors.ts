// Query-engine errors. Messages are shown to clients as the statement's `error`, so they carry the values.

export class QueryError extends Error {
  override readonly name: string = "QueryError";
}

/** A configured limit was hit; the message names the limit and the setting that changes it. */
export class QueryLimitError extends QueryError {
  override readonly name = "QueryLimitError";
  constructor(
    readonly limit: string,
    readonly value: number,
    readonly max: number,
  ) {
    super(`${limit} limit exceeded: (${value}/${max}); raise QueryLimits.${limit} or narrow the query`);
  }
}

export class UnsupportedError extends QueryError {
  override readonly name = "UnsupportedError";
  constructor(what: string) {
    super(`${what} is not supported yet`);
  }
}
