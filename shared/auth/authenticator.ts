// Decides who a request is: open (no tokens configured), a token's permissions, or a 401/403 reason.
import { extractToken } from "./credentials.ts";
import { type Action, allows, findGrant, type Permissions, type TokenGrant } from "./tokens.ts";

/** Everything needed to authenticate a request, transport-neutral. */
export interface Credentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

export type AuthResult =
  | { readonly ok: true; readonly permissions: Permissions }
  /** missing: no credentials presented; invalid: a token that matches no grant. Both are 401. */
  | { readonly ok: false; readonly reason: "missing" | "invalid" };

export type Authenticate<R extends Credentials = Credentials> = (request: R) => Promise<AuthResult>;

export const ALL_PERMISSIONS: Permissions = { databases: "*", read: true, write: true };

/** No tokens configured: every request may do everything (the local default, loopback only). */
export const openAccess: Authenticate = async () => ({ ok: true, permissions: ALL_PERMISSIONS });

/** Tokens from a (possibly refreshing) source; an empty list means open access. */
export function tokenAuthenticator(grants: () => Promise<readonly TokenGrant[]>): Authenticate {
  return async (request) => {
    const list = await grants();
    if (list.length === 0) return { ok: true, permissions: ALL_PERMISSIONS };
    const token = extractToken(request.headers, request.query);
    if (token === undefined) return { ok: false, reason: "missing" };
    const grant = findGrant(list, token);
    if (grant === undefined) return { ok: false, reason: "invalid" };
    return { ok: true, permissions: { databases: grant.databases, read: grant.read, write: grant.write } };
  };
}

export { type Action, allows };
