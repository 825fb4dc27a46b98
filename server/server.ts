// node:http ⇄ HttpRequest/HttpResponse around the shared router (the same one Lambda runs), with a body
// limit enforced while reading, keep-alive, and a graceful close that lets in-flight requests finish.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorDetails, type Log } from "../shared/http/log.ts";
import type { HttpRequest, RequestHandler } from "../shared/http/types.ts";

export interface ServerOptions {
  readonly handler: RequestHandler;
  readonly host: string;
  readonly port: number;
  /** Bodies are read up to this many bytes plus one; the router answers 413 for anything longer. */
  readonly maxBodyBytes: number;
  readonly log: Log;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, waits for in-flight requests (up to `timeoutMs`, then cuts connections). */
  close(timeoutMs: number): Promise<void>;
  /**
   * Resolves once no request has been in flight for `quietMs`, or after `maxWaitMs` however busy the server
   * is: background work that shares this event loop waits for a gap in the requests, but never for longer.
   */
  whenQuiet(quietMs: number, maxWaitMs: number): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let closing = false;
  let inFlight = 0;
  /** performance.now() when the last request finished. */
  let lastDone = performance.now();
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    inFlight += 1;
    res.on("close", () => {
      inFlight -= 1;
      lastDone = performance.now();
      if (closing) server.closeIdleConnections();
    });
    handle(req, res).catch((error: unknown) => {
      options.log.error("request failed", errorDetails(error));
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end('{"error":"internal error"}');
      } else res.destroy();
    });
  });
  // `Expect: 100-continue` with a declared body over the limit: answer 413 without inviting the upload.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers["content-length"]);
    if (!(Number.isFinite(declared) && declared > options.maxBodyBytes)) res.writeContinue();
    server.emit("request", req, res);
  });
  // Longer than typical client pools' idle timeouts, so clients do not reuse a socket we just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const { body, truncated } = await readBody(req, options.maxBodyBytes);
    const url = new URL(req.url ?? "/", "http://localhost");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const request: HttpRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
    };
    const response = await options.handler(request);
    const out: Record<string, string> = { ...response.headers };
    // The rest of an oversized body was never read: the connection cannot carry another request.
    if (truncated || closing) out.connection = "close";
    res.writeHead(response.status, out);
    res.end(response.body);
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  const whenQuiet = (quietMs: number, maxWaitMs: number) =>
    new Promise<void>((resolve) => {
      const deadline = performance.now() + maxWaitMs;
      const check = () => {
        const now = performance.now();
        const quietFor = inFlight === 0 ? now - lastDone : 0;
        if (quietFor >= quietMs || now >= deadline) resolve();
        else setTimeout(check, Math.max(1, Math.min(quietMs - quietFor, deadline - now)));
      };
      check();
    });

  return {
    host: address.address,
    port: address.port,
    whenQuiet,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        closing = true;
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
        options.log.info("server closing", { inFlight });
      }),
  };
}

/**
 * Reads at most `limit + 1` bytes; `truncated` says the body was longer (and was not read to its end).
 * With a Content-Length the body is copied into one buffer of that size as chunks arrive (no chunk list and
 * no second copy); without one (chunked encoding) the chunks are joined at the end. A body that arrived in
 * one chunk is used as it is.
 */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.pause();
    return Promise.resolve({ body: new Uint8Array(limit + 1), truncated: true });
  }
  const sized = Number.isSafeInteger(declared) && declared > 0 ? declared : undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let into: Uint8Array | undefined;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      const room = limit + 1 - total;
      const piece = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
      if (sized !== undefined && into === undefined && (chunks.length > 0 || piece.byteLength < sized)) {
        into = new Uint8Array(Math.max(sized, total + piece.byteLength));
        let at = 0;
        for (const c of chunks) {
          into.set(c, at);
          at += c.byteLength;
        }
        chunks.length = 0;
      }
      if (into === undefined) chunks.push(piece);
      else {
        // node:http delivers no more than Content-Length; growing keeps a miscount from overflowing anyway.
        if (total + piece.byteLength > into.byteLength) {
          const grown = new Uint8Array(total + piece.byteLength);
          grown.set(into.subarray(0, total));
          into = grown;
        }
        into.set(piece, total);
      }
      total += piece.byteLength;
      if (total > limit) {
        done();
        req.pause();
        resolve({ body: collect(), truncated: true });
      }
    };
    const collect = (): Uint8Array => {
      if (into !== undefined) return into.subarray(0, total);
      if (chunks.length === 1) {
        const only = chunks[0] as Buffer;
        return new Uint8Array(only.buffer, only.byteOffset, only.byteLength);
      }
      const body = Buffer.concat(chunks, total);
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    };
    const onEnd = () => {
      done();
      resolve({ body: collect(), truncated: false });
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
