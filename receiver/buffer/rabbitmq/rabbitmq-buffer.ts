/**
 * The RabbitMQ buffer (`amqp://user:pass@host:port/vhost`, `amqps://` for
 * TLS): a fanout exchange per channel, a durable quorum queue per group
 * (every group receives every message published after it was created),
 * persistent messages, publisher confirms before a publish resolves,
 * per-delay retry queues for nacks, a dead-letter queue per channel, and a
 * shared record per channel for counters and sequences (see topology.ts).
 * Several receiver processes may share one broker: ingest on one, stream
 * from another. Leases are unacked deliveries of the process that handed
 * them out, so acks go to that process; when it goes away the broker
 * redelivers. The connection reconnects forever; while the broker is away
 * every call rejects quickly with BufferUnavailableError.
 */

import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { encodeWebhookMessage } from "../../../wire/index.js";
import { BufferUnavailableError } from "../../errors.js";
import {
  type Buffer,
  type BufferOptions,
  type ChannelSettings,
  DEFAULT_GROUP,
  type EncodedMessage,
  type SettleOutcome,
} from "../buffer.js";
import { ackAndNack, createGuard, type Settle, SHARED_SERVER_FEATURES } from "../server-backend.js";
import { openConnection, redactUrl, type TrackedConnection } from "./connection.js";
import {
  type ChannelState,
  type GroupState,
  type RabbitMqBufferEvent,
  type RabbitMqContext,
  requireChannel,
} from "./context.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { fetchDeliveries } from "./fetch.js";
import { openGroup, trimPublished, trimRetrying } from "./groups.js";
import { LeaseRegistry } from "./leases.js";
import { ChannelMeta } from "./meta.js";
import { groupQueue, STATE_QUEUE } from "./names.js";
import { createPeers, type SettleRequest } from "./peers.js";
import { ackLease, nackLease, releaseLeases } from "./settle.js";
import { drainExpired, localNumbers, readStats, refreshBacklog } from "./stats.js";
import { storeMessage } from "./store.js";
import { withToken } from "./token.js";
import {
  ensureChannelObjects,
  ensureGroupQueue,
  ensureStateQueue,
  type QueueType,
  withChannel,
} from "./topology.js";

/** Options of createRabbitMqBuffer. */
export interface RabbitMqBufferOptions extends BufferOptions {
  /** `amqp://user:pass@host:port/vhost` or `amqps://…`. */
  readonly url: string;
  /** Group and retry queue type; classic where quorum queues are not available. @default "quorum" */
  readonly queueType?: QueueType;
  /** Connection name shown by the broker. @default "webhook-connect-receiver" */
  readonly name?: string;
  /** Timeout of one connect attempt. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Timeout of a publisher confirm. @default 5000 */
  readonly publishTimeoutMs?: number;
  /** AMQP heartbeat, in seconds: a silent broker counts as gone after two. @default 5 */
  readonly heartbeatSeconds?: number;
  /** How long an ack or stats read waits for other receiver processes to answer. @default 500 */
  readonly peerTimeoutMs?: number;
  /** Interval of the background work: counters, expired messages, backlog. @default 2000 */
  readonly sweepIntervalMs?: number;
  /** Receives events nobody awaits (connection changes, background failures). */
  readonly onEvent?: (event: RabbitMqBufferEvent) => void;
}

/** Every how many sweeps the channel's groups are re-read from its record. */
const GROUP_RELOAD_SWEEPS = 10;

/** Opens the RabbitMQ buffer; rejects with BufferUnavailableError when the broker cannot be reached. */
export async function createRabbitMqBuffer(options: RabbitMqBufferOptions): Promise<Buffer> {
  const connection = (role: string) =>
    openConnection({
      url: options.url,
      name: `${options.name ?? "webhook-connect-receiver"} (${role})`,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      heartbeatSeconds: options.heartbeatSeconds ?? 5,
    });
  const [consuming, publishing] = await Promise.allSettled([
    connection("consume"),
    connection("publish"),
  ]);
  if (consuming.status === "rejected" || publishing.status === "rejected") {
    for (const opened of [consuming, publishing]) {
      if (opened.status === "fulfilled") await opened.value.close();
    }
    throw consuming.status === "rejected"
      ? consuming.reason
      : (publishing as PromiseRejectedResult).reason;
  }
  const conn: TrackedConnection = consuming.value;
  const pub: TrackedConnection = publishing.value;
  const emit = (event: RabbitMqBufferEvent) => options.onEvent?.(event);
  const unusable = async (error: unknown) => {
    await Promise.all([conn.close(), pub.close()]);
    return new BufferUnavailableError(`RabbitMQ at ${redactUrl(options.url)} is not usable`, error);
  };
  const stateQueue = ensureStateQueue(conn.model());
  // Awaited below, together with the peer link.
  stateQueue.catch(() => undefined);
  const ctx: RabbitMqContext = {
    conn,
    pub,
    leases: new LeaseRegistry(),
    channels: new Map(),
    queueType: options.queueType ?? "quorum",
    now: options.now ?? Date.now,
    publishTimeoutMs: options.publishTimeoutMs ?? 5_000,
    emit,
  };
  let closed = false;
  const guard = createGuard({
    closedMessage: "RabbitMQ buffer is closed",
    isClosed: () => closed,
    // Throws while the consuming connection is down.
    assertReachable: () => conn.model(),
    failed: (what, error) => new BufferUnavailableError(`RabbitMQ failed while ${what}`, error),
  });
  const peers = createPeers(
    pub,
    {
      settle: (request) =>
        ctx.channels.has(request.channel) ? settleHere(request) : Promise.resolve("not_found"),
      numbers: (channel) => {
        const state = ctx.channels.get(channel);
        return state === undefined ? [] : localNumbers(ctx, state);
      },
    },
    options.peerTimeoutMs ?? 500,
  );
  try {
    await Promise.all([stateQueue, peers.ensure()]);
  } catch (error) {
    throw await unusable(error);
  }

  // One "disconnected" while either connection is down (or publishes are
  // blocked by a broker alarm), one "reconnected" once all is well again.
  const up = { consume: true, publish: true, unblocked: true };
  let reported = true;
  const report = () => {
    const now = up.consume && up.publish && up.unblocked;
    if (now === reported) return;
    reported = now;
    emit({ type: now ? "reconnected" : "disconnected" });
  };
  conn.onChange((connected) => {
    if (!connected) {
      // Every delivery of the old connection is back in its queue.
      ctx.leases.dropWhere(() => true);
      for (const state of ctx.channels.values()) {
        for (const group of state.groups.values()) group.held = undefined;
      }
    }
    up.consume = connected;
    report();
  });
  pub.onChange((connected) => {
    up.publish = connected;
    report();
  });
  pub.onBlocked((blocked) => {
    up.unblocked = !blocked;
    report();
  });

  const background = (task: string) => (error: unknown) =>
    emit({ type: "backgroundError", task, error });

  let sweeps = 0;
  const sweep = setInterval(() => {
    if (!conn.connected() || !pub.connected()) return;
    sweeps++;
    for (const state of ctx.channels.values()) {
      void (async () => {
        await peers.ensure();
        await state.meta.flush();
        // Now and then, pick up groups other receivers created (for the queue limit).
        if (sweeps % GROUP_RELOAD_SWEEPS === 0) {
          for (const group of (await state.meta.read()).groups) openGroup(ctx, state, group);
        }
        await drainExpired(ctx, state);
        await refreshBacklog(ctx, state, peers);
        trimPublished(state);
        for (const group of state.groups.values()) trimRetrying(group);
      })().catch(background("sweep"));
    }
  }, options.sweepIntervalMs ?? 2_000);
  sweep.unref();

  async function declareGroupQueue(settings: ChannelSettings, group: string): Promise<void> {
    const name = settings.name;
    if (!(await ensureGroupQueue(conn.model(), name, group, ctx.queueType, settings.ordered))) {
      const error = new Error(
        `queue ${groupQueue(name, group)} was created when the channel was ${settings.ordered ? "not " : ""}ordered and is used as it is; delete it (when empty) to apply ordered: ${settings.ordered}`,
      );
      emit({ type: "backgroundError", task: "declaring a group queue", error });
    }
  }

  async function ensureGroupHere(state: ChannelState, group: string): Promise<GroupState> {
    const known = state.groups.get(group);
    if (known !== undefined) return known;
    await declareGroupQueue(state.settings, group);
    await state.meta.ensureGroups([group]);
    const opened = openGroup(ctx, state, group);
    await refreshBacklog(ctx, state, peers);
    return opened;
  }

  /** Settles a lease this process holds; "not_found" when it holds none. */
  async function settleHere(request: SettleRequest): Promise<SettleOutcome> {
    const state = requireChannel(ctx, request.channel);
    const group = state.groups.get(request.group);
    if (group === undefined) return "not_found";
    const lease = ctx.leases.take(request.channel, request.group, request.messageId);
    if (lease === undefined) return "not_found";
    if (request.nack === undefined) return ackLease(state, group, lease);
    return nackLease(ctx, state, group, lease, request.nack);
  }

  /** Settles here, or asks the process holding the lease. */
  const settle: Settle = async (channel, group, messageId, nack) => {
    requireChannel(ctx, channel);
    const request: SettleRequest =
      nack === undefined ? { channel, group, messageId } : { channel, group, messageId, nack };
    const outcome = await settleHere(request);
    return outcome === "not_found" ? peers.settle(request) : outcome;
  };

  const buffer: Buffer = {
    kind: "rabbitmq",
    features: SHARED_SERVER_FEATURES,

    ensureChannel: (settings: ChannelSettings) =>
      guard("creating the channel", async () => {
        const existing = ctx.channels.get(settings.name);
        if (existing !== undefined) {
          existing.settings = settings;
          return;
        }
        await ensureChannelObjects(conn.model(), settings.name);
        const meta = new ChannelMeta(pub, settings.name, ctx.publishTimeoutMs);
        const groups = await meta.ensureGroups([DEFAULT_GROUP]);
        for (const group of groups) {
          await declareGroupQueue(settings, group);
        }
        const state: ChannelState = {
          settings,
          meta,
          groups: new Map(),
          backlog: new Map(),
          publishing: 0,
          version: 0,
          recent: new Map(),
          published: [],
        };
        for (const group of groups) openGroup(ctx, state, group);
        await refreshBacklog(ctx, state, peers);
        ctx.channels.set(settings.name, state);
      }),

    ensureGroup: (channel, group) =>
      guard("creating the group", async () => {
        await ensureGroupHere(requireChannel(ctx, channel), group);
      }),

    publish: (channel: string, message: WebhookMessage) =>
      guard("storing the message", () =>
        storeMessage(
          ctx,
          channel,
          message.messageId,
          encodeWebhookMessage(message),
          message.expiresAt === undefined ? 0 : timestampMs(message.expiresAt),
        ),
      ),

    publishEncoded: (channel: string, message: EncodedMessage) =>
      guard("storing the message", () =>
        storeMessage(ctx, channel, message.messageId, message.bytes, message.expiresAtMs),
      ),

    fetch: (request) =>
      guard("fetching messages", async () => {
        const state = requireChannel(ctx, request.channel);
        const group = await ensureGroupHere(state, request.group);
        return fetchDeliveries(ctx, state, group, request);
      }),

    ...ackAndNack(guard, settle),

    release: (channel, group, consumerId) =>
      guard("releasing leases", async () => {
        const state = requireChannel(ctx, channel);
        const groupState = state.groups.get(group);
        if (groupState !== undefined) releaseLeases(ctx, state, groupState, consumerId);
      }),

    stats: (channel) =>
      guard("reading stats", () => readStats(ctx, requireChannel(ctx, channel), peers)),

    listDeadLetters: (channel, listOptions) =>
      guard("listing dead letters", () =>
        listDeadLetters(ctx, requireChannel(ctx, channel), listOptions),
      ),

    replayDeadLetters: (channel, filter, targetGroup) =>
      guard("replaying dead letters", () => {
        const state = requireChannel(ctx, channel);
        return replayDeadLetters(ctx, state, filter, targetGroup, async (group) => {
          await ensureGroupHere(state, group);
        });
      }),

    purgeDeadLetters: (channel, filter) =>
      guard("purging dead letters", () =>
        purgeDeadLetters(ctx, requireChannel(ctx, channel), filter),
      ),

    getState: (key) =>
      guard("reading state", () =>
        withToken<Record<string, string>, string | undefined>(
          pub.model(),
          STATE_QUEUE,
          (values) => ({ result: values?.[key] }),
          ctx.publishTimeoutMs,
        ),
      ),

    setState: (key, value) =>
      guard("writing state", () =>
        withToken<Record<string, string>, void>(
          pub.model(),
          STATE_QUEUE,
          (values) => ({ next: { ...values, [key]: value }, result: undefined }),
          ctx.publishTimeoutMs,
        ),
      ),

    ping: () =>
      guard("ping", async () => {
        pub.model();
        await withChannel(conn.model(), async (channel) => {
          await channel.checkQueue(STATE_QUEUE);
        });
      }),

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      if (pub.connected()) {
        for (const state of ctx.channels.values()) await state.meta.flush().catch(() => undefined);
      }
      ctx.leases.clear();
      for (const state of ctx.channels.values()) {
        for (const group of state.groups.values()) await group.reader.close();
      }
      ctx.channels.clear();
      await Promise.all([conn.close(), pub.close()]);
    },
  };
  return buffer;
}
