/**
 * SSE `GET /connect/stream/{channel}/sse`: full message streaming over a
 * plain HTTP response for networks that strip WebSocket upgrades. Events
 * `connected`, `webhook` (id: message id), `heartbeat` (on a fixed
 * interval, also under continuous traffic) and `error`. Acks go through
 * `POST /connect/ack` with the connection id. Only framing lives here.
 */
import type { IncomingMessage } from "node:http";
import type { AnyRequest, AnyResponse } from "../server/listener.js";
import {
  authorizationOf,
  type ConnectEndpointOptions,
  originOfRequest,
  streamParamsOf,
} from "./connect-request.js";
import { connectedFrame, errorFrame, heartbeatFrame, webhookFrameText } from "./json-frames.js";
import { openSession } from "./session.js";
import { authorizeChannelFresh, type StreamContext, sendStreamError } from "./stream-context.js";
import { remoteAddressOfSocket } from "./upgrade-response.js";
import { backlogOf } from "./welcome.js";

/**
 * Bytes of the comment sent first: proxies that buffer a response until a
 * few KiB arrived (some anti-virus gateways, old nginx setups) then pass
 * the stream on at once.
 */
const PADDING_BYTES = 2048;

/** One SSE event whose data is `json`, JSON text on one line. */
function eventText(name: string, json: string, id?: string): string {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return `event: ${name}\n${idLine}data: ${json}\n\n`;
}

/** One SSE event. */
function event(name: string, data: unknown, id?: string): string {
  return eventText(name, JSON.stringify(data), id);
}

interface Writable {
  write(chunk: string): boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

/** Serves one SSE stream until the client goes away or the session closes. */
export async function serveSse(
  context: StreamContext,
  req: AnyRequest,
  res: AnyResponse,
  channel: string,
  query: URLSearchParams,
  options: ConnectEndpointOptions,
): Promise<void> {
  let session: Awaited<ReturnType<typeof openSession>>;
  try {
    await authorizeChannelFresh(
      context,
      channel,
      authorizationOf(req.headers, query, options),
      originOfRequest(req),
    );
    const params = streamParamsOf(query, req.headers);
    session = await openSession({
      buffer: context.buffer,
      registry: context.registry,
      channel,
      group: params.group,
      connectorId: params.connectorId,
      protocol: "sse",
      remoteAddress: remoteAddressOfSocket(req as IncomingMessage),
      maxInFlight: params.maxInFlight,
      heartbeatIntervalMs: context.heartbeatIntervalMs,
      ...(context.onEvent === undefined ? {} : { onEvent: context.onEvent }),
    });
  } catch (error) {
    sendStreamError(res, error);
    return;
  }
  const out = res as unknown as Writable;
  const onGone = () => session.close("client disconnected");
  res.once("close", onGone);
  const headers: Record<string, string> = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
    "X-Connection-Id": session.info.id,
  };
  if (!("stream" in res)) headers["Connection"] = "keep-alive";
  res.writeHead(200, headers);
  const ackTimeoutMs = (context.registry.get(channel)?.settings.ackTimeoutSeconds ?? 30) * 1000;
  out.write(`:${" ".repeat(PADDING_BYTES)}\n\nretry: 1000\n\n`);
  out.write(
    event(
      "connected",
      connectedFrame(
        session,
        context.heartbeatIntervalMs,
        ackTimeoutMs,
        await backlogOf(context, session),
      ),
      session.info.id,
    ),
  );
  for await (const frame of session.frames()) {
    if (out.destroyed || out.writableEnded) break;
    const ok =
      frame.kind === "message"
        ? out.write(
            eventText(
              "webhook",
              webhookFrameText(frame.delivery.message, { singleLine: true }),
              frame.delivery.messageId,
            ),
          )
        : out.write(event("heartbeat", heartbeatFrame(frame.at)));
    if (!ok) await drained(out);
  }
  await session.closed;
  if (!out.destroyed && !out.writableEnded) {
    const closed = session.serverClose;
    if (closed !== undefined) out.write(event("error", errorFrame(closed.code, closed.message)));
    res.end();
  }
}

function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    out.once("drain", resolve);
    out.once("close", resolve);
  });
}
