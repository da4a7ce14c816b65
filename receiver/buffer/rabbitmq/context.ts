/** What the parts of the RabbitMQ buffer share. */
import type { Message } from "amqplib";
import type { BufferEvent, ChannelSettings } from "../buffer.js";
import { requireEnsured } from "../server-backend.js";
import type { TrackedConnection } from "./connection.js";
import type { GroupReader } from "./group-reader.js";
import type { LeaseRegistry } from "./leases.js";
import type { ChannelMeta } from "./meta.js";
import type { QueueType } from "./topology.js";

/**
 * What the buffer reports outside calls: the seam's events. A broker alarm
 * that blocks publishes is reported as `disconnected` (ingest answers 503
 * until it lifts) and `reconnected`.
 */
export type RabbitMqBufferEvent = BufferEvent;

/** A message waiting in this process for its retry (ordered channels only). */
export interface HeldRetry {
  /** The delivery, still unacked on the group's channel. */
  readonly message: Message;
  /** Its reader generation. */
  readonly readerGeneration: number;
  /** Serial of the consumer that received it. */
  readonly consumer: number;
  /** Deliveries made so far. */
  readonly attempts: number;
  /** When it may be delivered again (ms since epoch). */
  readonly notBefore: number;
}

/** This process's view of one group. */
export interface GroupState {
  /** Group name. */
  readonly name: string;
  /** The group's reader (channel, waiting consumer). */
  readonly reader: GroupReader;
  /** Retry delays (ms) whose queues this process declared. */
  readonly retryDelays: Set<number>;
  /** Highest sequence of a first delivery taken from the queue here (for lag). */
  takenSequence: bigint;
  /** receivedAt of messages this process sent to a retry queue, by message id (for lag). */
  readonly retrying: Map<string, number>;
  /** Ordered channels: the message waiting for its retry. */
  held: HeldRetry | undefined;
  /** Wakes fetches waiting on an ordered group. */
  readonly changed: Set<() => void>;
}

/** This process's view of one channel. */
export interface ChannelState {
  /** Settings from the last ensureChannel. */
  settings: ChannelSettings;
  /** The shared record. */
  readonly meta: ChannelMeta;
  /** Groups known here. */
  readonly groups: Map<string, GroupState>;
  /** Messages not finished per group (ready, leased or retrying), as last known. */
  readonly backlog: Map<string, number>;
  /** Publishes sent and not yet confirmed. */
  publishing: number;
  /** Bumped on every local change of backlog, so a refresh can tell it raced one. */
  version: number;
  /** Recent publishes by message id, for idempotent re-publish. */
  readonly recent: Map<string, Promise<{ sequence: bigint }>>;
  /** Sequence and receivedAt of recent publishes, oldest first (for lag). */
  readonly published: { sequence: bigint; receivedAt: number }[];
}

/** Shared state of one RabbitMQ buffer. */
export interface RabbitMqContext {
  /** The connection that consumes, acks and reads queue numbers. */
  readonly conn: TrackedConnection;
  /**
   * The connection that publishes (messages, retries, dead letters, shared
   * records, peer requests). Apart, because a broker under a memory or disk
   * alarm blocks every connection that publishes: consumers on the other
   * one keep draining the queues meanwhile.
   */
  readonly pub: TrackedConnection;
  /** Leases held by this process. */
  readonly leases: LeaseRegistry;
  /** Channels ensured by this process. */
  readonly channels: Map<string, ChannelState>;
  /** Type of group and retry queues. */
  readonly queueType: QueueType;
  /** Clock (ms since epoch). */
  readonly now: () => number;
  /** Timeout of a publisher confirm. */
  readonly publishTimeoutMs: number;
  /** Reports an event nobody awaits. */
  readonly emit: (event: RabbitMqBufferEvent) => void;
}

/** A channel this process ensured; throws UnknownChannelError. */
export function requireChannel(ctx: RabbitMqContext, channel: string): ChannelState {
  return requireEnsured(ctx.channels, channel);
}

/** Adds to a group's backlog. */
export function addBacklog(state: ChannelState, group: string, by: number): void {
  state.backlog.set(group, Math.max(0, (state.backlog.get(group) ?? 0) + by));
  state.version++;
}

/** Messages queued in the channel: the largest group backlog. */
export function queuedOf(state: ChannelState): number {
  let queued = 0;
  for (const count of state.backlog.values()) queued = Math.max(queued, count);
  return queued;
}

/** Wakes fetches waiting on a group of an ordered channel. */
export function notifyChanged(group: GroupState): void {
  for (const wake of [...group.changed]) wake();
}
