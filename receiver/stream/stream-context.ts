/**
 * What every stream transport needs: the buffer, the channel registry,
 * heartbeat settings and the event sink. Built once by the receiver.
 */

import { ConnectError } from "@connectrpc/connect";
import type { AuthThrottle, RequestOrigin } from "../auth/index.js";
import type { Buffer } from "../buffer/index.js";
import type { ChannelRegistry, TokenCheck } from "../channels/index.js";
import { bearerToken } from "../channels/index.js";
import { AuthThrottledError, WebhookConnectError } from "../errors.js";
import type { AnyResponse, InternalErrorEvent } from "../server/index.js";
import { sendError } from "../server/index.js";
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
  /**
   * Checks a token against the tokens shared by every replica (re-reading
   * them when the token does not match or the cache is old); used by
   * `authorizeChannelFresh`. Without it the registry's cached tokens apply.
   */
  readonly checkToken?: (channel: string, token: string | undefined) => Promise<TokenCheck>;
  /** Unexpected failures answered as internal errors, with their cause (for the log). */
  readonly onInternalError?: (event: InternalErrorEvent) => void;
  /** Throttles clients that keep presenting wrong channel tokens. */
  readonly throttle?: AuthThrottle;
  /** Called once per refused channel token (metrics). */
  readonly onAuthFailure?: () => void;
}

/** Throttle scope of a channel's token; `*` when the channel is not known yet. */
export function channelScope(channel: string): string {
  return `channel:${channel}`;
}

/** Throws AuthThrottledError when `origin` is refused on `scope`. */
function refuseThrottled(context: StreamContext, scope: string, origin: RequestOrigin | undefined) {
  if (context.throttle === undefined || origin === undefined) return;
  const wait = context.throttle.retryAfter(scope, origin.peer, origin.forwardedFor);
  if (wait !== undefined) throw new AuthThrottledError(wait);
}

async function recordFailure(
  context: StreamContext,
  scope: string,
  origin: RequestOrigin | undefined,
): Promise<void> {
  context.onAuthFailure?.();
  if (context.throttle !== undefined && origin !== undefined) {
    await context.throttle.failed(scope, origin.peer, origin.forwardedFor);
  }
}

/** Who sent a request: the TCP peer and the `X-Forwarded-For` header (for trusted proxies). */
export function requestOriginOf(
  peer: string,
  forwardedFor: string | string[] | null | undefined,
): RequestOrigin {
  return {
    peer,
    forwardedFor: Array.isArray(forwardedFor)
      ? forwardedFor.join(", ")
      : (forwardedFor ?? undefined),
  };
}

/**
 * Reports `error` when it is unexpected (neither a WebhookConnectError
 * nor a ConnectError, which are answers chosen on purpose).
 */
export function reportInternalError(context: StreamContext, where: string, error: unknown): void {
  if (error instanceof WebhookConnectError || error instanceof ConnectError) return;
  context.onInternalError?.({ where, error });
}

/**
 * Answers a WebhookConnectError as JSON; rethrows anything else, so the
 * router reports it with its cause and answers a generic 500.
 */
export function sendStreamError(res: AnyResponse, error: unknown): void {
  if (!(error instanceof WebhookConnectError)) throw error;
  sendError(res, error);
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
  throwUnlessAuthorized(channel, context.registry.checkToken(channel, bearerToken(authorization)));
}

/**
 * Like `authorizeChannel`, but a token rotated on another replica is
 * accepted at once and a revoked one refused: mismatching tokens and old
 * caches are checked against the shared state (`context.checkToken`).
 * Transports that can await should use this one.
 */
export async function authorizeChannelFresh(
  context: StreamContext,
  channel: string,
  authorization: string | null | undefined,
  origin: RequestOrigin | undefined,
): Promise<void> {
  const scope = channelScope(channel);
  refuseThrottled(context, scope, origin);
  const token = bearerToken(authorization);
  const check =
    context.checkToken === undefined
      ? context.registry.checkToken(channel, token)
      : await context.checkToken(channel, token);
  if (check === "bad_token") await recordFailure(context, scope, origin);
  throwUnlessAuthorized(channel, check);
}

/**
 * Whether `token` is a valid token of some channel: the registry's cached
 * tokens first (no I/O: the common case of a known token costs a few
 * hash comparisons), then, for a token none of them matches, the shared
 * state (a token rotated on another replica). Used where the channel is
 * not known yet: before an RPC's first message, an ack naming no channel.
 */
export async function validForSomeChannel(
  context: StreamContext,
  token: string | undefined,
  origin: RequestOrigin | undefined,
): Promise<boolean> {
  const scope = channelScope("*");
  refuseThrottled(context, scope, origin);
  if (token !== undefined) {
    if (context.registry.acceptsSomewhere(token)) return true;
    if (context.checkToken !== undefined) {
      for (const name of context.registry.names()) {
        if ((await context.checkToken(name, token)) === "ok") return true;
      }
    }
  }
  await recordFailure(context, scope, origin);
  return false;
}

function throwUnlessAuthorized(channel: string, check: TokenCheck): void {
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
