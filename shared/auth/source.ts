// Where token grants come from: a fixed list, or a loader (e.g. SSM) cached for a while.
import type { Clock } from "../core/clock.ts";
import { TokenSourceError } from "./errors.ts";
import { parseTokenGrants, type TokenGrant } from "./tokens.ts";

export interface TokenSource {
  grants(): Promise<readonly TokenGrant[]>;
}

export function staticTokens(grants: readonly TokenGrant[]): TokenSource {
  return { grants: async () => grants };
}

/** Loads the raw JSON text of the token list (the SSM adapter implements this). */
export interface TokenListLoader {
  load(): Promise<string>;
}

/**
 * Caches the parsed list for `ttlMs`. Concurrent callers share one load. A failed refresh keeps serving the
 * previous list (a brief SSM outage must not lock everyone out); with no previous list it throws.
 */
export class CachedTokenSource implements TokenSource {
  private cached: { grants: readonly TokenGrant[]; loadedAtMs: number } | undefined;
  private inflight: Promise<readonly TokenGrant[]> | undefined;

  constructor(
    private readonly loader: TokenListLoader,
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
  ) {}

  async grants(): Promise<readonly TokenGrant[]> {
    const now = this.clock.nowMs();
    if (this.cached && now - this.cached.loadedAtMs < this.ttlMs) return this.cached.grants;
    this.inflight ??= this.refresh(now).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(now: number): Promise<readonly TokenGrant[]> {
    try {
      const text = await this.loader.load();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new TokenSourceError("token list is not valid JSON", { cause: error });
      }
      const grants = parseTokenGrants(json);
      this.cached = { grants, loadedAtMs: now };
      return grants;
    } catch (error) {
      if (this.cached) return this.cached.grants;
      throw error instanceof TokenSourceError
        ? error
        : new TokenSourceError("could not load the token list", { cause: error });
    }
  }
}
