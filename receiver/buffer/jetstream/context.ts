/** What the parts of the JetStream buffer share. */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { BufferEvent, ChannelSettings } from "../buffer.js";
import { requireEnsured } from "../server-backend.js";
import type { TrackedConnection } from "./connection.js";
import type { Counters } from "./counters.js";
import type { LeaseRegistry } from "./leases.js";
import type { Publisher } from "./publisher.js";

/** Something the buffer noticed but could not report to a caller. */
/** Events of the JetStream buffer: those of every backend. */
export type JetStreamBufferEvent = BufferEvent;

/** Shared state of one JetStream buffer. */
export interface JetStreamContext {
  /** Tracked connection. */
  readonly conn: TrackedConnection;
  /** The NATS connection. */
  readonly nc: NatsConnection;
  /** JetStream management API. */
  readonly jsm: JetStreamManager;
  /** Coalescing publisher. */
  readonly publisher: Publisher;
  /** Shared counters. */
  readonly counters: Counters;
  /** Leases held by this replica. */
  readonly leases: LeaseRegistry;
  /** Channels ensured by this replica. */
  readonly channels: Map<string, ChannelSettings>;
  /** Clock (ms since epoch). */
  readonly now: () => number;
  /** Timeout of one JetStream API or ack request. */
  readonly requestTimeoutMs: number;
  /** Reports an event nobody awaits. */
  readonly emit: (event: JetStreamBufferEvent) => void;
}

/** Settings of a channel this replica ensured; throws UnknownChannelError. */
export function requireChannel(ctx: JetStreamContext, channel: string): ChannelSettings {
  return requireEnsured(ctx.channels, channel);
}
