// Transport-neutral HTTP request/response: the Lambda adapter and the local server both translate to these.

export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/api/v2/write`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Raw body bytes, still compressed if Content-Encoding says so. */
  readonly body: Uint8Array;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

export type RequestHandler = (request: HttpRequest) => Promise<HttpResponse>;
