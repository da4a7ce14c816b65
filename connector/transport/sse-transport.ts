/**
 * `protocol: sse`: messages arrive as server-sent events on
 * `GET /connect/stream/{channel}/sse`; acks and nacks go to
 * `POST /connect/ack`. For networks that strip WebSocket upgrades and
 * break HTTP/2 but pass a streamed HTTP/1.1 response.
 */

import { request } from "undici";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import { ConnectorError, ProtocolError, TransportError } from "../errors.js";
import { createAckBatcher } from "./ack-batcher.js";
import { createFrameQueue } from "./frame-queue.js";
import { sendHttpAcks } from "./http-acks.js";
import { createHttpAgent, httpBaseUrl } from "./http-client.js";
import { connectorErrorFromHttp } from "./http-errors.js";
import { createHttpRelaySession } from "./http-session.js";
import { messageFromJson } from "./json-message.js";
import { startOpening } from "./open-timeout.js";
import type { ForwardProxy } from "./proxy.js";
import { parseSse, type SseEvent } from "./sse-parser.js";
import { streamPath, streamQuery } from "./stream-query.js";
import type { TlsOptions } from "./tls.js";
import type { SessionEnd, SessionWelcome, Transport } from "./transport.js";

/** Options of the SSE transport. */
export interface HttpStreamTransportOptions {
  /** Receiver base URL. */
  readonly cloudUrl: string;
  /** Channel token. */
  readonly token: string;
  /** TLS settings of every request. */
  readonly tls?: TlsOptions;
  /** Longest wait for the `connected` event (a buffering proxy never passes it). @default 10000 */
  readonly openTimeoutMs?: number;
  /** Forward proxy of every request. @default none (direct) */
  readonly proxy?: ForwardProxy | undefined;
}

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

/** Creates the SSE transport. */
export function createSseTransport(options: HttpStreamTransportOptions): Transport {
  const name = "sse";
  const baseUrl = httpBaseUrl(options.cloudUrl);
  const dispatcher = createHttpAgent(baseUrl, options.tls, options.proxy);
  const openTimeoutMs = options.openTimeoutMs ?? 10_000;
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
      const messages = createFrameQueue<WebhookMessage>();
      const streamEnded = (async (): Promise<SessionEnd> => {
        try {
          for await (const event of events) {
            openOptions.onFrame?.();
            if (event.event === "webhook") messages.push(messageFromJson(jsonOf(event)));
            else if (event.event === "error") {
              const frame = jsonOf(event);
              openOptions.onNotice?.({
                level: "error",
                code: String(frame["code"] ?? ""),
                message: String(frame["message"] ?? ""),
                messageId: String(frame["message_id"] ?? ""),
              });
            }
          }
          return { kind: "server" };
        } catch (error) {
          return {
            kind: "error",
            error:
              error instanceof ProtocolError
                ? error
                : new TransportError(name, `sse stream failed: ${(error as Error).message}`, error),
          };
        }
      })();
      const batcher = createAckBatcher({
        send: (batch) =>
          sendHttpAcks(
            {
              baseUrl,
              token: options.token,
              dispatcher,
              proxy: options.proxy,
              transport: name,
              channel: hello.channel,
              group: hello.group,
              connectionId: () => welcome.connectionId,
            },
            batch,
          ),
      });
      return createHttpRelaySession({
        transport: name,
        welcome,
        batcher,
        messages,
        streamEnded,
        stopStream: () => controller.abort(),
      });
    },
    async close() {
      await dispatcher.close();
    },
  };
}
