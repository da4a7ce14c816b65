/** The Welcome frame of a session, shared by the RPC and WebSocket transports. */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type Welcome, WelcomeSchema } from "../../gen/webhookconnect/v1/relay_pb.js";
import type { Session } from "./session.js";
import type { StreamContext } from "./stream-context.js";

/**
 * Messages of the session's group not yet acknowledged (waiting plus
 * leased), from the buffer's stats: the `backlog` of Welcome and of the
 * `connected` frame. Undefined when the buffer cannot tell; a failing stats
 * call never fails the session.
 */
export async function backlogOf(
  context: StreamContext,
  session: { readonly info: { readonly channel: string; readonly group: string } },
): Promise<number | undefined> {
  try {
    const stats = await context.buffer.stats(session.info.channel);
    const group = stats.groups.find((g) => g.group === session.info.group);
    return group === undefined ? undefined : group.pending + group.inFlight;
  } catch {
    return undefined;
  }
}

/**
 * The backlog a Pull (or a long-poll request) reports: only on the one that
 * opened connection `connectionId` (`asked` was not that id).
 */
export async function openingPullBacklog(
  context: StreamContext,
  asked: string,
  connectionId: string,
): Promise<number | undefined> {
  if (asked === connectionId) return undefined;
  const session = context.registry.find(connectionId);
  return session === undefined ? undefined : backlogOf(context, session);
}

/** Builds the Welcome of `session`. */
export async function welcomeOf(context: StreamContext, session: Session): Promise<Welcome> {
  const channel = context.registry.get(session.info.channel);
  const backlog = await backlogOf(context, session);
  return create(WelcomeSchema, {
    connectionId: session.info.id,
    channel: session.info.channel,
    group: session.info.group,
    maxInFlight: session.info.maxInFlight,
    heartbeatInterval: durationFromMs(context.heartbeatIntervalMs),
    ackTimeout: durationFromMs((channel?.settings.ackTimeoutSeconds ?? 30) * 1000),
    ...(backlog === undefined ? {} : { backlog: BigInt(backlog) }),
  });
}
