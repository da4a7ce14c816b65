/**
 * Attaching a client, the same for every transport: its Hello is checked
 * (channel, group, options), its token authorized against the channel,
 * the session opened with the receiver's defaults and the Welcome built.
 * Transports only turn their wire input into a Hello, call `attach` and
 * write the result (or the typed error) in their own framing, so one
 * fault reads the same on all of them.
 */
import type { Welcome } from "../../gen/webhookconnect/v1/relay_pb.js";
import type { RequestOrigin } from "../auth/index.js";
import { type HelloFields, helloChannel, helloOptions, requireHello } from "./hello.js";
import { openSession, type Session } from "./session.js";
import { authorizeChannelFresh, type StreamContext } from "./stream-context.js";
import { welcomeOf } from "./welcome.js";

/** What a client presented to prove it may use a channel. */
export interface Credentials {
  /** The `Authorization` value (header, or `?token=` where allowed). */
  readonly authorization: string | null | undefined;
  /** Who sent it (for the failed-authentication throttle). */
  readonly origin: RequestOrigin | undefined;
}

/** A Hello that passed validation and whose token was authorized for its channel. */
export interface Admission {
  readonly channel: string;
  readonly group: string;
  readonly connectorId: string;
  readonly maxInFlight: number;
}

/** Facts about the connection a session is opened for. */
export interface AttachCall {
  /** Transport name, for the admin API and metrics (`grpc`, `websocket`, `sse`, …). */
  readonly protocol: string;
  /** The client's address. */
  readonly remoteAddress: string;
  /**
   * Close the session when the client is silent for 3 heartbeat intervals
   * (transports where the client talks: bidi streams, WebSockets).
   */
  readonly liveness: boolean;
}

/** An attached client: its session and the Welcome to send first. */
export interface Attachment {
  readonly session: Session;
  readonly welcome: Welcome;
}

/**
 * Checks a Hello and authorizes it: the channel first (it is needed to
 * check the token), then the token, then the options, so a client without
 * a valid token learns nothing about what else is wrong. Throws a
 * WebhookConnectError (WC_ERR_STREAM_PROTOCOL, _UNAUTHENTICATED,
 * _UNKNOWN_CHANNEL, or AuthThrottledError).
 */
export async function admit(
  context: StreamContext,
  hello: HelloFields | undefined,
  credentials: Credentials,
  urlChannel?: string,
): Promise<Admission> {
  const fields = requireHello(hello);
  const channel = helloChannel(fields, urlChannel);
  await authorizeChannelFresh(context, channel, credentials.authorization, credentials.origin);
  return { channel, ...helloOptions(fields) };
}

/** Opens the session of an admitted Hello and builds its Welcome. */
export async function openAdmitted(
  context: StreamContext,
  admission: Admission,
  call: AttachCall,
): Promise<Attachment> {
  const session = await openSession({
    buffer: context.buffer,
    registry: context.registry,
    channel: admission.channel,
    group: admission.group,
    connectorId: admission.connectorId,
    protocol: call.protocol,
    remoteAddress: call.remoteAddress,
    maxInFlight: admission.maxInFlight,
    heartbeatIntervalMs: context.heartbeatIntervalMs,
    ...(call.liveness ? { livenessTimeoutMs: 3 * context.heartbeatIntervalMs } : {}),
    ...(context.onEvent === undefined ? {} : { onEvent: context.onEvent }),
  });
  return { session, welcome: await welcomeOf(context, session) };
}

/** What a transport read off its wire to attach a client. */
export interface AttachRequest extends Credentials, AttachCall {
  /** The client's Hello; undefined when its first frame was something else. */
  readonly hello: HelloFields | undefined;
  /** The channel of the endpoint's URL, if it has one. */
  readonly urlChannel?: string;
}

/** Admits a Hello and opens its session: the one way a client attaches. */
export async function attach(context: StreamContext, request: AttachRequest): Promise<Attachment> {
  const admission = await admit(context, request.hello, request, request.urlChannel);
  return openAdmitted(context, admission, request);
}
