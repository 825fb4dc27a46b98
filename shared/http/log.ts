// The little logging the HTTP layer needs; Powertools' Logger and the local console logger both fit.

export interface Log {
  error(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
}

export const silentLog: Log = { error: () => {}, info: () => {} };

/**
 * Details of an unexpected error for the log (never for a client). No `message` key: Powertools' Logger
 * reserves it and would drop the error's text.
 */
export function errorDetails(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return {
      error: error.name,
      errorMessage: error.message,
      stack: error.stack,
      cause: String(error.cause ?? ""),
    };
  }
  return { error: String(error) };
}
