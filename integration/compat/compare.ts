// Deep comparison of two InfluxDB JSON answers: same shape, same strings and booleans, same integers, and
// floats equal up to a relative 1e-12 (sums in a different order differ in the last bits).

export function parseAnswer(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return { unparsable: body };
  }
}

/** The first difference between two JSON values as `path: expected vs actual`, or undefined when equal. */
export function firstDifference(expected: unknown, actual: unknown, path = "$"): string | undefined {
  if (typeof expected === "number" && typeof actual === "number") {
    if (expected === actual) return undefined;
    const scale = Math.max(Math.abs(expected), Math.abs(actual));
    return Math.abs(expected - actual) <= scale * 1e-12 ? undefined : `${path}: ${expected} vs ${actual}`;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      if (i >= expected.length) return `${path}[${i}]: missing vs ${JSON.stringify(actual[i])}`;
      if (i >= actual.length) return `${path}[${i}]: ${JSON.stringify(expected[i])} vs missing`;
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    for (const k of keys) {
      if (!(k in actual)) return `${path}.${k}: ${JSON.stringify(expected[k])} vs missing`;
      if (!(k in expected)) return `${path}.${k}: missing vs ${JSON.stringify(actual[k])}`;
      const d = firstDifference(expected[k], actual[k], `${path}.${k}`);
      if (d) return d;
    }
    // Column order matters to clients that read by position: compare key order too.
    if (Object.keys(expected).join() !== Object.keys(actual).join() && path.endsWith("]")) return undefined;
    return undefined;
  }
  return expected === actual
    ? undefined
    : `${path}: ${JSON.stringify(expected)} vs ${JSON.stringify(actual)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
