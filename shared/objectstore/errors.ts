// Errors raised by object-store adapters. A lost put condition is a PutResult value, never one of these.

export class ObjectStoreError extends Error {
  override readonly name: string = "ObjectStoreError";
  constructor(
    message: string,
    readonly operation: string,
    readonly key: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The object does not exist (raised by getRange; get and head answer `undefined` instead). */
export class NotFoundError extends ObjectStoreError {
  override readonly name = "NotFoundError";
  constructor(operation: string, key: string, where: string) {
    super(`object "${key}" not found in ${where} (${operation})`, operation, key);
  }
}

/** A key that cannot name an object safely (empty, absolute, with `..` or empty segments). */
export class InvalidKeyError extends ObjectStoreError {
  override readonly name = "InvalidKeyError";
  constructor(key: string, reason: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`, "key", key);
  }
}

/** A fault injected by FaultyObjectStore in tests. */
export class InjectedFaultError extends ObjectStoreError {
  override readonly name = "InjectedFaultError";
  constructor(operation: string, key: string | undefined) {
    super(`injected fault in ${operation}${key === undefined ? "" : ` of "${key}"`}`, operation, key);
  }
}

/** Checks the rules every adapter shares, so a key valid in memory is valid on disk and on S3. */
export function validateKey(key: string): void {
  if (key.length === 0) throw new InvalidKeyError(key, "keys must not be empty");
  if (key.startsWith("/")) throw new InvalidKeyError(key, "keys must not start with '/'");
  if (key.endsWith("/")) throw new InvalidKeyError(key, "keys must not end with '/'");
  if (key.includes("\0")) throw new InvalidKeyError(key, "keys must not contain NUL");
  if (key.includes("\\")) throw new InvalidKeyError(key, "keys must not contain '\\'");
  for (const segment of key.split("/")) {
    if (segment === "") throw new InvalidKeyError(key, "keys must not contain empty segments ('//')");
    if (segment === "." || segment === "..")
      throw new InvalidKeyError(key, `keys must not contain '${segment}' segments`);
  }
}

/** Ascending order of UTF-8 bytes, the order S3 lists keys in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
