/**
 * Long-poll `GET /connect/stream/{channel}/poll?timeout=&max_messages=`:
 * 200 with a JSON array of webhook frames (the WebSocket JSON), or 204
 * when `timeout` seconds passed without a message. The connection id is
 * in `X-Connection-Id`; send it back on the next poll and on
 * `POST /connect/ack`. Leases persist between polls (PollSessions).
 */
import type { IncomingMessage } from "node:http";
import { WebhookConnectError } from "../errors.js";
import type { AnyRequest, AnyResponse } from "../server/index.js";
import { sendJsonText } from "../server/index.js";
import { admit } from "./attach.js";
import {
  authorizationOf,
  type ConnectEndpointOptions,
  helloOfRequest,
  nonNegativeInteger,
  originOfRequest,
  secondsParam,
} from "./connect-request.js";
import { webhookFrameText } from "./json-frames.js";
import type { PollSessions } from "./poll-sessions.js";
import { authorizeChannelFresh, type StreamContext, sendStreamError } from "./stream-context.js";
import { remoteAddressOfSocket } from "./upgrade-response.js";
import { openingPullBacklog } from "./welcome.js";

/** Wait of a poll without `timeout`. */
const DEFAULT_POLL_TIMEOUT_MS = 30_000;

/** The connection id a request names (header `X-Connection-Id` or `?connection_id=`). */
export function connectionIdOf(req: AnyRequest, query: URLSearchParams): string {
  const header = req.headers["x-connection-id"];
  if (typeof header === "string" && header !== "") return header;
  return query.get("connection_id") ?? "";
}

/** Serves one poll. */
export async function servePoll(
  context: StreamContext,
  polls: PollSessions,
  req: AnyRequest,
  res: AnyResponse,
  channel: string,
  query: URLSearchParams,
  options: ConnectEndpointOptions,
): Promise<void> {
  const abort = new AbortController();
  const onGone = () => abort.abort();
  res.once("close", onGone);
  try {
    const admission = await admit(context, helloOfRequest(channel, query, req.headers), {
      authorization: authorizationOf(req.headers, query, options),
      origin: originOfRequest(req),
    });
    const result = await polls.pull({
      admission,
      connectionId: connectionIdOf(req, query),
      maxMessages: nonNegativeInteger(query, "max_messages", 0),
      timeoutMs: secondsParam(query, "timeout", DEFAULT_POLL_TIMEOUT_MS),
      remoteAddress: remoteAddressOfSocket(req as IncomingMessage),
      protocol: "long_poll",
      abort,
    });
    const backlog = await openingPullBacklog(
      context,
      connectionIdOf(req, query),
      result.connectionId,
    );
    const headers: Record<string, string> = { "X-Connection-Id": result.connectionId };
    if (backlog !== undefined) headers["X-Backlog"] = String(backlog);
    if (result.deliveries.length === 0) {
      res.writeHead(204, { ...headers, "Cache-Control": "no-store" });
      res.end();
      return;
    }
    const frames = result.deliveries.map((delivery) => webhookFrameText(delivery.message));
    sendJsonText(res, 200, `[${frames.join(",")}]`, { headers });
  } catch (error) {
    sendStreamError(res, error);
  } finally {
    res.off("close", onGone);
  }
}

/**
 * `DELETE /connect/stream/{channel}/poll` with the connection id: ends a
 * long-poll connection now, so its leases go back to the channel at once
 * instead of at the ack timeout (a connector shutting down).
 */
export async function serveClosePoll(
  context: StreamContext,
  req: AnyRequest,
  res: AnyResponse,
  channel: string,
  query: URLSearchParams,
  options: ConnectEndpointOptions,
): Promise<void> {
  try {
    await authorizeChannelFresh(
      context,
      channel,
      authorizationOf(req.headers, query, options),
      originOfRequest(req),
    );
    const attached = context.registry.find(connectionIdOf(req, query));
    if (
      attached === undefined ||
      attached.info.channel !== channel ||
      attached.info.protocol !== "long_poll"
    ) {
      throw new WebhookConnectError(
        "WC_ERR_STREAM_UNKNOWN_CONNECTION",
        "no long-poll connection with that id on this channel",
      );
    }
    attached.evict("long-poll connection closed by the client");
    res.writeHead(204, { "Cache-Control": "no-store" });
    res.end();
  } catch (error) {
    sendStreamError(res, error);
  }
}
