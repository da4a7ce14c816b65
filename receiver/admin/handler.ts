/**
 * The admin API handler behind the router's `/admin/webhook-connect/*`
 * slot: authenticates (except `/health`), matches the route, answers JSON
 * and emits a `request` event (plus one per operator action) with a
 * request id that is also sent as `X-Request-Id`.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { AuthThrottle } from "../auth/index.js";
import type { ChannelConfig } from "../config/index.js";
import { AuthThrottledError, WebhookConnectError } from "../errors.js";
import type { AnyRequest, AnyResponse } from "../server/index.js";
import { type InternalErrorEvent, peerAddressOf, requestWhere, sendJson } from "../server/index.js";
import { checkAdminAuthorization } from "./auth.js";
import type { AdminContext, AdminEvent, AdminResponse } from "./context.js";
import { AdminRequestError, badRequest, notFound, sendAdminError } from "./errors.js";
import { ADMIN_PREFIX, matchRoute } from "./routes.js";

/** Options of createAdminHandler. */
export interface AdminHandlerOptions extends AdminContext {
  /** Event sink (request log lines, operator actions). */
  readonly onEvent?: (event: AdminEvent) => void;
  /** Unexpected failures answered with a generic 500, with their cause (for the log). */
  readonly onInternalError?: (event: InternalErrorEvent) => void;
  /** Refuses (429) clients that presented wrong admin tokens too often. Scope: `admin`. */
  readonly throttle?: AuthThrottle;
}

/** The router slot signature. */
export type AdminHandler = (req: AnyRequest, res: AnyResponse, path: string) => Promise<void>;

function segmentsOf(path: string): string[] {
  const rest = path.slice(ADMIN_PREFIX.length).replace(/^\/+|\/+$/g, "");
  if (rest === "") return [];
  return rest.split("/").map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw badRequest(`path segment '${segment}' is not valid percent-encoding`);
    }
  });
}

const ADMIN_SCOPE = "admin";

function forwardedFor(req: AnyRequest): string | undefined {
  const value = req.headers["x-forwarded-for"];
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * The admin token check behind the failed-authentication throttle: a
 * refused client gets 429 before its token is looked at; a wrong token is
 * counted.
 */
async function checkThrottledAdminAuthorization(
  context: AdminHandlerOptions,
  req: AnyRequest,
): Promise<void> {
  const { throttle } = context;
  const peer = peerAddressOf(req);
  const wait = throttle?.retryAfter(ADMIN_SCOPE, peer, forwardedFor(req));
  if (wait !== undefined) throw new AuthThrottledError(wait);
  try {
    checkAdminAuthorization(context.adminToken, req.headers["authorization"]);
  } catch (error) {
    if (error instanceof WebhookConnectError && error.code === "WC_ERR_ADMIN_UNAUTHORIZED") {
      await throttle?.failed(ADMIN_SCOPE, peer, forwardedFor(req));
    }
    throw error;
  }
}

async function answer(
  context: AdminHandlerOptions,
  req: AnyRequest,
  path: string,
): Promise<AdminResponse> {
  const method = (req.method ?? "GET").toUpperCase();
  const match = matchRoute(segmentsOf(path));
  if (match?.entry.authenticated !== false) {
    await checkThrottledAdminAuthorization(context, req);
  }
  if (match === undefined) throw notFound(`no admin route for ${path}`);
  const handler = match.entry.methods[method === "HEAD" ? "GET" : method];
  if (handler === undefined) {
    const allow = Object.keys(match.entry.methods).join(", ");
    throw new AdminRequestError("WC_ERR_ADMIN_METHOD", `${method} is not allowed here`, {
      Allow: allow,
    });
  }
  let channel: ChannelConfig | undefined;
  if (match.channel !== undefined) {
    channel = context.config.channels.get(match.channel);
    if (channel === undefined) throw notFound(`unknown channel '${match.channel}'`);
  }
  const query = new URL(req.url ?? "/", "http://admin.invalid").searchParams;
  return handler(context, { req, method, query, channel, params: match.params });
}

/** Creates the admin handler. */
export function createAdminHandler(options: AdminHandlerOptions): AdminHandler {
  return async (req, res, path) => {
    const startedAt = performance.now();
    const requestId = randomUUID();
    res.setHeader("X-Request-Id", requestId);
    let status: number;
    try {
      const response = await answer(options, req, path);
      sendJson(res, response.status, response.body);
      status = response.status;
      if (response.action !== undefined) options.onEvent?.({ requestId, ...response.action });
    } catch (error) {
      status = sendAdminError(res, error);
      if (!(error instanceof WebhookConnectError)) {
        options.onInternalError?.({ where: requestWhere(req), error });
      }
    }
    options.onEvent?.({
      type: "request",
      requestId,
      method: req.method ?? "",
      path,
      status,
      durationMs: performance.now() - startedAt,
    });
  };
}
