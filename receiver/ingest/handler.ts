/**
 * The ingest endpoint `/webhook/{id}` (SPEC §3.2): reads the raw body under
 * the channel's size limit, runs the webhook's verifiers, checks JSON
 * content, stores the message durably and only then answers 200.
 */
import { performance } from "node:perf_hooks";
import { encodeIngestedMessage } from "../../wire/index.js";
import type { CreateVerifiers } from "../auth/index.js";
import {
  type AddressRange,
  type AuthThrottle,
  clientAddressText,
  clientScheme,
} from "../auth/index.js";
import type { Buffer as MessageBuffer } from "../buffer/index.js";
import { isValidName, type ReceiverConfig } from "../config/index.js";
import {
  AuthThrottledError,
  BufferUnavailableError,
  QueueFullError,
  WebhookConnectError,
} from "../errors.js";
import type { AnyRequest, AnyResponse } from "../server/index.js";
import { peerAddressOf, sendError } from "../server/index.js";
import { sendAccepted, sendAnswer, sendCustomAccepted } from "./answers.js";
import { declaredLength, readBody } from "./body.js";
import { checkJsonBody, checkJsonContentHeaders } from "./content.js";
import {
  HandshakeExpectedError,
  INGEST_METHODS,
  InternalIngestError,
  InvalidWebhookIdError,
  MethodNotAllowedError,
  NotRelayedError,
  PayloadTooLargeError,
  RequestAbortedError,
  UnknownWebhookError,
} from "./errors.js";
import type { IngestEvent } from "./events.js";
import type { IngestExchange } from "./exchange.js";
import { buildMessage, storedMessage } from "./message.js";
import { isEncrypted, requestIdFor, toIngestRequest } from "./request.js";
import { buildVerifiers, closeVerifiers, type WebhookVerifiers } from "./verifiers.js";
import { runVerifiers, type VerificationFailure } from "./verify.js";

/** Options of createIngestHandler. */
export interface IngestHandlerOptions {
  /** The loaded webhooks.json. */
  readonly config: ReceiverConfig;
  /** Where accepted messages are stored; every channel was ensured at start-up. */
  readonly buffer: MessageBuffer;
  /** Verifier factory, `createVerifiers` from receiver/auth. */
  readonly createVerifiers: CreateVerifiers;
  /** Redis URL for verifier state shared between replicas. */
  readonly redisUrl?: string;
  /** Clock in ms since epoch, replaceable in tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Told how each request ended: `accepted`, `rejected`, `aborted` or
   * `handshake`, once per request. Must not throw.
   */
  readonly onEvent?: (event: IngestEvent) => void;
  /** Told about every publish to the buffer (how long it took, what became of it). */
  readonly onPublish?: (observation: PublishObservation) => void;
  /**
   * Refuses (429) clients that failed authentication too often; fed with
   * every refused guess (401 that is not a challenge). Scope: `webhook:<id>`.
   */
  readonly throttle?: AuthThrottle;
  /**
   * Reverse proxies whose X-Forwarded-For names the sender
   * (`WEBHOOK_CONNECT_TRUSTED_PROXIES`): the message's `source_ip` is the
   * sender's address, not the proxy's. @default none (the TCP peer)
   */
  readonly trustedProxies?: readonly AddressRange[];
}

/** The ingest endpoint. */
export interface IngestHandler {
  /**
   * Answers one request to `/webhook/{webhookId}`; resolves once the answer
   * was written (or the client went away). Never rejects for bad input.
   */
  handle(req: AnyRequest, res: AnyResponse, webhookId: string): Promise<void>;
  /** Closes the verifiers (timers, Redis connections). */
  close(): Promise<void>;
}

/** A rejection on its way to the wire, with what the event should record. */
class Rejection extends Error {
  constructor(
    readonly error: WebhookConnectError,
    readonly details: {
      readonly headers?: Readonly<Record<string, string>>;
      readonly verifier?: string;
      readonly reason?: string;
    } = {},
  ) {
    super(error.message, { cause: error });
    this.name = "Rejection";
  }
}

const ALLOW = INGEST_METHODS.join(", ");
const ALLOW_WITH_GET = `GET, ${ALLOW}`;

/** 405 listing the methods the webhook takes: GET too when its handshake is a GET. */
function methodNotAllowed(method: string, allowsGet = false): Rejection {
  return new Rejection(new MethodNotAllowedError(method), {
    headers: { Allow: allowsGet ? ALLOW_WITH_GET : ALLOW },
  });
}

function publishFailure(error: unknown): WebhookConnectError {
  if (error instanceof QueueFullError || error instanceof BufferUnavailableError) return error;
  return new InternalIngestError(error);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function forwardedFor(req: AnyRequest): string | undefined {
  return single(req.headers["x-forwarded-for"]);
}

/** One publish to the buffer as the handler saw it. */
export interface PublishObservation {
  /** Channel published to. */
  readonly channel: string;
  /** `stored` (durable), `duplicate` (id already stored) or `failed`. */
  readonly outcome: "stored" | "duplicate" | "failed";
  /** Time the backend took, in ms. */
  readonly durationMs: number;
}

/** Creates the ingest handler; builds every webhook's verifiers now (config errors throw). */
export function createIngestHandler(options: IngestHandlerOptions): IngestHandler {
  const { config, buffer } = options;
  const now = options.now ?? Date.now;
  const verifiersOf = buildVerifiers(config, options.createVerifiers, {
    now,
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
  });
  const onEvent = options.onEvent;
  const throttle = options.throttle;
  const trustedProxies = options.trustedProxies ?? [];
  // Only behind configured proxies is X-Forwarded-For read at all.
  const peerOrForwarded =
    trustedProxies.length === 0
      ? undefined
      : (req: AnyRequest, remoteAddress: string) =>
          clientAddressText(remoteAddress, forwardedFor(req), trustedProxies);
  const scopes = new Map([...config.webhooks.keys()].map((id) => [id, `webhook:${id}`]));

  /**
   * The Rejection of a failed check; a refused guess (a 401 that is not a
   * challenge) first feeds the failed-authentication throttle.
   */
  async function refusal(
    failure: VerificationFailure,
    { req }: IngestExchange,
    scope: string,
  ): Promise<Rejection> {
    if (throttle !== undefined && failure.error.httpStatus === 401 && !failure.challenge) {
      await throttle.failed(scope, peerAddressOf(req), forwardedFor(req));
    }
    return new Rejection(failure.error, failure);
  }

  async function ingest(exchange: IngestExchange): Promise<void> {
    const { req, res, webhookId, requestId } = exchange;
    const method = (req.method ?? "").toUpperCase();
    const isGet = method === "GET";
    if (!isGet && !(INGEST_METHODS as readonly string[]).includes(method)) {
      throw methodNotAllowed(method, verifiersOf.get(webhookId)?.handshake?.responder.usesGet);
    }
    // GET is only ever a handshake, and only for providers that send one as a GET.
    if (isGet && verifiersOf.get(webhookId)?.handshake?.responder.usesGet !== true) {
      throw methodNotAllowed(method);
    }
    if (!isValidName(webhookId)) throw new Rejection(new InvalidWebhookIdError());
    const entry = config.webhooks.get(webhookId);
    if (entry === undefined) throw new Rejection(new UnknownWebhookError(webhookId));
    if (!entry.relayed || entry.channel === undefined) {
      throw new Rejection(new NotRelayedError(webhookId, entry.module));
    }
    const channel = config.channels.get(entry.channel);
    const verifiers: WebhookVerifiers | undefined = verifiersOf.get(webhookId);
    if (channel === undefined || verifiers === undefined) {
      throw new InternalIngestError(new Error(`webhook '${webhookId}' has no channel state`));
    }
    exchange.channel = channel.name;
    const scope = scopes.get(webhookId)!;
    // A webhook without sender authentication has no secret to guess.
    if (throttle !== undefined && verifiers.auth.length > 0) {
      // Before the body is read or a credential looked at: a refused client
      // cannot tell a right guess from a wrong one.
      const wait = throttle.retryAfter(scope, peerAddressOf(req), forwardedFor(req));
      if (wait !== undefined) {
        throw new Rejection(new AuthThrottledError(wait), {
          reason: "too many failed authentications from this client",
        });
      }
    }

    const backendLimit = buffer.maxBodyBytes?.();
    const limit =
      backendLimit === undefined
        ? channel.maxMessageBytes
        : Math.min(channel.maxMessageBytes, backendLimit);
    const declared = declaredLength(req.headers["content-length"]);
    if (declared !== undefined && declared > limit) {
      throw new Rejection(new PayloadTooLargeError(limit), {
        reason: `Content-Length ${declared} exceeds ${limit}`,
      });
    }
    const body = await readBody(req, limit);
    const request = toIngestRequest(req, body, exchange.receivedAt);

    if (verifiers.handshake !== undefined) {
      const { responder, checks } = verifiers.handshake;
      const answer = responder.answer(request);
      if (answer === undefined && isGet) {
        throw new Rejection(new HandshakeExpectedError(responder.provider, responder.expected));
      }
      if (answer !== undefined) {
        let checked = runVerifiers(checks, request);
        if (checked instanceof Promise) checked = await checked;
        if (!checked.ok) throw await refusal(checked.failure, exchange, scope);
        sendAnswer(res, answer.status, answer.headers, answer.body, requestId);
        onEvent?.({
          type: "handshake",
          requestId,
          webhookId,
          channel: channel.name,
          provider: responder.provider,
          durationMs: performance.now() - exchange.startedAt,
        });
        return;
      }
    }

    let auth = runVerifiers(verifiers.auth, request);
    if (auth instanceof Promise) auth = await auth;
    if (!auth.ok) throw await refusal(auth.failure, exchange, scope);
    if (entry.dataType === "json") {
      checkJsonContentHeaders(
        single(req.headers["content-type"]),
        single(req.headers["content-encoding"]),
      );
      checkJsonBody(body);
    }
    let checkedIp: string | undefined;
    if (verifiers.afterAuth.length > 0) {
      let checked = runVerifiers(verifiers.afterAuth, request);
      if (checked instanceof Promise) checked = await checked;
      if (!checked.ok) throw new Rejection(checked.failure.error, checked.failure);
      checkedIp = checked.sourceIp;
    }

    const sourceIp =
      auth.sourceIp ??
      checkedIp ??
      (peerOrForwarded === undefined
        ? request.remoteAddress
        : peerOrForwarded(req, request.remoteAddress));
    const scheme = clientScheme(
      request.remoteAddress,
      isEncrypted(req),
      single(req.headers["x-forwarded-proto"]),
      trustedProxies,
    );
    const stored = storedMessage(request, channel, webhookId, sourceIp, scheme);
    let published: Awaited<ReturnType<MessageBuffer["publish"]>>;
    const publishStartedAt = performance.now();
    try {
      published =
        buffer.publishEncoded === undefined
          ? await buffer.publish(channel.name, buildMessage(stored))
          : await buffer.publishEncoded(channel.name, {
              messageId: stored.messageId,
              webhookId,
              expiresAtMs: stored.expiresAtMs,
              bytes: encodeIngestedMessage(stored),
            });
    } catch (error) {
      options.onPublish?.({
        channel: channel.name,
        outcome: "failed",
        durationMs: performance.now() - publishStartedAt,
      });
      throw new Rejection(publishFailure(error), {
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    options.onPublish?.({
      channel: channel.name,
      outcome: published.duplicate ? "duplicate" : "stored",
      durationMs: performance.now() - publishStartedAt,
    });
    if (verifiers.response === undefined) {
      sendAccepted(res, stored.messageId, channel.name, requestId);
    } else {
      sendCustomAccepted(
        res,
        verifiers.response,
        { message_id: stored.messageId, channel: channel.name, webhook_id: webhookId },
        requestId,
      );
    }
    onEvent?.({
      type: "accepted",
      requestId,
      traceparent: stored.traceparent,
      webhookId,
      channel: channel.name,
      messageId: stored.messageId,
      sequence: published.sequence,
      bytes: body.length,
      sourceIp,
      durationMs: performance.now() - exchange.startedAt,
    });
  }

  function reject(exchange: IngestExchange, thrown: unknown): void {
    const { req, res, requestId } = exchange;
    const rejection =
      thrown instanceof Rejection
        ? thrown
        : new Rejection(
            thrown instanceof WebhookConnectError ? thrown : new InternalIngestError(thrown),
          );
    const { error, details } = rejection;
    // An unread body is not drained: the connection is closed instead.
    const closeConnection = error instanceof PayloadTooLargeError || !req.complete;
    sendError(res, error, {
      headers: { ...details.headers, "X-Request-Id": requestId },
      closeConnection,
    });
    onEvent?.({
      type: "rejected",
      requestId,
      webhookId: exchange.webhookId,
      channel: exchange.channel,
      code: error.code,
      status: error.httpStatus,
      reason: details.reason ?? error.message,
      verifier: details.verifier,
      cause: error.cause ?? (error === thrown ? undefined : thrown),
      durationMs: performance.now() - exchange.startedAt,
    });
  }

  return {
    async handle(req, res, webhookId) {
      // Created once and handed to every step: the one object the handler adds per request.
      const exchange: IngestExchange = {
        req,
        res,
        webhookId,
        startedAt: performance.now(),
        receivedAt: now(),
        requestId: requestIdFor(req.headers["x-request-id"]),
        channel: undefined,
      };
      try {
        await ingest(exchange);
      } catch (thrown) {
        if (thrown instanceof RequestAbortedError) {
          if (!res.writableEnded) res.destroy();
          onEvent?.({
            type: "aborted",
            requestId: exchange.requestId,
            webhookId,
            reason: thrown.message,
            durationMs: performance.now() - exchange.startedAt,
          });
          return;
        }
        reject(exchange, thrown);
      }
    },
    async close() {
      await closeVerifiers(
        [...verifiersOf.values()].flatMap((set) => [...set.auth, ...set.afterAuth]),
      );
    },
  };
}
