/**
 * The `/connect/*` routes of plain HTTP requests: SSE streams, long-polls
 * and acks. WebSocket upgrades arrive through the listener's upgrade hook
 * (websocket-endpoint.ts) instead.
 */
import { WebhookConnectError } from "../errors.js";
import type { AnyRequest, AnyResponse } from "../server/index.js";
import { sendError } from "../server/index.js";
import { serveAck } from "./ack-endpoint.js";
import { type ConnectEndpointOptions, splitUrl, streamPathOf } from "./connect-request.js";
import { serveClosePoll, servePoll } from "./poll-endpoint.js";
import type { PollSessions } from "./poll-sessions.js";
import { serveSse } from "./sse-endpoint.js";
import type { StreamContext } from "./stream-context.js";

/** Handler of the router's `connect` slot. */
export type ConnectRouteHandler = (
  req: AnyRequest,
  res: AnyResponse,
  path: string,
) => Promise<void>;

function methodNotAllowed(method: string, path: string, allowed: string): WebhookConnectError {
  return new WebhookConnectError(
    "WC_ERR_INGEST_METHOD",
    `${method} is not allowed on ${path} (use ${allowed})`,
  );
}

/** Creates the `/connect/*` handler. */
export function createConnectEndpoints(
  context: StreamContext,
  polls: PollSessions,
  options: ConnectEndpointOptions = {},
): ConnectRouteHandler {
  return async (req, res, path) => {
    const { query } = splitUrl(req.url);
    const method = req.method ?? "GET";
    if (path === "/connect/ack") {
      if (method !== "POST") {
        sendError(res, methodNotAllowed(method, path, "POST"), { headers: { Allow: "POST" } });
        return;
      }
      await serveAck(context, req, res, query, options);
      return;
    }
    const target = streamPathOf(path);
    if (target === undefined) {
      sendError(res, new WebhookConnectError("WC_ERR_NOT_FOUND", `no route for ${path}`));
      return;
    }
    if (target.kind === "poll" && method === "DELETE") {
      await serveClosePoll(context, req, res, target.channel, query, options);
      return;
    }
    if (method !== "GET") {
      sendError(res, methodNotAllowed(method, path, "GET"), { headers: { Allow: "GET" } });
      return;
    }
    if (target.kind === "sse") {
      await serveSse(context, req, res, target.channel, query, options);
    } else if (target.kind === "poll") {
      await servePoll(context, polls, req, res, target.channel, query, options);
    } else {
      sendError(
        res,
        new WebhookConnectError(
          "WC_ERR_STREAM_PROTOCOL",
          `${path} is a WebSocket endpoint (send Upgrade: websocket); use ${path}/sse or ${path}/poll over plain HTTP`,
        ),
        { headers: { Upgrade: "websocket" } },
      );
    }
  };
}
