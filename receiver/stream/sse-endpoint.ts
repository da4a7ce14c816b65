/**
 * SSE `GET /connect/stream/{channel}/sse`: full message streaming over a
 * plain HTTP response for networks that strip WebSocket upgrades. Events
 * `connected`, `webhook` (id: message id), `heartbeat` (on a fixed
 * interval, also under continuous traffic) and `error`. Acks go through
 * `POST /connect/ack` with the connection id. Only framing lives here.
 */
import type { IncomingMessage } from "node:http";
import type { AnyRequest, AnyResponse } from "../server/index.js";
import { type Attachment, attach } from "./attach.js";
import {
  authorizationOf,
  type ConnectEndpointOptions,
  helloOfRequest,
  originOfRequest,
} from "./connect-request.js";
import { connectedFrame, errorFrame, heartbeatFrame, webhookFrameText } from "./json-frames.js";
import { type StreamContext, sendStreamError } from "./stream-context.js";
import { remoteAddressOfSocket } from "./upgrade-response.js";

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
  let attached: Attachment;
  try {
    attached = await attach(context, {
      hello: helloOfRequest(channel, query, req.headers),
      authorization: authorizationOf(req.headers, query, options),
      origin: originOfRequest(req),
      protocol: "sse",
      remoteAddress: remoteAddressOfSocket(req as IncomingMessage),
      // The client cannot talk on this stream (its acks come by POST): the
      // transport notices a client that went away.
      liveness: false,
    });
  } catch (error) {
    sendStreamError(res, error);
    return;
  }
  const { session } = attached;
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
  out.write(`:${" ".repeat(PADDING_BYTES)}\n\nretry: 1000\n\n`);
  out.write(event("connected", connectedFrame(attached.welcome), session.info.id));
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
