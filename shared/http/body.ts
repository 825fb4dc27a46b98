// Request-body decoding: enforces the compressed size limit and inflates gzip in a stream that stops
// as soon as the output passes its limit, so a gzip bomb costs at most the limit in memory.
import { createGunzip } from "node:zlib";
import { InvalidEncodingError, PayloadTooLargeError, UnsupportedEncodingError } from "./errors.ts";

export interface BodyLimits {
  /** Largest accepted body as sent (compressed when gzip). */
  readonly maxBodyBytes: number;
  /** Largest accepted body after decompression. */
  readonly maxDecompressedBytes: number;
}

const SLICE = 64 * 1024;

export async function decodeBody(
  body: Uint8Array,
  contentEncoding: string | undefined,
  limits: BodyLimits,
): Promise<Uint8Array> {
  if (body.byteLength > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(
      `request body exceeds the limit of ${limits.maxBodyBytes} bytes (setting: max body bytes)`,
    );
  }
  const encoding = (contentEncoding ?? "").trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return body;
  if (encoding !== "gzip" && encoding !== "x-gzip") throw new UnsupportedEncodingError(encoding);
  return gunzipLimited(body, limits.maxDecompressedBytes);
}

function gunzipLimited(input: Uint8Array, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: SLICE });
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      reject(error);
    };
    gunzip.on("data", (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) {
        fail(
          new PayloadTooLargeError(
            `decompressed request body exceeds the limit of ${limit} bytes (setting: max decompressed bytes)`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    gunzip.on("error", (error) =>
      fail(new InvalidEncodingError(`gzipped request body is invalid: ${error.message}`, { cause: error })),
    );
    gunzip.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, total));
    });
    // Feed in slices, respecting backpressure, so a bomb is stopped after a bounded amount of output.
    let offset = 0;
    const pump = () => {
      while (!settled && offset < input.byteLength) {
        const end = Math.min(offset + SLICE, input.byteLength);
        const more = gunzip.write(input.subarray(offset, end));
        offset = end;
        if (!more) {
          gunzip.once("drain", pump);
          return;
        }
      }
      if (!settled && offset >= input.byteLength) gunzip.end();
    };
    pump();
  });
}
