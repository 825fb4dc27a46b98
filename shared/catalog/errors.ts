// Errors of the catalog: corrupt objects and updates that could not be committed.

export class CatalogError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CatalogError";
  }
}

export class CorruptCatalogError extends CatalogError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`catalog object "${key}" is unreadable: ${reason}`);
    this.name = "CorruptCatalogError";
  }
}

export class CatalogContentionError extends CatalogError {
  constructor(
    readonly prefix: string,
    attempts: number,
  ) {
    super(
      `catalog update under "${prefix}" lost the race ${attempts} times in a row; giving up (retry later)`,
    );
    this.name = "CatalogContentionError";
  }
}
