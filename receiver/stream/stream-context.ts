/**
 * What every stream transport needs: the buffer, the channel registry,
 * heartbeat settings and the event sink. Built once by the receiver.
 */
import type { Buffer } from "../buffer/buffer.js";
import type { ChannelRegistry } from "../channels/index.js";
import { bearerToken } from "../channels/index.js";
import { WebhookConnectError } from "../errors.js";
import type { SessionEvent } from "./session.js";

/** Shared state of the stream transports. */
export interface StreamContext {
  /** The buffer backend. */
  readonly buffer: Buffer;
  /** Channels and attached connections. */
  readonly registry: ChannelRegistry;
  /** Server heartbeat interval. @default 15000 */
  readonly heartbeatIntervalMs: number;
  /** Event sink for logs and metrics. */
  readonly onEvent?: (event: SessionEvent) => void;
}

/**
 * Checks `Authorization: Bearer <token>` for a channel. Throws
 * WC_ERR_STREAM_UNAUTHENTICATED for a missing or wrong token and
 * WC_ERR_STREAM_UNKNOWN_CHANNEL for an unknown channel.
 */
export function authorizeChannel(
  context: StreamContext,
  channel: string,
  authorization: string | null | undefined,
): void {
  const check = context.registry.checkToken(channel, bearerToken(authorization));
  if (check === "unknown_channel") {
    throw new WebhookConnectError("WC_ERR_STREAM_UNKNOWN_CHANNEL", `unknown channel '${channel}'`);
  }
  if (check === "bad_token") {
    throw new WebhookConnectError(
      "WC_ERR_STREAM_UNAUTHENTICATED",
      "missing or invalid channel token (send Authorization: Bearer <channel_token>)",
    );
  }
}
