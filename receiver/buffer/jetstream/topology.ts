/**
 * Streams and consumers of a channel, created or brought up to date from the
 * channel settings (a changed setting on restart is applied as an update,
 * not reported as a conflict).
 *
 * - Channel stream `WC_<ch>`: subjects `wc.<ch>.>`, file storage, interest
 *   retention (a message leaves once every group acked or terminated it),
 *   `max_msgs` = maxQueueSize with discard-new (a full channel rejects the
 *   publish), a duplicate window on `Nats-Msg-Id` = message_id.
 *   `max_age` is the TTL plus EXPIRY_GRACE_SECONDS: the expiry sweep
 *   (expiry.ts) drops and counts messages at their `expiresAt`; `max_age`
 *   is only the backstop when no replica runs, so expiries stay countable.
 * - Dead-letter stream `WCDL_<ch>`: limits retention, no age limit.
 * - Both keep `replicas` copies (replicas.ts); a changed number on restart
 *   scales the existing streams, and their consumers follow (they inherit
 *   the stream's replicas).
 * - One durable pull consumer per group, explicit ack, `ack_wait` = the
 *   lease, `max_deliver` = maxDeliveryAttempts + 1 (fetch dead-letters the
 *   extra delivery itself, see fetch.ts; the server limit is a backstop that
 *   raises the max-deliveries advisory), `max_ack_pending` 1 when ordered
 *   and unlimited otherwise.
 */
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { ChannelSettings } from "../buffer.js";
import { ERR_CONSUMER_NOT_FOUND, ERR_STREAM_NOT_FOUND, errCodeOf } from "./api.js";
import {
  channelStream,
  channelSubjects,
  consumerName,
  deadLetterStream,
  deadLetterSubjects,
} from "./names.js";
import { placing } from "./replicas.js";

/** Seconds the stream keeps a message past its TTL before JetStream drops it uncounted. */
export const EXPIRY_GRACE_SECONDS = 300;
/** Longest duplicate window (bounded by the TTL). */
export const DUPLICATE_WINDOW_SECONDS = 120;

const NS_PER_SECOND = 1_000_000_000;

function nanos(seconds: number): number {
  return Math.round(seconds * NS_PER_SECOND);
}

/** The channel stream's settable fields for `settings`. */
export function channelStreamConfig(settings: ChannelSettings): Partial<StreamConfig> {
  return {
    subjects: [channelSubjects(settings.name)],
    max_msgs: settings.maxQueueSize,
    discard: DiscardPolicy.New,
    max_age: nanos(settings.ttlSeconds + EXPIRY_GRACE_SECONDS),
    duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_SECONDS, settings.ttlSeconds)),
    max_msg_size: -1,
  };
}

/** The consumer's settable fields for `settings`. */
export function groupConsumerConfig(settings: ChannelSettings): Partial<ConsumerConfig> {
  return {
    ack_wait: nanos(settings.ackTimeoutSeconds),
    max_deliver: settings.maxDeliveryAttempts + 1,
    // Unlimited otherwise: connections limit their own in-flight messages,
    // and fetch.ts relies on `no_wait` pulls, safe only without a limit.
    max_ack_pending: settings.ordered ? 1 : -1,
  };
}

function differs<T extends object>(current: T, wanted: Partial<T>): boolean {
  for (const [key, value] of Object.entries(wanted)) {
    const existing = (current as Record<string, unknown>)[key];
    if (JSON.stringify(existing) !== JSON.stringify(value)) return true;
  }
  return false;
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  base: Partial<StreamConfig>,
  settable: Partial<StreamConfig>,
): Promise<void> {
  const replicas = settable.num_replicas ?? 1;
  let current: StreamConfig;
  try {
    current = (await jsm.streams.info(name)).config;
  } catch (error) {
    if (errCodeOf(error) !== ERR_STREAM_NOT_FOUND) throw error;
    await placing(replicas, () => jsm.streams.add({ ...base, ...settable, name }));
    return;
  }
  if (differs(current, settable)) {
    await placing(replicas, () => jsm.streams.update(name, settable));
  }
}

/**
 * Creates or updates the channel stream and its dead-letter stream, each
 * with `replicas` copies; throws ReplicasUnavailableError when the cluster
 * cannot place them.
 */
export async function ensureChannelStreams(
  jsm: JetStreamManager,
  settings: ChannelSettings,
  replicas: number,
): Promise<void> {
  await ensureStream(
    jsm,
    channelStream(settings.name),
    { retention: RetentionPolicy.Interest, storage: StorageType.File },
    { ...channelStreamConfig(settings), num_replicas: replicas },
  );
  await ensureStream(
    jsm,
    deadLetterStream(settings.name),
    { retention: RetentionPolicy.Limits, storage: StorageType.File },
    {
      num_replicas: replicas,
      subjects: [deadLetterSubjects(settings.name)],
      discard: DiscardPolicy.Old,
      max_age: 0,
      max_msgs: -1,
      duplicate_window: nanos(DUPLICATE_WINDOW_SECONDS),
    },
  );
}

/**
 * Creates or updates the durable consumer of a group. A new group starts at
 * the next message published (deliver policy `new`).
 */
export async function ensureGroupConsumer(
  jsm: JetStreamManager,
  settings: ChannelSettings,
  group: string,
): Promise<void> {
  const stream = channelStream(settings.name);
  const durable = consumerName(group);
  const settable = groupConsumerConfig(settings);
  try {
    const info = await jsm.consumers.info(stream, durable);
    if (differs(info.config, settable)) await jsm.consumers.update(stream, durable, settable);
  } catch (error) {
    if (errCodeOf(error) !== ERR_CONSUMER_NOT_FOUND) throw error;
    await jsm.consumers.add(stream, {
      ...settable,
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      replay_policy: ReplayPolicy.Instant,
    });
  }
}
