// Errors of the storage layout: keys that do not parse, names that cannot be placed in a key.

export class LayoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LayoutError";
  }
}

export class InvalidSegmentError extends LayoutError {
  constructor(
    readonly segment: string,
    reason: string,
  ) {
    super(`invalid encoded key segment ${JSON.stringify(segment)}: ${reason}`);
    this.name = "InvalidSegmentError";
  }
}

export class InvalidTemplateError extends LayoutError {
  constructor(reason: string) {
    super(`invalid partition template: ${reason}`);
    this.name = "InvalidTemplateError";
  }
}
