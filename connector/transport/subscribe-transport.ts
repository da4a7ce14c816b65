/**
 * The Connect protocol over HTTP/1.1: the server-streaming `Subscribe`
 * call receives, the unary `Ack` call settles (batched). For proxies that
 * break HTTP/2 but pass a streamed HTTP/1.1 response.
 */

import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { HelloSchema, NackSchema } from "../../gen/webhookconnect/v1/relay_pb.js";
import { LazyRelayService, messageOf, type ServerResponse } from "../../wire/index.js";
import { ProtocolError, TransportError } from "../errors.js";
import { createAckBatcher } from "./ack-batcher.js";
import { createStreamRelaySession, type StreamItem } from "./http-session.js";
import { DEFAULT_OPEN_TIMEOUT_MS, startOpening } from "./open-timeout.js";
import { createProxiedNodeAgent } from "./proxy-agents.js";
import { connectorErrorFromRpc } from "./rpc-errors.js";
import { sessionNoticeOf, sessionWelcomeOf } from "./rpc-session.js";
import { type RpcRelayTransportOptions, rpcBaseUrl } from "./rpc-transport.js";
import type { Transport } from "./transport.js";

/** Options of the Connect HTTP/1.1 transport (`tuning` is not used: its acks go through the ack batcher). */
export type SubscribeTransportOptions = RpcRelayTransportOptions;

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
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
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
      const welcome = sessionWelcomeOf(first.value.frame.value);
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
      return createStreamRelaySession({
        transport: name,
        welcome,
        options: openOptions,
        // The iterator the Welcome was read from: the rest of the same stream.
        frames: { [Symbol.asyncIterator]: () => responses },
        decode: ({ frame }): StreamItem => {
          if (frame.case === "message") return { message: messageOf(frame.value) };
          if (frame.case === "notice") return { notice: sessionNoticeOf(frame.value) };
          return undefined;
        },
        failure: (error) => connectorErrorFromRpc(name, error),
        batcher,
        controller,
      });
    },
    async close() {
      // Connections are pooled by Node's HTTP agent and closed with it.
    },
  };
}
