/**
 * Long-poll connections: a poll "connection" outlives each request so the
 * leases it took stay valid and a later ack (on any call) succeeds. Idle
 * poll connections are closed, which returns their leases to the channel.
 */

import type { Delivery } from "../buffer/index.js";
import { type Admission, openAdmitted } from "./attach.js";
import type { Session } from "./session.js";
import type { StreamContext } from "./stream-context.js";

/** Longest a single poll may wait. */
export const MAX_POLL_TIMEOUT_MS = 60_000;
/** Messages returned by one poll when the client names no maximum. */
export const DEFAULT_POLL_MESSAGES = 10;

/** One poll request. */
export interface PollRequest {
  /** The poller's Hello, checked and authorized (`admit`). */
  readonly admission: Admission;
  /** Connection id of an earlier poll, or empty. */
  readonly connectionId: string;
  /** Most messages to return (0: default). */
  readonly maxMessages: number;
  /** Longest wait (capped at MAX_POLL_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Client address. */
  readonly remoteAddress: string;
  /** Transport name for the admin API. */
  readonly protocol: string;
  /**
   * Ends the wait: the caller aborts it when the request goes away, the
   * session when it closes.
   */
  readonly abort: AbortController;
}

/** The long-poll connection table. */
export interface PollSessions {
  /** Leases up to maxMessages messages for the poll connection, creating it if needed. */
  pull(request: PollRequest): Promise<{ connectionId: string; deliveries: Delivery[] }>;
  /** Closes every poll connection (shutdown). */
  closeAll(reason: string): void;
}

/** Creates the long-poll connection table of a receiver. */
export function createPollSessions(context: StreamContext): PollSessions {
  const sessions = new Map<string, { session: Session; idle: NodeJS.Timeout }>();

  function idleMs(session: Session): number {
    const settings = context.registry.get(session.info.channel)?.settings;
    return Math.max(60_000, (settings?.ackTimeoutSeconds ?? 30) * 1000 + MAX_POLL_TIMEOUT_MS);
  }

  function arm(session: Session): void {
    const entry = sessions.get(session.info.id);
    if (entry !== undefined) clearTimeout(entry.idle);
    const idle = setTimeout(() => session.close("long-poll connection idle"), idleMs(session));
    idle.unref?.();
    sessions.set(session.info.id, { session, idle });
  }

  async function find(request: PollRequest): Promise<Session> {
    const existing = sessions.get(request.connectionId)?.session;
    if (
      existing !== undefined &&
      !existing.isClosed &&
      existing.info.channel === request.admission.channel
    ) {
      return existing;
    }
    // A poller talks only when it polls or acks: the idle timer (arm) is its liveness.
    const { session } = await openAdmitted(context, request.admission, {
      protocol: request.protocol,
      remoteAddress: request.remoteAddress,
      liveness: false,
    });
    void session.closed.then(() => {
      const entry = sessions.get(session.info.id);
      if (entry?.session === session) {
        clearTimeout(entry.idle);
        sessions.delete(session.info.id);
      }
    });
    return session;
  }

  return {
    async pull(request) {
      const session = await find(request);
      arm(session);
      const max = request.maxMessages > 0 ? request.maxMessages : DEFAULT_POLL_MESSAGES;
      const waitMs = Math.min(Math.max(0, request.timeoutMs), MAX_POLL_TIMEOUT_MS);
      const deliveries = await session.pull(max, waitMs, request.abort);
      arm(session);
      return { connectionId: session.info.id, deliveries };
    },
    closeAll(reason) {
      for (const { session } of [...sessions.values()]) session.close(reason);
    },
  };
}
