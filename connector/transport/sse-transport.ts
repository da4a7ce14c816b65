/**
 * `protocol: sse`: messages arrive as server-sent events on
 * `GET /connect/stream/{channel}/sse`; acks and nacks go to
 * `POST /connect/ack`. For networks that strip WebSocket upgrades and
 * break HTTP/2 but pass a streamed HTTP/1.1 response.
 */

import { request } from "undici";
import { ConnectorError, ProtocolError, TransportError } from "../errors.js";
import { createHttpAckBatcher } from "./http-acks.js";
import { createHttpEndpoint } from "./http-client.js";
import { connectorErrorFromHttp } from "./http-errors.js";
import { createStreamRelaySession, type StreamItem } from "./http-session.js";
import { messageFromJson } from "./json-message.js";
import { DEFAULT_OPEN_TIMEOUT_MS, startOpening } from "./open-timeout.js";
import { parseSse, type SseEvent } from "./sse-parser.js";
import { streamPath, streamQuery } from "./stream-query.js";
import type { ReceiverOptions, SessionWelcome, Transport } from "./transport.js";

/** Options of the SSE transport (and the base of long-poll's). */
export type HttpStreamTransportOptions = ReceiverOptions;

/** The welcome of a `connected` frame. */
export function welcomeFromJson(frame: Record<string, unknown>): SessionWelcome {
  const id = frame["connection_id"];
  if (typeof id !== "string" || id === "") {
    throw new ProtocolError("connected frame without connection_id");
  }
  const num = (name: string) => (typeof frame[name] === "number" ? (frame[name] as number) : 0);
  return {
    connectionId: id,
    channel: typeof frame["channel"] === "string" ? frame["channel"] : "",
    group: typeof frame["group"] === "string" ? frame["group"] : "default",
    maxInFlight: num("max_in_flight"),
    heartbeatIntervalMs: num("heartbeat_interval_seconds") * 1000,
    ackTimeoutMs: num("ack_timeout_seconds") * 1000,
    backlog: typeof frame["backlog"] === "number" ? frame["backlog"] : undefined,
  };
}

function jsonOf(event: SseEvent): Record<string, unknown> {
  try {
    return JSON.parse(event.data) as Record<string, unknown>;
  } catch {
    throw new ProtocolError(`'${event.event}' event with invalid JSON`);
  }
}

/** What an event after `connected` carries: a webhook, an error notice, or nothing. */
function itemOf(event: SseEvent): StreamItem {
  if (event.event === "webhook") return { message: messageFromJson(jsonOf(event)) };
  if (event.event !== "error") return undefined;
  const frame = jsonOf(event);
  return {
    notice: {
      level: "error",
      code: String(frame["code"] ?? ""),
      message: String(frame["message"] ?? ""),
      messageId: String(frame["message_id"] ?? ""),
    },
  };
}

/** Creates the SSE transport. */
export function createSseTransport(options: HttpStreamTransportOptions): Transport {
  const name = "sse";
  const endpoint = createHttpEndpoint(name, options);
  const { baseUrl, dispatcher } = endpoint;
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  return {
    name,
    async open(openOptions) {
      const { hello } = openOptions;
      const opening = startOpening(openOptions.signal, openTimeoutMs);
      const { controller } = opening;
      let events: AsyncGenerator<SseEvent>;
      let welcome: SessionWelcome;
      try {
        const url = `${baseUrl}${streamPath(hello.channel, "/sse")}?${streamQuery(hello)}`;
        const response = await request(url, {
          dispatcher,
          signal: controller.signal,
          headers: { authorization: `Bearer ${options.token}`, accept: "text/event-stream" },
        });
        if (response.statusCode !== 200) {
          throw connectorErrorFromHttp(
            name,
            response.statusCode,
            await response.body.text(),
            options.proxy,
          );
        }
        events = parseSse(response.body);
        const first = await events.next();
        if (first.done === true || first.value.event !== "connected") {
          throw new ProtocolError(
            `expected a 'connected' event first, got ${first.done === true ? "the end of the stream" : `'${first.value.event}'`}`,
          );
        }
        welcome = welcomeFromJson(jsonOf(first.value));
      } catch (error) {
        controller.abort();
        if (opening.timedOut()) {
          throw new TransportError(
            name,
            `sse: no 'connected' event within ${openTimeoutMs} ms (a buffering proxy?)`,
          );
        }
        if (error instanceof ConnectorError) throw error;
        throw new TransportError(name, `sse: ${(error as Error).message}`, error);
      } finally {
        opening.opened();
      }
      openOptions.onFrame?.();
      return createStreamRelaySession({
        transport: name,
        welcome,
        options: openOptions,
        frames: events,
        decode: itemOf,
        failure: (error) =>
          error instanceof ProtocolError
            ? error
            : new TransportError(name, `sse stream failed: ${(error as Error).message}`, error),
        batcher: createHttpAckBatcher(endpoint, hello, () => welcome.connectionId),
        controller,
      });
    },
    async close() {
      await dispatcher.close();
    },
  };
}
