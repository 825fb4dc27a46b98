// Extracts the presented token from a request: Authorization (Token, Bearer, Basic) or the v1 `u`/`p` params.

/** Header names lower-cased, as in HttpRequest. */
export function extractToken(
  headers: Readonly<Record<string, string>>,
  query: URLSearchParams,
): string | undefined {
  const header = headers.authorization?.trim();
  if (header) {
    const space = header.indexOf(" ");
    if (space > 0) {
      const scheme = header.slice(0, space).toLowerCase();
      const value = header.slice(space + 1).trim();
      if ((scheme === "token" || scheme === "bearer") && value.length > 0) return value;
      if (scheme === "basic") return basicPassword(value);
    }
    return undefined;
  }
  // InfluxDB 1.x query-string credentials: the password carries the token, the user name is ignored.
  const password = query.get("p");
  return password ? password : undefined;
}

function basicPassword(encoded: string): string | undefined {
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const password = decoded.slice(colon + 1);
  return password.length > 0 ? password : undefined;
}
