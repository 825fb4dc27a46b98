// Errors of the local server's entry point: configuration problems name the flag and variable to fix.

export class ServerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends ServerError {}
