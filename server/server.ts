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
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let closing = false;
  let inFlight = 0;
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    inFlight += 1;
    res.on("close", () => {
      inFlight -= 1;
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

  return {
    host: address.address,
    port: address.port,
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

/** Reads at most `limit + 1` bytes; `truncated` says the body was longer (and was not read to its end). */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.pause();
    return Promise.resolve({ body: new Uint8Array(limit + 1), truncated: true });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      const room = limit + 1 - total;
      chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
      total += Math.min(chunk.byteLength, room);
      if (total > limit) {
        done();
        req.pause();
        resolve({ body: Buffer.concat(chunks, total), truncated: true });
      }
    };
    const onEnd = () => {
      done();
      const body = Buffer.concat(chunks, total);
      resolve({ body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), truncated: false });
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
