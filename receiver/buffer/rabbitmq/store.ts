/**
 * Storing a message: idempotent per message id (within the last RECENT_IDS
 * of the channel in this process), refused with QueueFullError when the
 * largest group backlog is at the channel's limit, published persistent to
 * the channel's exchange and resolved only after the publisher confirm.
 */
import { QueueFullError } from "../../errors.js";
import type { PublishResult } from "../buffer.js";
import { storedHeaders } from "./codec.js";
import { addBacklog, queuedOf, type RabbitMqContext, requireChannel } from "./context.js";
import { channelExchange } from "./names.js";
import { publishConfirmed } from "./publish.js";

/** Message ids remembered per channel for idempotent re-publish. */
const RECENT_IDS = 10_000;

/** Stores an encoded message (see the module comment). */
export async function storeMessage(
  ctx: RabbitMqContext,
  channel: string,
  messageId: string,
  bytes: Uint8Array,
  expiresAtMs: number,
): Promise<PublishResult> {
  const state = requireChannel(ctx, channel);
  const earlier = state.recent.get(messageId);
  if (earlier !== undefined) {
    const first = await earlier.catch(() => undefined);
    if (first !== undefined) return { sequence: first.sequence, duplicate: true };
  }
  const limit = state.settings.maxQueueSize;
  if (queuedOf(state) + state.publishing >= limit) throw new QueueFullError(channel, limit);
  const receivedAt = ctx.now();
  state.publishing++;
  const attempt = (async () => {
    const sequence = await state.meta.nextSequence();
    const publisher = await ctx.pub.publisher();
    await publishConfirmed(
      publisher,
      channelExchange(channel),
      "",
      globalThis.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      {
        messageId,
        headers: storedHeaders({
          sequence,
          receivedAt,
          expiresAt: expiresAtMs,
          priorAttempts: 0,
        }),
        ...(expiresAtMs > 0
          ? { expiration: String(Math.max(1, Math.ceil(expiresAtMs - receivedAt))) }
          : {}),
      },
      ctx.publishTimeoutMs,
    );
    return { sequence };
  })();
  state.recent.set(messageId, attempt);
  if (state.recent.size > RECENT_IDS) {
    const oldest = state.recent.keys().next().value;
    if (oldest !== undefined) state.recent.delete(oldest);
  }
  try {
    const { sequence } = await attempt;
    for (const group of state.backlog.keys()) addBacklog(state, group, 1);
    state.published.push({ sequence, receivedAt });
    return { sequence, duplicate: false };
  } catch (error) {
    if (state.recent.get(messageId) === attempt) state.recent.delete(messageId);
    throw error;
  } finally {
    state.publishing--;
  }
}
