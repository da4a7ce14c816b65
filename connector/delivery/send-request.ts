/**
 * One HTTP request to a target through an undici Pool's `dispatch`, with a
 * handler that keeps only what a delivery needs (the status and a
 * Retry-After) and drops the response body as it arrives. `pool.request()`
 * builds a readable stream per response and takes an AbortSignal per
 * request; at thousands of deliveries a second those were a large part of
 * the connector's time.
 */
import type { Dispatcher } from "undici";

/** What a target answered. */
export interface TargetAnswer {
  readonly status: number;
  /** The Retry-After header, if any. */
  readonly retryAfter: string | undefined;
  /** The response headers, when the request asked to capture the response. */
  readonly headers?: readonly (readonly [string, string])[];
  /** The first `captureBytes` of the response body, when asked for. */
  readonly body?: Buffer;
}

/** A request in flight that can be given up. */
export interface SentRequest {
  readonly answer: Promise<TargetAnswer>;
  /** Aborts the request (the answer rejects with `reason`). */
  abort(reason: Error): void;
}

/** Sends one request; `timeoutMs` bounds the wait for headers and between body chunks. */
export function sendRequest(
  pool: Dispatcher,
  request: {
    readonly path: string;
    readonly method: string;
    readonly headers: string[];
    readonly body: Buffer;
    readonly timeoutMs: number;
    /** Keep the response headers and this many leading body bytes. @default none kept */
    readonly captureBytes?: number;
  },
): SentRequest {
  let controller: Dispatcher.DispatchController | undefined;
  let abortedWith: Error | undefined;
  const answer = new Promise<TargetAnswer>((resolve, reject) => {
    let status = 0;
    let retryAfter: string | undefined;
    const capture = request.captureBytes;
    let headers: [string, string][] | undefined;
    let chunks: Buffer[] | undefined;
    let kept = 0;
    pool.dispatch(
      {
        path: request.path,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        body: request.body,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      },
      {
        onRequestStart(started) {
          controller = started;
          if (abortedWith !== undefined) started.abort(abortedWith);
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          const value = responseHeaders["retry-after"];
          retryAfter = Array.isArray(value) ? value[0] : value;
          if (capture !== undefined) {
            headers = [];
            chunks = [];
            for (const [name, values] of Object.entries(responseHeaders)) {
              if (values === undefined) continue;
              for (const one of Array.isArray(values) ? values : [values])
                headers.push([name, one]);
            }
          }
        },
        onResponseData(_controller, chunk) {
          if (chunks === undefined || capture === undefined || kept >= capture) return;
          const part = chunk.subarray(0, capture - kept);
          chunks.push(Buffer.from(part));
          kept += part.length;
        },
        onResponseEnd() {
          if (headers === undefined || chunks === undefined) resolve({ status, retryAfter });
          else resolve({ status, retryAfter, headers, body: Buffer.concat(chunks) });
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
  return {
    answer,
    abort(reason) {
      abortedWith ??= reason;
      controller?.abort(reason);
    },
  };
}
