/**
 * `protocol: long_poll`: repeated `GET /connect/stream/{channel}/poll`
 * requests, each returning a JSON array of messages or 204 after the
 * wait; acks go to `POST /connect/ack`. The last resort for proxies that
 * buffer whole responses. The connection id from the first poll is sent
 * on every later one, so leases stay with one server-side connection.
 */
import { request } from "undici";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import { ConnectorError, ProtocolError, TransportError } from "../errors.js";
import { createFrameQueue } from "./frame-queue.js";
import { createHttpAckBatcher } from "./http-acks.js";
import { createHttpEndpoint } from "./http-client.js";
import { connectorErrorFromHttp } from "./http-errors.js";
import { createHttpRelaySession } from "./http-session.js";
import { messageFromJson } from "./json-message.js";
import { DEFAULT_OPEN_TIMEOUT_MS } from "./open-timeout.js";
import type { HttpStreamTransportOptions } from "./sse-transport.js";
import { streamPath, streamQuery } from "./stream-query.js";
import type { SessionEnd, SessionWelcome, Transport } from "./transport.js";

/** Options of the long-poll transport. */
export interface LongPollTransportOptions extends HttpStreamTransportOptions {
  /** How long each poll waits on the server. @default 20000 */
  readonly pollWaitMs?: number;
}

/** Creates the long-poll transport. */
export function createLongPollTransport(options: LongPollTransportOptions): Transport {
  const name = "long_poll";
  const endpoint = createHttpEndpoint(name, options);
  const { baseUrl, dispatcher } = endpoint;
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const pollWaitMs = options.pollWaitMs ?? 20_000;
  const auth = { authorization: `Bearer ${options.token}` };

  return {
    name,
    async open(openOptions) {
      const { hello } = openOptions;
      const path = `${baseUrl}${streamPath(hello.channel, "/poll")}`;
      const stop = new AbortController();
      let connectionId = "";
      /** `X-Backlog` of the poll that opened the connection: the Welcome's backlog. */
      let backlog: number | undefined;

      /** One poll; resolves with the leased messages. */
      const poll = async (waitMs: number, max: number, signal: AbortSignal) => {
        const query = streamQuery(hello, {
          timeout: String(waitMs / 1000),
          max_messages: String(Math.max(1, max)),
          ...(connectionId === "" ? {} : { connection_id: connectionId }),
        });
        const response = await request(`${path}?${query}`, {
          dispatcher,
          signal,
          headers: { ...auth, ...(connectionId === "" ? {} : { "x-connection-id": connectionId }) },
        });
        const text = await response.body.text();
        if (response.statusCode !== 200 && response.statusCode !== 204) {
          throw connectorErrorFromHttp(name, response.statusCode, text, options.proxy);
        }
        const id = response.headers["x-connection-id"];
        if (typeof id !== "string" || id === "") {
          throw new ProtocolError("poll response without X-Connection-Id");
        }
        connectionId = id;
        const reported = Number(response.headers["x-backlog"] ?? Number.NaN);
        if (Number.isSafeInteger(reported) && reported >= 0) backlog ??= reported;
        if (response.statusCode === 204) return [];
        const frames = JSON.parse(text) as unknown;
        if (!Array.isArray(frames)) throw new ProtocolError("poll response is not a JSON array");
        return frames.map((f) => messageFromJson(f as Record<string, unknown>));
      };

      let first: WebhookMessage[];
      const openSignal = AbortSignal.any([
        openOptions.signal,
        AbortSignal.timeout(openTimeoutMs),
        stop.signal,
      ]);
      try {
        first = await poll(0, hello.maxInFlight, openSignal);
      } catch (error) {
        if (error instanceof ConnectorError) throw error;
        throw new TransportError(name, `long_poll: ${(error as Error).message}`, error);
      }
      openOptions.onFrame?.();
      const welcome: SessionWelcome = {
        connectionId,
        channel: hello.channel,
        group: hello.group === "" ? "default" : hello.group,
        maxInFlight: hello.maxInFlight,
        heartbeatIntervalMs: pollWaitMs,
        ackTimeoutMs: 0,
        backlog,
      };

      const messages = createFrameQueue<WebhookMessage>();
      // Received but not yet settled: the server's credit is the same, so
      // polling while it is used up would only return at once, empty.
      const outstanding = new Set<string>();
      let wakeCredit: (() => void) | undefined;
      const take = (batch: WebhookMessage[]) => {
        for (const message of batch) {
          outstanding.add(message.messageId);
          messages.push(message);
        }
      };
      take(first);

      const streamEnded = (async (): Promise<SessionEnd> => {
        try {
          while (!stop.signal.aborted) {
            const free = hello.maxInFlight - outstanding.size;
            if (free <= 0) {
              await new Promise<void>((resolve) => {
                // The abort listener goes again with the wake-up: one per wait
                // would pile up on the session's signal.
                const onAbort = () => resolve();
                wakeCredit = () => {
                  stop.signal.removeEventListener("abort", onAbort);
                  resolve();
                };
                stop.signal.addEventListener("abort", onAbort, { once: true });
              });
              continue;
            }
            const batch = await poll(pollWaitMs, free, stop.signal);
            openOptions.onFrame?.();
            take(batch);
          }
          return { kind: "local" };
        } catch (error) {
          if (stop.signal.aborted) return { kind: "local" };
          return {
            kind: "error",
            error:
              error instanceof ConnectorError
                ? error
                : new TransportError(name, `long_poll failed: ${(error as Error).message}`, error),
          };
        }
      })();

      const batcher = createHttpAckBatcher(
        endpoint,
        hello,
        () => connectionId,
        (ids) => {
          for (const id of ids) outstanding.delete(id);
          const wake = wakeCredit;
          wakeCredit = undefined;
          wake?.();
        },
      );

      return createHttpRelaySession({
        transport: name,
        welcome,
        batcher,
        messages,
        streamEnded,
        heartbeat: () => {
          // While waiting for credit no poll is running: an empty poll keeps
          // the server-side connection (and our watchdog) alive.
          if (wakeCredit === undefined) return;
          poll(0, 1, stop.signal).then(
            (batch) => {
              openOptions.onFrame?.();
              take(batch);
            },
            () => undefined,
          );
        },
        stopStream: () => {
          if (stop.signal.aborted) return;
          stop.abort();
          // Hands the connection's leases back at once instead of at the ack timeout.
          request(`${path}?connection_id=${encodeURIComponent(connectionId)}`, {
            method: "DELETE",
            dispatcher,
            headers: { ...auth, "x-connection-id": connectionId },
          }).then(
            (response) => response.body.dump(),
            () => undefined,
          );
        },
      });
    },
    async close() {
      await dispatcher.close();
    },
  };
}
