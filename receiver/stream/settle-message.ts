/**
 * One ack or nack applied to the buffer by message id, and how its outcome
 * is reported: the step under every settlement, a session's or one that
 * arrives after its connection is gone.
 */
import type { Buffer, SettleOutcome } from "../buffer/index.js";

/** Outcome of one ack or nack, as reported to the client. */
export interface SettleResult {
  /** The message. */
  readonly messageId: string;
  /** Whether the buffer applied it (an already-settled message counts as applied for acks). */
  readonly ok: boolean;
  /** What the buffer did. */
  readonly outcome: SettleOutcome | "error";
  /** Why not, when ok is false. */
  readonly error?: string;
}

/** A negative acknowledgement as a client sends it. */
export interface NackRequest {
  /** Redeliver later (true) or dead-letter (false). */
  readonly retry: boolean;
  /** Why the delivery failed. */
  readonly reason: string;
  /** Minimum delay the client asks for before redelivery. */
  readonly delayMs?: number;
}

/**
 * Applies one ack (no `nack`) or nack to the buffer by message id. Used by
 * sessions and for acks that arrive after their connection is gone.
 */
export async function settleMessage(
  buffer: Buffer,
  channel: string,
  group: string,
  messageId: string,
  nack?: NackRequest,
): Promise<SettleResult> {
  let outcome: SettleOutcome;
  try {
    outcome =
      nack === undefined
        ? await buffer.ack(channel, group, messageId)
        : await buffer.nack(channel, group, messageId, {
            retry: nack.retry,
            reason: nack.reason || (nack.retry ? "nack" : "rejected by connector"),
            ...(nack.delayMs === undefined ? {} : { requestedDelayMs: nack.delayMs }),
          });
  } catch (cause) {
    return { messageId, ok: false, outcome: "error", error: (cause as Error).message };
  }
  // Acks are idempotent: an already-settled message is fine. A nack of a
  // message that is not leased any more did nothing, so it is reported.
  if (outcome === "not_found" && nack !== undefined) {
    return {
      messageId,
      ok: false,
      outcome,
      error: "message is not leased (already settled or expired)",
    };
  }
  return { messageId, ok: true, outcome };
}
