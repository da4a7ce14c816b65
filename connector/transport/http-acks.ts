/**
 * Sends ack batches to `POST /connect/ack` (JSON batch form, see
 * docs/protocol.md) for the SSE and long-poll transports.
 */
import { request } from "undici";
import { type AckBatch, type AckBatcher, createAckBatcher } from "./ack-batcher.js";
import type { HttpEndpoint } from "./http-client.js";
import { connectorErrorFromHttp } from "./http-errors.js";
import type { SessionHello } from "./transport.js";

/** Where and as whom acks are sent. */
export interface HttpAckTarget extends HttpEndpoint {
  readonly channel: string;
  readonly group: string;
  /** Connection the messages were received on (any connection of the channel works). */
  readonly connectionId: () => string;
}

/**
 * Sends one batch. 409 (not leased any more: already settled, expired or
 * redelivered elsewhere) counts as done; other failures reject so the
 * batcher retries.
 */
export async function sendHttpAcks(target: HttpAckTarget, batch: AckBatch): Promise<void> {
  const response = await request(`${target.baseUrl}/connect/ack`, {
    method: "POST",
    dispatcher: target.dispatcher,
    headers: {
      authorization: `Bearer ${target.token}`,
      "content-type": "application/json",
      "x-connection-id": target.connectionId(),
    },
    body: JSON.stringify({
      channel: target.channel,
      ...(target.group === "" ? {} : { group: target.group }),
      acks: batch.acks,
      nacks: batch.nacks.map((n) => ({
        message_id: n.messageId,
        retry: n.retry,
        reason: n.reason,
        ...(n.delayMs === undefined ? {} : { delay_seconds: n.delayMs / 1000 }),
      })),
    }),
  });
  const text = await response.body.text();
  if (response.statusCode === 200 || response.statusCode === 409) return;
  throw connectorErrorFromHttp(target.transport, response.statusCode, text, target.proxy);
}

/**
 * The ack batcher of one session of `hello` on `endpoint`; `onSettled` is
 * called with the ids of every batch once it was sent (or given up).
 */
export function createHttpAckBatcher(
  endpoint: HttpEndpoint,
  hello: Pick<SessionHello, "channel" | "group">,
  connectionId: () => string,
  onSettled?: (messageIds: readonly string[]) => void,
): AckBatcher {
  const target: HttpAckTarget = {
    ...endpoint,
    channel: hello.channel,
    group: hello.group,
    connectionId,
  };
  return createAckBatcher({
    send: (batch) => sendHttpAcks(target, batch),
    ...(onSettled === undefined ? {} : { onSettled }),
  });
}
