/**
 * Book-keeping of deliveries across sessions: which messages are being
 * delivered, which were delivered recently, and where their acks and
 * nacks go. An outcome is sent on the session open when it is known — a
 * delivery that outlived its session is acked on the next one, by
 * message_id (SPEC §8) — or kept until a session is open.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { Deliverer, DeliveryOutcome } from "../delivery/index.js";
import type { RelaySession } from "../transport/index.js";
import type { ConnectorEventListener, DeliveryFacts } from "./events.js";
import type { Slots } from "./slots.js";

/** Options of createDeliveryTracker. */
export interface DeliveryTrackerOptions {
  /** Delivers each message. */
  readonly deliverer: Deliverer;
  /** Slots held by running deliveries; released when each settles. */
  readonly slots: Slots;
  /** Aborted when in-flight deliveries must give up (end of the shutdown grace). */
  readonly signal: AbortSignal;
  /** Event sink. */
  readonly emit: ConnectorEventListener;
  /** How many delivered message ids are remembered to ack redeliveries without delivering. @default 10000 */
  readonly rememberDelivered?: number;
}

/** The tracker. */
export interface DeliveryTracker {
  /** Sends kept outcomes on `session` and routes later ones to it. */
  attach(session: RelaySession): void;
  /** Stops routing to `session` (it ended). */
  detach(session: RelaySession): void;
  /**
   * Handles an incoming message whose slot the caller holds. Starts a
   * delivery, or — for a message already in flight or delivered — releases
   * the slot and acks it without delivering twice.
   */
  accept(message: WebhookMessage): void;
  /** Nacks (retry) every delivery still running and forgets them; returns how many. */
  abandon(reason: string): number;
  /** Deliveries running now. */
  readonly inFlight: number;
}

type Send = (session: RelaySession) => boolean;

/** Creates a DeliveryTracker. */
export function createDeliveryTracker(options: DeliveryTrackerOptions): DeliveryTracker {
  const { deliverer, slots, emit } = options;
  const remember = options.rememberDelivered ?? 10_000;
  const running = new Map<string, WebhookMessage>();
  const delivered = new Set<string>();
  let pending: Send[] = [];
  let current: RelaySession | undefined;

  const send = (fn: Send) => {
    if (current !== undefined && fn(current)) return;
    pending.push(fn);
  };

  // The ids in insertion order, as a ring: evicting the oldest is O(1)
  // (a Set's first value is found by stepping over every deleted entry
  // before it, which grew with each message of a long drain).
  const order: (string | undefined)[] = new Array(Math.max(1, remember));
  let next = 0;
  const markDelivered = (id: string) => {
    if (delivered.has(id)) return;
    const oldest = order[next];
    if (oldest !== undefined) delivered.delete(oldest);
    order[next] = id;
    next = (next + 1) % order.length;
    delivered.add(id);
  };

  const settle = (message: WebhookMessage, outcome: DeliveryOutcome, startedAt: number) => {
    const id = message.messageId;
    const base: DeliveryFacts = {
      messageId: id,
      webhookId: message.webhookId,
      deliveryAttempt: message.deliveryAttempt,
      method: message.method,
      path: message.path,
      query: message.query,
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
      ...(outcome.attempts === undefined ? {} : { attempts: outcome.attempts }),
    };
    const durationMs = Math.round(performance.now() - startedAt);
    if (outcome.kind === "ack") {
      markDelivered(id);
      send((s) => s.ack(id));
      emit({ type: "delivered", ...base, durationMs });
      return;
    }
    const retry = outcome.kind === "retry";
    const delayMs = outcome.kind === "retry" ? outcome.delayMs : undefined;
    const nack =
      delayMs === undefined
        ? { retry, reason: outcome.reason }
        : { retry, reason: outcome.reason, delayMs };
    send((s) => s.nack(id, nack));
    emit({ type: "failed", ...base, ...nack, durationMs });
  };

  return {
    attach(session) {
      current = session;
      const kept = pending;
      pending = [];
      for (const fn of kept) send(fn);
    },
    detach(session) {
      if (current === session) current = undefined;
    },
    accept(message) {
      const id = message.messageId;
      if (running.has(id) || delivered.has(id)) {
        slots.release();
        emit({ type: "duplicate", messageId: id, inFlight: running.has(id) });
        // The running delivery acks it when it settles; a delivered one is acked again now.
        if (!running.has(id)) send((s) => s.ack(id));
        return;
      }
      running.set(id, message);
      const startedAt = performance.now();
      deliverer
        .deliver(message, options.signal)
        .catch(
          (error: unknown): DeliveryOutcome => ({
            kind: "retry",
            reason: `deliverer failed: ${error instanceof Error ? error.message : String(error)}`,
          }),
        )
        .then((outcome) => {
          // Abandoned at the end of the shutdown grace: already nacked.
          if (running.get(id) !== message) return;
          running.delete(id);
          slots.release();
          settle(message, outcome, startedAt);
        });
    },
    abandon(reason) {
      const count = running.size;
      for (const message of running.values()) {
        settle(message, { kind: "retry", reason }, performance.now());
        slots.release();
      }
      running.clear();
      return count;
    },
    get inFlight() {
      return running.size;
    },
  };
}
