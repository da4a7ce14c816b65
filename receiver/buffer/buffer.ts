/**
 * The buffer seam: durable per-channel storage with leases. Every backend
 * (embedded SQLite, NATS JetStream, Redis Streams, RabbitMQ) implements this
 * interface and passes tests/conformance/buffer.conformance.ts.
 *
 * Semantics (SPEC §4), identical for every backend:
 * - `publish` resolves only once the message is durable; it rejects with
 *   `QueueFullError` when the channel holds `maxQueueSize` messages and with
 *   `BufferUnavailableError` when the backend cannot store it. Never both
 *   stored and rejected.
 * - Every group of a channel receives every message published after the
 *   group was created. The default group exists from channel creation.
 *   Connections of one group share its messages (load balancing).
 * - `fetch` leases messages to one consumer for `ackTimeoutSeconds`; an
 *   unacked lease expires and the message becomes available again with
 *   `deliveryAttempt + 1`. Within a group messages are handed out in
 *   ingest (sequence) order. With `ordered`, a group has at most one
 *   message leased at a time and a message waiting for its retry blocks
 *   the ones behind it.
 * - `nack` with retry makes the message available again after
 *   `nackDelayMs(attempt, requested)`; without retry, or when
 *   `maxDeliveryAttempts` is reached, it moves to the dead-letter queue
 *   with the reason. A lease that expires on the last allowed attempt
 *   dead-letters the message too.
 * - Messages past their `expiresAt` are dropped, never delivered, and
 *   counted as expired.
 * - A message leaves the channel when every group acked it, or it expired
 *   or was dead-lettered in every group.
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";

/** The name of a channel's implicit group. */
export const DEFAULT_GROUP = "default";

/** Settings of one channel, from the `webhook_connect` module-config. */
export interface ChannelSettings {
  /** Channel name, `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`. */
  readonly name: string;
  /** Message time-to-live. @default 86400 */
  readonly ttlSeconds: number;
  /** Most messages queued (unacked by some group) at once. @default 10000 */
  readonly maxQueueSize: number;
  /** Most concurrent connector connections. @default 10 */
  readonly maxConnections: number;
  /** Most unacked messages per connection. @default 100 */
  readonly maxInFlight: number;
  /** Lease length before an unacked message is redelivered. @default 30 */
  readonly ackTimeoutSeconds: number;
  /** Deliveries before a message is dead-lettered. @default 10 */
  readonly maxDeliveryAttempts: number;
  /** Largest accepted body. @default 10485760 */
  readonly maxMessageBytes: number;
  /** One message in flight per group, so order holds end to end. @default false */
  readonly ordered: boolean;
}

/**
 * A message already in its stored form: the protobuf WebhookMessage with
 * sequence and delivery attempt unset and `expires_at` set, plus the
 * fields a backend needs without decoding it. What ingest hands over, so
 * no backend encodes the message again.
 */
export interface EncodedMessage {
  /** Its `message_id`. */
  readonly messageId: string;
  /** Its `webhook_id`. */
  readonly webhookId: string;
  /** Its `expires_at` in ms since epoch. */
  readonly expiresAtMs: number;
  /** The encoded WebhookMessage. */
  readonly bytes: Uint8Array;
}

/** Result of a durable publish. */
export interface PublishResult {
  /** Sequence assigned to the message within its channel. */
  readonly sequence: bigint;
  /** true when the message id was already stored (idempotent re-publish). */
  readonly duplicate: boolean;
}

/** A request for leased messages. */
export interface FetchRequest {
  /** Channel to consume. */
  readonly channel: string;
  /** Group to consume; `DEFAULT_GROUP` when none was named. */
  readonly group: string;
  /** Lease owner (the connection id); used by `release`. */
  readonly consumerId: string;
  /** Most messages to return (at least 1). */
  readonly max: number;
  /**
   * Longest time to wait for a first message when none is ready; 0 returns
   * at once. `Infinity` only where `features.waitsWithoutDeadline`.
   */
  readonly waitMs: number;
  /** Aborting resolves the fetch early with what it has (usually nothing). */
  readonly signal?: AbortSignal;
}

/** One leased message. */
export interface Delivery {
  /** The message's id (available without decoding the message). */
  readonly messageId: string;
  /** Its delivery attempt, counting from 1 (available without decoding the message). */
  readonly deliveryAttempt: number;
  /**
   * The message with `sequence` and `deliveryAttempt` filled in. Backends
   * that hold the encoded bytes decode it only when this is first read.
   */
  readonly message: WebhookMessage;
  /**
   * The protobuf encoding of `message` (sequence and attempt included) when
   * the backend has it: transports that speak protobuf send these bytes as
   * they are instead of encoding the message again.
   */
  readonly encoded?: Uint8Array;
  /** Group the lease belongs to. */
  readonly group: string;
  /** When the lease runs out (ms since epoch). */
  readonly leaseExpiresAt: number;
}

/** How a negative acknowledgement is handled. */
export interface NackOptions {
  /** true: redeliver after a backoff; false: dead-letter now. */
  readonly retry: boolean;
  /** Why the delivery failed; kept with the dead letter. */
  readonly reason: string;
  /** A minimum delay asked for by the connector (e.g. a target's Retry-After). */
  readonly requestedDelayMs?: number;
}

/**
 * What an ack or nack did: `acked` removed it for the group, `requeued` made
 * it available again later, `dead_lettered` moved it to the dead-letter
 * queue, `not_found` means it is not in the group any more (already acked,
 * expired or dead-lettered) — acks are idempotent, so this is not an error
 * for the connector.
 */
export type SettleOutcome = "acked" | "requeued" | "dead_lettered" | "not_found";

/** Numbers of one group, from the backend itself. */
export interface GroupStats {
  /** Group name. */
  readonly group: string;
  /** Messages waiting for this group (not leased). */
  readonly pending: number;
  /** Messages leased to a connection of this group. */
  readonly inFlight: number;
  /**
   * Age in ms of the oldest message the group has not finished (pending or
   * in flight), measured from when it was received; 0 when there is none.
   * How far behind the group's connectors are.
   */
  readonly oldestUnackedAgeMs: number;
}

/** Numbers of one channel, from the backend itself (the same on every replica). */
export interface ChannelStats {
  /** Channel name. */
  readonly channel: string;
  /** Messages stored and not yet acked by every group. */
  readonly queued: number;
  /** Deliveries leased and not yet settled, over all groups. */
  readonly inFlight: number;
  /** Acks applied since the channel was created. */
  readonly delivered: number;
  /** Messages dropped because their TTL passed. */
  readonly expired: number;
  /** Messages moved to the dead-letter queue since the channel was created. */
  readonly deadLettered: number;
  /** Messages in the dead-letter queue now. */
  readonly deadLetterQueued: number;
  /** Per-group numbers. */
  readonly groups: readonly GroupStats[];
}

/** One message in the dead-letter queue. */
export interface DeadLetter {
  /** The message as it was last delivered. */
  readonly message: WebhookMessage;
  /** Group whose delivery failed. */
  readonly group: string;
  /** Why it was dead-lettered. */
  readonly reason: string;
  /** Deliveries made before it was dead-lettered. */
  readonly attempts: number;
  /** When the first delivery failed (ms since epoch). */
  readonly firstFailedAt: number;
  /** When it was dead-lettered (ms since epoch). */
  readonly deadLetteredAt: number;
}

/** Which dead letters an operation applies to; an empty filter means all. */
export interface DeadLetterFilter {
  /** Only these message ids. */
  readonly messageIds?: readonly string[];
  /** Only dead letters of this group. */
  readonly group?: string;
  /** Only dead-lettered at or after this time (ms since epoch). */
  readonly from?: number;
  /** Only dead-lettered before this time (ms since epoch). */
  readonly to?: number;
}

/** Optional behaviours a backend declares, used by the conformance suite. */
export interface BufferFeatures {
  /** Several receiver processes may share the backend. */
  readonly sharedAcrossProcesses: boolean;
  /** Stored data survives a restart of the receiver process. */
  readonly durableAcrossRestart: boolean;
  /**
   * A fetch may wait without a deadline (`waitMs: Infinity`): it is woken
   * in-process by a publish, a message coming due, close or abort, and
   * costs no timer or server request while it waits. Backends that wait on
   * a server keep bounded waits.
   */
  readonly waitsWithoutDeadline: boolean;
}

/** Durable per-channel message storage with leases. */
export interface Buffer {
  /** Backend name (`sqlite`, `jetstream`, `redis`, `rabbitmq`). */
  readonly kind: string;
  /** Optional behaviours. */
  readonly features: BufferFeatures;
  /**
   * Creates the channel (and its default group) or updates its settings.
   * Called for every channel at start-up, before any ingest.
   */
  ensureChannel(settings: ChannelSettings): Promise<void>;
  /**
   * Creates a fan-out group if it does not exist yet. It receives every
   * message published from now on.
   */
  ensureGroup(channel: string, group: string): Promise<void>;
  /**
   * Stores a message durably. `message.messageId`, `receivedAt` and
   * `expiresAt` are set by the caller; the backend assigns `sequence`.
   * Rejects with QueueFullError, BufferUnavailableError or UnknownChannelError.
   */
  publish(channel: string, message: WebhookMessage): Promise<PublishResult>;
  /**
   * Stores a message that is already encoded (see EncodedMessage), with the
   * same guarantees and errors as `publish`. Optional: without it the
   * caller builds a WebhookMessage and calls `publish`.
   */
  publishEncoded?(channel: string, message: EncodedMessage): Promise<PublishResult>;
  /** Leases up to `max` ready messages, waiting up to `waitMs` for the first. */
  fetch(request: FetchRequest): Promise<Delivery[]>;
  /** Removes the message for the group. Idempotent. */
  ack(channel: string, group: string, messageId: string): Promise<SettleOutcome>;
  /** Requeues with backoff or dead-letters the message (see NackOptions). */
  nack(
    channel: string,
    group: string,
    messageId: string,
    options: NackOptions,
  ): Promise<SettleOutcome>;
  /**
   * Returns leases of a consumer that went away to the group at once,
   * without waiting for the ack timeout. The attempt stays counted.
   */
  release(channel: string, group: string, consumerId: string): Promise<void>;
  /** Real numbers of the channel from the backend. */
  stats(channel: string): Promise<ChannelStats>;
  /** Dead letters, oldest first. */
  listDeadLetters(
    channel: string,
    options: { limit: number; offset: number; filter?: DeadLetterFilter },
  ): Promise<DeadLetter[]>;
  /**
   * Puts dead letters back into the channel for their group (or for
   * `targetGroup`), as new deliveries with the attempt count reset. Returns
   * how many were replayed.
   */
  replayDeadLetters(
    channel: string,
    filter: DeadLetterFilter,
    targetGroup?: string,
  ): Promise<number>;
  /** Deletes dead letters; returns how many. */
  purgeDeadLetters(channel: string, filter: DeadLetterFilter): Promise<number>;
  /** Reads a value of shared channel state (e.g. rotated tokens). */
  getState(key: string): Promise<string | undefined>;
  /** Writes a value of shared channel state, durably. */
  setState(key: string, value: string): Promise<void>;
  /** Resolves when the backend is reachable; rejects with BufferUnavailableError. */
  ping(): Promise<void>;
  /**
   * Largest body the backend can store, when it has a limit of its own
   * below any channel's `max_message_bytes` (e.g. a broker's max payload
   * less the envelope). Ingest answers 413 above it rather than accepting
   * what can never be stored. Undefined: no backend limit.
   */
  maxBodyBytes?(): number | undefined;
  /** Flushes pending writes and closes connections. */
  close(): Promise<void>;
}

/** Options every backend factory accepts. */
export interface BufferOptions {
  /** Clock in ms since epoch, replaceable in tests. @default Date.now */
  readonly now?: () => number;
  /** Told what happens to the backend beside the calls made to it (logged by the receiver). */
  readonly onEvent?: (event: BufferEvent) => void;
}

/** Something that happened to a backend outside any call (every backend reports these). */
export type BufferEvent =
  /** The connection to the broker went down; calls reject until `reconnected`. */
  | { readonly type: "disconnected" }
  /** The connection to the broker is back. */
  | { readonly type: "reconnected" }
  /** A background task (expiry sweep, counters, advisories) failed; it is retried. */
  | { readonly type: "backgroundError"; readonly task: string; readonly error: unknown }
  /** A stored message could not be decoded; it is skipped (and dead-lettered where possible). */
  | { readonly type: "undecodable"; readonly channel: string; readonly streamSeq: number };
