// Canonical line protocol writer: the inverse of parseLineProtocol for every point it can accept.
// Tags come out sorted by key bytes, every backslash is escaped, and floats keep their exact bits.
import { InvalidPointError } from "./errors.ts";
import { compareUtf8 } from "./order.ts";
import { MAX_STRING_BYTES, MAX_TIME_NS, MIN_TIME_NS } from "./parse.ts";
import type { PointInput, TypedFieldValue } from "./types.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

// Cc (C0, DEL, C1) and lone surrogates: the parser rejects the first in names, and the second cannot be UTF-8.
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Writes one point as one line, without the trailing newline. Throws InvalidPointError for unwritable points. */
export function serializePoint(point: PointInput): string {
  const measurement = point.measurement;
  checkName(measurement, "measurement");
  if (measurement.startsWith("#")) {
    throw new InvalidPointError(
      `measurement ${JSON.stringify(measurement)} cannot start with '#': the line would be a comment`,
    );
  }
  let line = measurement.replace(/[\\, ]/g, "\\$&");

  const tags = (Array.isArray(point.tags) ? point.tags : Object.entries(point.tags ?? {})) as ReadonlyArray<
    readonly [string, string]
  >;
  // An empty tag value cannot be written (`t=` is rejected); InfluxQL treats it as an absent tag anyway.
  const present = tags.filter(([, value]) => value !== "");
  const sorted = [...present].sort(([a], [b]) => compareUtf8(a, b));
  for (let k = 0; k < sorted.length; k++) {
    const [key, value] = sorted[k] as readonly [string, string];
    checkName(key, "tag key");
    checkName(value, "tag value");
    if (key === "time") throw new InvalidPointError(`tag key "time" is reserved for the timestamp`);
    if (k > 0 && key === sorted[k - 1]?.[0])
      throw new InvalidPointError(`duplicate tag key ${JSON.stringify(key)}`);
    line += `,${escapeName(key)}=${escapeName(value)}`;
  }

  const fields = (Array.isArray(point.fields) ? point.fields : Object.entries(point.fields)) as ReadonlyArray<
    readonly [string, TypedFieldValue]
  >;
  if (fields.length === 0)
    throw new InvalidPointError(`point of ${JSON.stringify(measurement)} has no fields`);
  const seen = new Set<string>();
  let sep = " ";
  for (const [key, field] of fields) {
    checkName(key, "field key");
    if (key === "time") throw new InvalidPointError(`field key "time" is reserved for the timestamp`);
    if (seen.has(key)) throw new InvalidPointError(`duplicate field key ${JSON.stringify(key)}`);
    seen.add(key);
    line += `${sep}${escapeName(key)}=${fieldText(key, field)}`;
    sep = ",";
  }

  if (point.time !== undefined) {
    if (point.time < MIN_TIME_NS || point.time > MAX_TIME_NS) {
      throw new InvalidPointError(
        `time ${point.time} is out of range: it must be between ${MIN_TIME_NS} and ${MAX_TIME_NS}`,
      );
    }
    line += ` ${point.time}`;
  }
  return line;
}

/** Writes points one per line, each ending in a newline. */
export function serializePoints(points: Iterable<PointInput>): string {
  let out = "";
  for (const point of points) out += `${serializePoint(point)}\n`;
  return out;
}

function escapeName(s: string): string {
  return s.replace(/[\\,= ]/g, "\\$&");
}

function checkName(s: string, what: string): void {
  if (s === "") throw new InvalidPointError(`${what} is empty`);
  if (CONTROL.test(s))
    throw new InvalidPointError(`${what} ${JSON.stringify(s)} contains a control character`);
  if (LONE_SURROGATE.test(s))
    throw new InvalidPointError(`${what} ${JSON.stringify(s)} is not valid Unicode`);
}

function fieldText(key: string, field: TypedFieldValue): string {
  switch (field.type) {
    case "float": {
      const v = field.value;
      if (!Number.isFinite(v)) {
        throw new InvalidPointError(
          `float field ${JSON.stringify(key)} is ${v}: line protocol has no NaN or infinity`,
        );
      }
      // String() is the shortest text that reads back to the same double; only the sign of zero needs help.
      return Object.is(v, -0) ? "-0" : String(v);
    }
    case "integer":
      if (field.value < INT64_MIN || field.value > INT64_MAX) {
        throw new InvalidPointError(
          `integer field ${JSON.stringify(key)} is ${field.value}: out of int64 range`,
        );
      }
      return `${field.value}i`;
    case "unsigned":
      if (field.value < 0n || field.value > UINT64_MAX) {
        throw new InvalidPointError(
          `unsigned field ${JSON.stringify(key)} is ${field.value}: out of uint64 range`,
        );
      }
      return `${field.value}u`;
    case "string": {
      const v = field.value;
      if (LONE_SURROGATE.test(v))
        throw new InvalidPointError(`string field ${JSON.stringify(key)} is not valid Unicode`);
      if (Buffer.byteLength(v, "utf8") > MAX_STRING_BYTES) {
        throw new InvalidPointError(
          `string field ${JSON.stringify(key)} is longer than ${MAX_STRING_BYTES} bytes`,
        );
      }
      return `"${v.replace(/[\\"]/g, "\\$&")}"`;
    }
    case "boolean":
      return field.value ? "true" : "false";
    default:
      throw new InvalidPointError(`field ${JSON.stringify(key)} has an unknown type`);
  }
}
