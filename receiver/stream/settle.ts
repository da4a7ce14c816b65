/**
 * Where the acks and nacks of a request that is not on a stream go (the
 * unary RPC `Ack`, `POST /connect/ack`): to the session that leased the
 * messages while it is attached on the request's channel, so its credit
 * frees at once; otherwise by message id to the channel's group, so acks
 * outlive their connection (SPEC §8).
 */
import { groupName } from "../channels/index.js";
import { Session } from "./session.js";
import { type NackRequest, type SettleResult, settleMessage } from "./settle-message.js";
import type { StreamContext } from "./stream-context.js";

/** Applies one request's acks and nacks, one at a time, in request order. */
export interface Settler {
  /** Acknowledges one message. */
  ack(messageId: string): Promise<SettleResult>;
  /** Rejects one message. */
  nack(messageId: string, nack: NackRequest): Promise<SettleResult>;
}

/** What a settling request names. */
export interface SettleTarget {
  /** The channel (token already authorized for it). */
  readonly channel: string;
  /** The connection that received the messages; empty or unknown: settle by message id. */
  readonly connectionId: string;
  /** Group to settle by message id in (empty or absent: the default group). */
  readonly group?: string | undefined;
}

/** The session `connectionId` names, when it is attached on `channel`. */
export function sessionOf(
  context: StreamContext,
  connectionId: string,
  channel: string,
): Session | undefined {
  if (connectionId === "") return undefined;
  const attached = context.registry.find(connectionId);
  return attached instanceof Session && attached.info.channel === channel ? attached : undefined;
}

/** The Settler of a request: by its session while attached, else by message id on the group. */
export function settlerFor(context: StreamContext, target: SettleTarget): Settler {
  const session = sessionOf(context, target.connectionId, target.channel);
  if (session !== undefined) {
    return {
      ack: async (messageId) => (await session.ack([messageId]))[0]!,
      nack: (messageId, nack) => session.nack(messageId, nack),
    };
  }
  const { buffer } = context;
  const { channel } = target;
  const group = groupName(target.group);
  return {
    ack: (messageId) => settleMessage(buffer, channel, group, messageId),
    nack: (messageId, nack) => settleMessage(buffer, channel, group, messageId, nack),
  };
}
