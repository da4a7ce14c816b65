/**
 * Per-request correlation for logs: a request id (a sane incoming
 * `X-Request-Id` is kept, otherwise a new one; sent back as
 * `X-Request-Id`) and, for ingest, the message's `traceparent`. Stored in
 * AsyncLocalStorage so events emitted while a request is handled carry them
 * without the emitting library knowing about logs.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { AnyRequest, AnyResponse } from "../server/listener.js";

/** What is known about the request being handled. */
export interface RequestContext {
  /** Request id (also the `X-Request-Id` response header). */
  readonly requestId: string;
  /** W3C traceparent stored with the message, once known. */
  traceparent: string | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming `X-Request-Id` when it is short and plain, else a new UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === "string" && SANE_ID.test(header) ? header : randomUUID();
}

/** Runs `handle` with a request context; sets `X-Request-Id` on the response. */
export function withRequestContext<T>(req: AnyRequest, res: AnyResponse, handle: () => T): T {
  const context: RequestContext = {
    requestId: requestIdFor(req.headers["x-request-id"]),
    traceparent: undefined,
  };
  if (!res.headersSent) res.setHeader("X-Request-Id", context.requestId);
  return storage.run(context, handle);
}

/** The context of the request being handled, if any. */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
