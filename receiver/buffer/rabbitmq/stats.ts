/**
 * Channel numbers from the broker and the shared record: per group, the
 * ready messages of its queue and retry queues (pending) and the leases
 * (in flight); counters from the channel's record. `queued` is the largest
 * group backlog: each group queue holds its own copy of a message until
 * that group finished it.
 *
 * Leases and deliveries held by other receiver processes are unacked at
 * the broker; those processes report them (peers.ts).
 *
 * Lag (`oldestUnackedAgeMs`) is the age of the oldest message held by any
 * receiver, sent to retry by this one, or — for ready messages — the
 * oldest of this receiver's recent publishes that the group has not
 * taken yet.
 *
 * Every read also corrects this receiver's backlog (which limits
 * publishes) to the broker's numbers, unless a local change raced it.
 */
import type { ChannelStats, GroupStats } from "../buffer.js";
import { expiredFromQueue, readStored } from "./codec.js";
import { addBacklog, type ChannelState, type RabbitMqContext } from "./context.js";
import type { ChannelRecord } from "./meta.js";
import { deadLetterQueue, expiredQueue, groupOfQueue, groupQueue, retryQueue } from "./names.js";
import type { LocalGroupNumbers, Peers } from "./peers.js";
import { readyCount, withChannel } from "./topology.js";

/** Most expired messages counted per drain. */
const DRAIN_LIMIT = 10_000;

/** Counts and removes the messages the broker expired into the channel's expired queue. */
export async function drainExpired(ctx: RabbitMqContext, state: ChannelState): Promise<void> {
  const channel = state.settings.name;
  await withChannel(ctx.conn.model(), async (ch) => {
    let count = 0;
    while (count < DRAIN_LIMIT) {
      const message = await ch.get(expiredQueue(channel), { noAck: false });
      if (message === false) break;
      const group = groupOfQueue(channel, expiredFromQueue(message));
      if (group !== undefined) addBacklog(state, group, -1);
      ch.ack(message);
      count++;
    }
    if (count > 0) state.meta.count("expired", count);
  });
}

interface GroupCounts {
  readonly group: string;
  readonly ready: number;
  readonly retrying: number;
}

async function groupCounts(
  ctx: RabbitMqContext,
  state: ChannelState,
  record: ChannelRecord | undefined,
): Promise<{ groups: GroupCounts[]; deadLetterQueued: number }> {
  const channel = state.settings.name;
  const names = new Set([...(record?.groups ?? []), ...state.groups.keys()]);
  return withChannel(ctx.conn.model(), async (ch) => {
    const groups: GroupCounts[] = [];
    for (const group of names) {
      const delays = new Set([
        ...(record?.retryDelays[group] ?? []),
        ...(state.groups.get(group)?.retryDelays ?? []),
      ]);
      let retrying = 0;
      for (const delay of delays)
        retrying += await readyCount(ch, retryQueue(channel, group, delay));
      groups.push({ group, ready: await readyCount(ch, groupQueue(channel, group)), retrying });
    }
    return { groups, deadLetterQueued: await readyCount(ch, deadLetterQueue(channel)) };
  });
}

/** This process's numbers of a channel, for its peers. */
export function localNumbers(ctx: RabbitMqContext, state: ChannelState): LocalGroupNumbers[] {
  const channel = state.settings.name;
  return [...state.groups.values()].map((group) => {
    const leases = ctx.leases.of(channel, group.name);
    let oldest = Number.POSITIVE_INFINITY;
    for (const lease of leases) oldest = Math.min(oldest, lease.receivedAt);
    if (group.held !== undefined) {
      oldest = Math.min(oldest, readStored(group.held.message).receivedAt);
    }
    return {
      group: group.name,
      leased: leases.length,
      held: group.reader.buffered() + (group.held === undefined ? 0 : 1),
      oldestReceivedAt: oldest === Number.POSITIVE_INFINITY ? 0 : oldest,
    };
  });
}

function groupStats(
  ctx: RabbitMqContext,
  state: ChannelState,
  counts: GroupCounts,
  remote: readonly LocalGroupNumbers[][],
): GroupStats {
  const channel = state.settings.name;
  const local = state.groups.get(counts.group);
  const leases = ctx.leases.of(channel, counts.group);
  const stashed = local?.reader.buffered() ?? 0;
  const held = local?.held;
  let remoteLeased = 0;
  let remoteHeld = 0;
  let oldest = Number.POSITIVE_INFINITY;
  for (const peer of remote) {
    for (const numbers of peer) {
      if (numbers.group !== counts.group) continue;
      remoteLeased += numbers.leased;
      remoteHeld += numbers.held;
      if (numbers.oldestReceivedAt > 0) oldest = Math.min(oldest, numbers.oldestReceivedAt);
    }
  }
  const pending =
    counts.ready + counts.retrying + stashed + (held === undefined ? 0 : 1) + remoteHeld;
  for (const lease of leases) oldest = Math.min(oldest, lease.receivedAt);
  if (held !== undefined) oldest = Math.min(oldest, readStored(held.message).receivedAt);
  if (counts.retrying > 0 && local !== undefined) {
    for (const receivedAt of local.retrying.values()) oldest = Math.min(oldest, receivedAt);
  }
  if (counts.ready + stashed > 0) {
    const taken = local?.takenSequence ?? 0n;
    const first = state.published.find((entry) => entry.sequence > taken);
    if (first !== undefined) oldest = Math.min(oldest, first.receivedAt);
  }
  return {
    group: counts.group,
    pending,
    inFlight: leases.length + remoteLeased,
    oldestUnackedAgeMs:
      oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, ctx.now() - Math.round(oldest)),
  };
}

/** Sets the backlog to the broker's numbers, unless a local change raced the read. */
function correctBacklog(state: ChannelState, version: number, groups: readonly GroupStats[]): void {
  if (state.version !== version || state.publishing > 0) return;
  for (const group of groups) {
    state.backlog.set(group.group, group.pending + group.inFlight);
  }
}

/** Re-reads group numbers from the broker and corrects the backlog. */
export async function refreshBacklog(
  ctx: RabbitMqContext,
  state: ChannelState,
  peers: Peers | undefined,
): Promise<void> {
  const version = state.version;
  const remote = peers === undefined ? [] : await peers.numbers(state.settings.name);
  const { groups } = await groupCounts(ctx, state, undefined);
  correctBacklog(
    state,
    version,
    groups.map((counts) => groupStats(ctx, state, counts, remote)),
  );
}

/** Reads the numbers of a channel. */
export async function readStats(
  ctx: RabbitMqContext,
  state: ChannelState,
  peers: Peers,
): Promise<ChannelStats> {
  await drainExpired(ctx, state);
  const record = await state.meta.read();
  const version = state.version;
  const remote = await peers.numbers(state.settings.name);
  const { groups: counts, deadLetterQueued } = await groupCounts(ctx, state, record);
  const groups = counts.map((entry) => groupStats(ctx, state, entry, remote));
  correctBacklog(state, version, groups);
  let queued = 0;
  let inFlight = 0;
  for (const group of groups) {
    queued = Math.max(queued, group.pending + group.inFlight);
    inFlight += group.inFlight;
  }
  return {
    channel: state.settings.name,
    queued,
    inFlight,
    delivered: record.delivered,
    expired: record.expired,
    deadLettered: record.deadLettered,
    deadLetterQueued,
    groups,
  };
}
