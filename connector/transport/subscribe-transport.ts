/**
 * The Connect protocol over HTTP/1.1: the server-streaming `Subscribe`
 * call receives, the unary `Ack` call settles (batched). For proxies that
 * break HTTP/2 but pass a streamed HTTP/1.1 response.
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import { HelloSchema, NackSchema } from "../../gen/webhookconnect/v1/relay_pb.js";
import { LazyRelayService, messageOf, type ServerResponse } from "../../wire/index.js";
import { ProtocolError, TransportError } from "../errors.js";
import { createAckBatcher } from "./ack-batcher.js";
import { createFrameQueue } from "./frame-queue.js";
import { createHttpRelaySession } from "./http-session.js";
import { startOpening } from "./open-timeout.js";
import { createProxiedNodeAgent } from "./proxy-agents.js";
import { connectorErrorFromRpc } from "./rpc-errors.js";
import { sessionNoticeOf } from "./rpc-session.js";
import { type RpcRelayTransportOptions, rpcBaseUrl } from "./rpc-transport.js";
import type { SessionEnd, SessionWelcome, Transport } from "./transport.js";

/** Options of the Connect HTTP/1.1 transport. */
export interface SubscribeTransportOptions extends RpcRelayTransportOptions {
  /** Longest wait for the Welcome (a buffering proxy never passes it). @default 10000 */
  readonly openTimeoutMs?: number;
}

/** Name of the transport in events: the Connect protocol on HTTP/1.1. */
export const CONNECT_HTTP1 = "connect_http1";

/** Creates the Connect-over-HTTP/1.1 transport (Subscribe + Ack). */
export function createConnectHttp1Transport(options: SubscribeTransportOptions): Transport {
  const name = CONNECT_HTTP1;
  const baseUrl = rpcBaseUrl(options.cloudUrl);
  const secure = baseUrl.startsWith("https:");
  const nodeOptions = {
    ...(secure && options.tls !== undefined ? { ...options.tls } : {}),
    ...(options.proxy === undefined
      ? {}
      : { agent: createProxiedNodeAgent(baseUrl, options.tls, options.proxy) }),
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions });
  const client = createClient(LazyRelayService, transport);
  const headers = { authorization: `Bearer ${options.token}` };
  const openTimeoutMs = options.openTimeoutMs ?? 10_000;
  return {
    name,
    async open(openOptions) {
      const { hello } = openOptions;
      const opening = startOpening(openOptions.signal, openTimeoutMs);
      const { controller } = opening;
      const responses = client
        .subscribe({ hello: create(HelloSchema, hello) }, { signal: controller.signal, headers })
        [Symbol.asyncIterator]();
      let first: IteratorResult<ServerResponse>;
      try {
        first = await responses.next();
      } catch (error) {
        controller.abort();
        if (opening.timedOut()) {
          throw new TransportError(name, `${name}: no Welcome within ${openTimeoutMs} ms`);
        }
        throw connectorErrorFromRpc(name, error);
      } finally {
        opening.opened();
      }
      if (first.done === true || first.value.frame.case !== "welcome") {
        controller.abort();
        throw new ProtocolError("expected Welcome as the first frame of Subscribe");
      }
      openOptions.onFrame?.();
      const w = first.value.frame.value;
      const welcome: SessionWelcome = {
        connectionId: w.connectionId,
        channel: w.channel,
        group: w.group,
        maxInFlight: w.maxInFlight,
        heartbeatIntervalMs:
          w.heartbeatInterval === undefined ? 0 : durationMs(w.heartbeatInterval),
        ackTimeoutMs: w.ackTimeout === undefined ? 0 : durationMs(w.ackTimeout),
        backlog: w.backlog === undefined ? undefined : Number(w.backlog),
      };
      const messages = createFrameQueue<WebhookMessage>();
      const streamEnded = (async (): Promise<SessionEnd> => {
        try {
          for (
            let next = await responses.next();
            next.done !== true;
            next = await responses.next()
          ) {
            openOptions.onFrame?.();
            const frame = next.value.frame;
            if (frame.case === "message") messages.push(messageOf(frame.value));
            else if (frame.case === "notice") {
              openOptions.onNotice?.(sessionNoticeOf(frame.value));
            }
          }
          return { kind: "server" };
        } catch (error) {
          return { kind: "error", error: connectorErrorFromRpc(name, error) };
        }
      })();
      const batcher = createAckBatcher({
        send: async (batch) => {
          await client.ack(
            {
              channel: welcome.channel,
              connectionId: welcome.connectionId,
              group: welcome.group,
              ackMessageIds: [...batch.acks],
              nacks: batch.nacks.map((n) =>
                create(NackSchema, {
                  messageId: n.messageId,
                  retry: n.retry,
                  reason: n.reason,
                  ...(n.delayMs === undefined || n.delayMs <= 0
                    ? {}
                    : { delay: durationFromMs(Math.round(n.delayMs)) }),
                }),
              ),
            },
            { headers },
          );
        },
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
      // Connections are pooled by Node's HTTP agent and closed with it.
    },
  };
}
