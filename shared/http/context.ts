// Per-request facts established outside the request's own fields (who the caller is), kept beside the
// request object rather than in headers so that no client can forge them.
import type { Permissions } from "../auth/tokens.ts";
import type { HttpRequest } from "./types.ts";

const principals = new WeakMap<HttpRequest, Permissions>();

/** Records what the caller may do (set by the router after authentication, or by the Lambda adapter). */
export function attachPermissions(request: HttpRequest, permissions: Permissions): void {
  principals.set(request, permissions);
}

/** What the caller may do, once authenticated; handlers behind the router (e.g. /query) read this. */
export function permissionsOf(request: HttpRequest): Permissions | undefined {
  return principals.get(request);
}
