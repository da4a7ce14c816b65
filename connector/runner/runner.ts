/**
 * The connection loop of the connector: open a session, deliver its
 * messages with bounded concurrency, ack or nack each, and reconnect with
 * jittered exponential backoff when the session ends. On abort it stops
 * taking messages, lets running deliveries finish within the grace period
 * (then nacks them for redelivery) and closes the session.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { Deliverer } from "../delivery/index.js";
import {
  ConnectorError,
  ConnectorRefusedError,
  HeartbeatTimeoutError,
  isFatal,
} from "../errors.js";
import type { RelaySession, SessionEnd, SessionHello, Transport } from "../transport/index.js";
import { createBackoff } from "./backoff.js";
import { createDeliveryTracker, type DeliveryTracker } from "./deliveries.js";
import type { ConnectorEvent, ConnectorEventListener, DisconnectReason } from "./events.js";
import { startKeepalive } from "./keepalive.js";
import { createSlots, type Slots } from "./slots.js";

/** Options of createConnectorRunner. */
export interface ConnectorRunnerOptions {
  /** How sessions are opened. */
  readonly transport: Transport;
  /** Where messages are delivered. */
  readonly deliverer: Deliverer;
  /** Hello of every session. */
  readonly hello: SessionHello;
  /**
   * Deliveries running at once. A `hello.maxInFlight` above it lets the
   * server send the next messages while deliveries run (prefetch).
   * @default hello.maxInFlight
   */
  readonly concurrency?: number;
  /** First reconnect delay. @default 1000 */
  readonly reconnectDelayMs?: number;
  /** Longest reconnect delay (also the delay after fatal errors). @default 60000 */
  readonly maxReconnectDelayMs?: number;
  /** Reconnect delay factor. @default 2 */
  readonly reconnectBackoffMultiplier?: number;
  /** Silence after which the server counts as gone. @default 3 × the welcome's heartbeat interval */
  readonly heartbeatTimeoutMs?: number;
  /** Interval of client heartbeats when the server announces none. @default 15000 */
  readonly defaultHeartbeatIntervalMs?: number;
  /** Time running deliveries get to finish on shutdown. @default 30000 */
  readonly shutdownGraceMs?: number;
  /** A session this long (or that delivered a message) resets the backoff. @default 30000 */
  readonly healthySessionMs?: number;
  /** Event sink. @default none */
  readonly onEvent?: ConnectorEventListener;
  /**
   * A refusal (wrong token, unknown channel) before the first session was
   * open ends `run` with a ConnectorRefusedError instead of retrying;
   * later refusals (a rotated token, say) are retried with backoff.
   * @default false: every refusal is retried at the longest delay
   */
  readonly stopWhenRefusedAtStart?: boolean;
  /** Randomness of the jitter. @default Math.random */
  readonly random?: () => number;
}

/** A connector's connection loop. */
export interface ConnectorRunner {
  /** Runs until `signal` aborts, then shuts down gracefully and resolves. */
  run(signal: AbortSignal): Promise<void>;
  /** Deliveries running now. */
  readonly inFlight: number;
}

/** How long abandoned deliveries get to return after being aborted. */
const ABORT_SETTLE_MS = 2_000;

/** Creates the runner. */
export function createConnectorRunner(options: ConnectorRunnerOptions): ConnectorRunner {
  const emit = (event: ConnectorEvent) => options.onEvent?.(event);
  const limit = Math.max(1, options.concurrency ?? options.hello.maxInFlight);
  const slots = createSlots(limit);
  const deliveryAbort = new AbortController();
  const tracker = createDeliveryTracker({
    deliverer: options.deliverer,
    slots,
    signal: deliveryAbort.signal,
    emit,
  });
  const backoff = createBackoff({
    initialMs: options.reconnectDelayMs ?? 1_000,
    maxMs: options.maxReconnectDelayMs ?? 60_000,
    multiplier: options.reconnectBackoffMultiplier ?? 2,
    ...(options.random === undefined ? {} : { random: options.random }),
  });

  async function runSession(session: RelaySession, touch: { fn: () => void }, signal: AbortSignal) {
    const startedAt = performance.now();
    const { welcome } = session;
    slots.setLimit(welcome.maxInFlight > 0 ? Math.min(limit, welcome.maxInFlight) : limit);
    tracker.attach(session);
    emit({
      type: "connected",
      transport: session.transport,
      connectionId: welcome.connectionId,
      channel: welcome.channel,
      group: welcome.group,
      maxInFlight: welcome.maxInFlight,
      heartbeatIntervalMs: welcome.heartbeatIntervalMs,
      backlog: welcome.backlog,
      fallbacks: (session.fallbacks ?? []).map((f) => ({
        transport: f.transport,
        reason: f.error.message,
      })),
    });
    const intervalMs =
      welcome.heartbeatIntervalMs || (options.defaultHeartbeatIntervalMs ?? 15_000);
    const timeoutMs = options.heartbeatTimeoutMs ?? 3 * intervalMs;
    const keepalive = startKeepalive({
      intervalMs,
      timeoutMs,
      send: () => session.heartbeat(),
      onTimeout: () => void session.close(new HeartbeatTimeoutError(timeoutMs)),
    });
    touch.fn = keepalive.touch;

    const sessionOver = new AbortController();
    void session.closed.then(() => sessionOver.abort());
    const readSignal = AbortSignal.any([signal, sessionOver.signal]);
    const delivered = await readMessages(session, readSignal, slots, tracker);
    if (signal.aborted) await shutdown(session);
    const end = await session.closed;
    keepalive.stop();
    touch.fn = () => {};
    tracker.detach(session);
    emit({
      type: "disconnected",
      transport: session.transport,
      reason: signal.aborted ? "shutdown" : reasonOf(end),
      message:
        end.error?.message ?? (end.kind === "server" ? "the server ended the stream" : "closed"),
      durationMs: Math.round(performance.now() - startedAt),
      delivered,
    });
    return { delivered, durationMs: performance.now() - startedAt };
  }

  async function drain(): Promise<number> {
    emit({ type: "stopping", inFlight: tracker.inFlight });
    const grace = options.shutdownGraceMs ?? 30_000;
    if (await settledWithin(slots, grace)) return 0;
    deliveryAbort.abort();
    if (await settledWithin(slots, ABORT_SETTLE_MS)) return 0;
    return tracker.abandon("connector shut down before the delivery finished");
  }

  let abandoned = 0;
  async function shutdown(session: RelaySession | undefined) {
    abandoned = await drain();
    await session?.close();
  }

  return {
    get inFlight() {
      return tracker.inFlight;
    },
    async run(signal) {
      let drained = false;
      let everConnected = false;
      while (!signal.aborted) {
        emit({ type: "connecting", attempt: backoff.attempts + 1 });
        const touch = { fn: () => {} };
        let session: RelaySession;
        try {
          session = await options.transport.open({
            hello: options.hello,
            signal,
            onFrame: () => touch.fn(),
            onNotice: (notice) => emit({ type: "notice", notice }),
          });
        } catch (error) {
          if (signal.aborted) break;
          const err = error instanceof Error ? error : new Error(String(error));
          const fatal = isFatal(err);
          emit({
            type: "connect_failed",
            code: err instanceof ConnectorError ? err.code : "WC_ERR_CONNECTOR_TRANSPORT",
            message: err.message,
            fatal,
            error: err,
          });
          if (fatal && !everConnected && options.stopWhenRefusedAtStart === true) {
            await shutdown(undefined);
            emit({ type: "stopped", abandoned });
            throw new ConnectorRefusedError(err as ConnectorError);
          }
          const longest = fatal && options.stopWhenRefusedAtStart !== true;
          await wait(longest ? backoff.longest() : backoff.next(), fatal, signal);
          continue;
        }
        everConnected = true;
        const result = await runSession(session, touch, signal);
        if (signal.aborted) {
          drained = true;
          break;
        }
        if (result.delivered > 0 || result.durationMs >= (options.healthySessionMs ?? 30_000)) {
          backoff.reset();
        }
        await wait(backoff.next(), false, signal);
      }
      if (!drained) await shutdown(undefined);
      emit({ type: "stopped", abandoned });
    },
  };

  async function wait(delayMs: number, fatal: boolean, signal: AbortSignal) {
    if (signal.aborted) return;
    emit({ type: "reconnecting", delayMs, attempt: backoff.attempts, fatal });
    await sleep(delayMs, undefined, { signal }).catch(() => {});
  }
}

/**
 * Takes messages while a slot is free, until the session ends or `signal`
 * aborts. Returns how many deliveries it started.
 */
async function readMessages(
  session: RelaySession,
  signal: AbortSignal,
  slots: Slots,
  tracker: DeliveryTracker,
): Promise<number> {
  const iterator = session.messages[Symbol.asyncIterator]();
  let started = 0;
  while (await slots.acquire(signal)) {
    const next = iterator.next();
    const result = await nextOrAbort(next, signal);
    if (result === "aborted" || result.done) {
      slots.release();
      // A message that arrives after we stopped taking them goes back at once.
      if (result === "aborted") void next.then((late) => nackLate(session, late));
      break;
    }
    tracker.accept(result.value);
    started++;
  }
  return started;
}

/**
 * `next`, or "aborted" if `signal` aborts first. The abort listener is
 * removed again each time (a Promise.race against one long-lived "aborted"
 * promise left a reaction on it per message: memory that grew with every
 * message of a session).
 */
function nextOrAbort<T>(
  next: Promise<IteratorResult<T>>,
  signal: AbortSignal,
): Promise<IteratorResult<T> | "aborted"> {
  if (signal.aborted) return Promise.resolve("aborted");
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    next.then(
      (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function nackLate(session: RelaySession, late: IteratorResult<WebhookMessage>) {
  if (late.done) return;
  session.nack(late.value.messageId, { retry: true, reason: "connector shutting down" });
}

async function settledWithin(slots: Slots, ms: number): Promise<boolean> {
  if (slots.used === 0) return true;
  const timeout = new AbortController();
  const result = await Promise.race([
    slots.idle().then(() => true),
    sleep(ms, false, { signal: timeout.signal }).catch(() => false),
  ]);
  timeout.abort();
  return result;
}

function reasonOf(end: SessionEnd): DisconnectReason {
  if (end.error instanceof HeartbeatTimeoutError) return "heartbeat_timeout";
  return end.kind === "server" ? "server_closed" : "error";
}
