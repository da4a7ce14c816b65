/**
 * Routes requests of both HTTP versions: ingest, health, readiness,
 * RelayService RPCs and the browser-friendly stream endpoints.
 */
import { WebhookConnectError } from "../errors.js";
import type { AnyRequest, AnyResponse } from "./http-types.js";
import { sendError, sendJson } from "./send.js";

/** Most request headers accepted (more → 431). */
export const MAX_HEADER_COUNT = 100;

/**
 * An unexpected failure (anything but a WebhookConnectError) that was
 * answered with a generic 500, a reset stream or an `internal_error`
 * frame. The error goes to the log, never onto the wire.
 */
export interface InternalErrorEvent {
  /** Where: `METHOD /path` (no query string: it may hold a token), `rpc Pull`, … */
  readonly where: string;
  /** What was thrown. */
  readonly error: unknown;
}

/** Options of createRouter. */
export interface RouterOptions {
  /** Reports what a handler threw before the generic 500 is answered. */
  readonly onInternalError?: (event: InternalErrorEvent) => void;
}

/** `METHOD /path` of a request, without the query string. */
export function requestWhere(req: AnyRequest): string {
  const url = req.url ?? "/";
  const queryAt = url.indexOf("?");
  return `${req.method ?? ""} ${queryAt === -1 ? url : url.slice(0, queryAt)}`;
}

/** The handlers behind the routes. */
export interface RouteHandlers {
  /** `/webhook/{id}`: ingest. */
  readonly ingest: (req: AnyRequest, res: AnyResponse, webhookId: string) => Promise<void>;
  /** `/webhookconnect.v1.RelayService/*`: Connect-RPC (gRPC, gRPC-Web, Connect). */
  readonly rpc: (req: AnyRequest, res: AnyResponse) => void;
  /** `GET /ready`: true when the buffer is reachable. */
  readonly ready: () => Promise<boolean>;
  /** `/connect/*`: SSE, long-poll and HTTP acks; undefined → 404. */
  readonly connect?: (req: AnyRequest, res: AnyResponse, path: string) => Promise<void>;
  /** `/admin/webhook-connect/*`; undefined → 404. */
  readonly admin?: (req: AnyRequest, res: AnyResponse, path: string) => Promise<void>;
  /** `GET /metrics`; undefined → 404. */
  readonly metrics?: (req: AnyRequest, res: AnyResponse) => Promise<void>;
}

const RPC_PREFIX = "/webhookconnect.v1.RelayService/";

/**
 * Creates the request handler. Never throws; what a handler throws is
 * reported (`onInternalError`) and answered with a generic 500, or ends
 * the response when it had already started.
 */
export function createRouter(
  handlers: RouteHandlers,
  options: RouterOptions = {},
): (req: AnyRequest, res: AnyResponse) => void {
  return (req, res) => {
    route(handlers, req, res).catch((error: unknown) => {
      options.onInternalError?.({ where: requestWhere(req), error });
      sendError(res, new WebhookConnectError("WC_ERR_INTERNAL", "internal error"));
    });
  };
}

async function route(handlers: RouteHandlers, req: AnyRequest, res: AnyResponse): Promise<void> {
  if (headerCount(req.rawHeaders) > MAX_HEADER_COUNT) {
    sendJson(
      res,
      431,
      {
        error: "header_fields_too_large",
        message: `more than ${MAX_HEADER_COUNT} request headers`,
      },
      { closeConnection: true },
    );
    return;
  }
  const url = req.url ?? "/";
  const queryAt = url.indexOf("?");
  const path = queryAt === -1 ? url : url.slice(0, queryAt);

  if (path.startsWith("/webhook/")) {
    await handlers.ingest(req, res, safeDecode(path.slice("/webhook/".length)));
    return;
  }
  if (path.startsWith(RPC_PREFIX)) {
    handlers.rpc(req, res);
    return;
  }
  if (path === "/health" && (req.method === "GET" || req.method === "HEAD")) {
    sendJson(res, 200, { status: "ok" });
    return;
  }
  if (path === "/ready" && (req.method === "GET" || req.method === "HEAD")) {
    const ready = await handlers.ready();
    sendJson(
      res,
      ready ? 200 : 503,
      ready ? { status: "ready" } : { error: "buffer_unavailable", message: "buffer unreachable" },
      ready ? {} : { headers: { "Retry-After": "5" } },
    );
    return;
  }
  if (path === "/metrics" && handlers.metrics !== undefined) {
    await handlers.metrics(req, res);
    return;
  }
  if (path.startsWith("/connect/") && handlers.connect !== undefined) {
    await handlers.connect(req, res, path);
    return;
  }
  if (path.startsWith("/admin/webhook-connect") && handlers.admin !== undefined) {
    await handlers.admin(req, res, path);
    return;
  }
  sendError(res, new WebhookConnectError("WC_ERR_NOT_FOUND", `no route for ${path}`));
}

/** Header fields of a request; HTTP/2 pseudo-headers (`:path`, …) are not counted. */
function headerCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (!rawHeaders[index]!.startsWith(":")) count += 1;
  }
  return count;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
