/**
 * This process's state of a channel's groups: opening a group (its reader
 * and bookkeeping) and trimming what the lag figures keep in memory.
 */
import type { ChannelState, GroupState, RabbitMqContext } from "./context.js";
import { GroupReader } from "./group-reader.js";
import { groupQueue } from "./names.js";
import { giveBack } from "./settle.js";

/** Largest prefetch of one group consumer. */
const MAX_PREFETCH = 1_000;

/** Messages per group whose receipt time is kept while they wait for a retry (for lag). */
const MAX_RETRYING = 10_000;

/** Opens a group of the channel in this process (idempotent). */
export function openGroup(ctx: RabbitMqContext, state: ChannelState, name: string): GroupState {
  const existing = state.groups.get(name);
  if (existing !== undefined) return existing;
  const channel = state.settings.name;
  const group: GroupState = {
    name,
    reader: new GroupReader(() => ctx.conn.model(), groupQueue(channel, name), {
      onUnclaimed: (deliveries) => giveBack(ctx, state, group, deliveries),
      prefetch: () =>
        state.settings.ordered
          ? { count: 1, grow: false }
          : {
              count: Math.min(MAX_PREFETCH, state.settings.maxInFlight),
              grow: true,
            },
      onLost: (generation) => {
        ctx.leases.dropWhere(
          (lease) => lease.reader === group.reader && lease.got.generation === generation,
        );
        if (group.held?.readerGeneration === generation) group.held = undefined;
      },
    }),
    retryDelays: new Set(),
    takenSequence: 0n,
    retrying: new Map(),
    held: undefined,
    changed: new Set(),
  };
  state.groups.set(name, group);
  if (!state.backlog.has(name)) state.backlog.set(name, 0);
  return group;
}

/** Bounds the retry receipt times of a group. */
export function trimRetrying(group: GroupState): void {
  // Entries of messages another receiver took are never cleared here.
  for (const key of group.retrying.keys()) {
    if (group.retrying.size <= MAX_RETRYING) break;
    group.retrying.delete(key);
  }
}

/** Drops recent publishes every group has taken (and beyond the queue limit). */
export function trimPublished(state: ChannelState): void {
  let taken: bigint | undefined;
  for (const group of state.groups.values()) {
    taken = taken === undefined || group.takenSequence < taken ? group.takenSequence : taken;
  }
  const published = state.published;
  let drop = 0;
  while (drop < published.length && published[drop]!.sequence <= (taken ?? 0n)) drop++;
  drop = Math.max(drop, published.length - state.settings.maxQueueSize);
  if (drop > 0) published.splice(0, drop);
}
