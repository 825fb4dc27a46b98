// The decision of the HTTP API Lambda authorizer: does the presented token match a grant, and with what
// permissions. Database-level checks happen later, in the router, where the database is known.
import { extractToken } from "./credentials.ts";
import { findGrant, type Permissions, type TokenGrant } from "./tokens.ts";

export type AuthorizerDecision =
  | { readonly authorized: true; readonly permissions: Permissions }
  | { readonly authorized: false; readonly reason: "missing" | "invalid" | "no-tokens-configured" };

/**
 * Unlike the local server, an empty token list denies everything: on AWS an unconfigured parameter must
 * not open the database to the internet.
 */
export function decide(
  grants: readonly TokenGrant[],
  headers: Readonly<Record<string, string | undefined>>,
  rawQueryString: string,
): AuthorizerDecision {
  if (grants.length === 0) return { authorized: false, reason: "no-tokens-configured" };
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) lower[name.toLowerCase()] = value;
  const token = extractToken(lower, new URLSearchParams(rawQueryString));
  if (token === undefined) return { authorized: false, reason: "missing" };
  const grant = findGrant(grants, token);
  if (grant === undefined) return { authorized: false, reason: "invalid" };
  return {
    authorized: true,
    permissions: { databases: grant.databases, read: grant.read, write: grant.write },
  };
}
