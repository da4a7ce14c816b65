/**
 * Reads a request body with a hard byte limit. Past the limit it stops
 * reading at once (the socket is paused, no byte more is buffered), so an
 * oversized upload cannot make the receiver read or hold it.
 */
import type { Readable } from "node:stream";
import { PayloadTooLargeError, RequestAbortedError } from "./errors.js";

/**
 * The declared Content-Length, or undefined when absent or not a plain
 * decimal number (chunked bodies have none; Node rejects malformed ones).
 */
export function declaredLength(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string" || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Collects the body of `request` (an IncomingMessage or Http2ServerRequest).
 * Rejects with PayloadTooLargeError as soon as more than `limit` bytes
 * arrived, leaving the request paused and unread, and with
 * RequestAbortedError when the client goes away first.
 */
export function readBody(request: Readable, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;

    const cleanup = (): void => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        cleanup();
        request.pause();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(
        new RequestAbortedError("the request failed while reading its body", { cause: error }),
      );
    };
    const onClose = (): void => {
      cleanup();
      reject(new RequestAbortedError());
    };

    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
  });
}
