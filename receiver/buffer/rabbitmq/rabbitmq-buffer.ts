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
import { encodeWebhookMessage } from "../../codec/webhook-message.js";
import { BufferUnavailableError, QueueFullError, WebhookConnectError } from "../../errors.js";
import {
  type Buffer,
  type BufferFeatures,
  type BufferOptions,
  type ChannelSettings,
  DEFAULT_GROUP,
  type EncodedMessage,
  type NackOptions,
  type PublishResult,
  type SettleOutcome,
} from "../buffer.js";
import { storedHeaders } from "./codec.js";
import { openConnection, redactUrl } from "./connection.js";
import {
  addBacklog,
  type ChannelState,
  type GroupState,
  queuedOf,
  type RabbitMqBufferEvent,
  type RabbitMqContext,
  requireChannel,
} from "./context.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { fetchDeliveries } from "./fetch.js";
import { GroupReader } from "./group-reader.js";
import { LeaseRegistry } from "./leases.js";
import { ChannelMeta } from "./meta.js";
import { channelExchange, groupQueue, STATE_QUEUE } from "./names.js";
import { createPeers, type SettleRequest } from "./peers.js";
import { publishConfirmed } from "./publish.js";
import { ackLease, giveBack, nackLease, releaseLeases } from "./settle.js";
import { drainExpired, localNumbers, readStats, refreshBacklog } from "./stats.js";
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

const FEATURES: BufferFeatures = Object.freeze({
  sharedAcrossProcesses: true,
  durableAcrossRestart: true,
});

/** Largest prefetch of one group consumer. */
const MAX_PREFETCH = 1_000;

/** Messages per group whose receipt time is kept while they wait for a retry (for lag). */
const MAX_RETRYING = 10_000;

/** Every how many sweeps the channel's groups are re-read from its record. */
const GROUP_RELOAD_SWEEPS = 10;

/** Message ids remembered per channel for idempotent re-publish. */
const RECENT_IDS = 10_000;

/** Opens the RabbitMQ buffer; rejects with BufferUnavailableError when the broker cannot be reached. */
export async function createRabbitMqBuffer(options: RabbitMqBufferOptions): Promise<Buffer> {
  const conn = await openConnection({
    url: options.url,
    name: options.name ?? "webhook-connect-receiver",
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    heartbeatSeconds: options.heartbeatSeconds ?? 5,
  });
  const emit = (event: RabbitMqBufferEvent) => options.onEvent?.(event);
  try {
    await ensureStateQueue(conn.model());
  } catch (error) {
    await conn.close();
    throw new BufferUnavailableError(`RabbitMQ at ${redactUrl(options.url)} is not usable`, error);
  }
  const ctx: RabbitMqContext = {
    conn,
    leases: new LeaseRegistry(),
    channels: new Map(),
    queueType: options.queueType ?? "quorum",
    now: options.now ?? Date.now,
    publishTimeoutMs: options.publishTimeoutMs ?? 5_000,
    emit,
  };
  let closed = false;
  const peers = createPeers(
    conn,
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
    await peers.ensure();
  } catch (error) {
    await conn.close();
    throw new BufferUnavailableError(`RabbitMQ at ${redactUrl(options.url)} is not usable`, error);
  }

  conn.onChange((connected) => {
    if (!connected) {
      // Every delivery of the old connection is back in its queue.
      ctx.leases.dropWhere(() => true);
      for (const state of ctx.channels.values()) {
        for (const group of state.groups.values()) group.held = undefined;
      }
    }
    emit({ type: connected ? "reconnected" : "disconnected" });
  });

  const background = (task: string) => (error: unknown) =>
    emit({ type: "backgroundError", task, error });

  let sweeps = 0;
  const sweep = setInterval(() => {
    if (!conn.connected()) return;
    sweeps++;
    for (const state of ctx.channels.values()) {
      void (async () => {
        await peers.ensure();
        await state.meta.flush();
        // Now and then, pick up groups other receivers created (for the queue limit).
        if (sweeps % GROUP_RELOAD_SWEEPS === 0) {
          for (const group of (await state.meta.read()).groups) openGroup(state, group);
        }
        await drainExpired(ctx, state);
        await refreshBacklog(ctx, state, peers);
        trimPublished(state);
        for (const group of state.groups.values()) trimRetrying(group);
      })().catch(background("sweep"));
    }
  }, options.sweepIntervalMs ?? 2_000);
  sweep.unref();

  function trimRetrying(group: GroupState): void {
    // Entries of messages another receiver took are never cleared here.
    for (const key of group.retrying.keys()) {
      if (group.retrying.size <= MAX_RETRYING) break;
      group.retrying.delete(key);
    }
  }

  function trimPublished(state: ChannelState): void {
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

  /** Runs `body`, mapping foreign failures to BufferUnavailableError. */
  async function guard<T>(what: string, body: () => Promise<T>): Promise<T> {
    if (closed) throw new BufferUnavailableError("RabbitMQ buffer is closed");
    if (!conn.connected()) conn.model();
    try {
      return await body();
    } catch (error) {
      if (error instanceof WebhookConnectError) throw error;
      throw new BufferUnavailableError(`RabbitMQ failed while ${what}`, error);
    }
  }

  function openGroup(state: ChannelState, name: string): GroupState {
    const existing = state.groups.get(name);
    if (existing !== undefined) return existing;
    const channel = state.settings.name;
    const group: GroupState = {
      name,
      reader: new GroupReader(() => conn.model(), groupQueue(channel, name), {
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

  async function declareGroupQueue(settings: ChannelSettings, group: string): Promise<void> {
    const name = settings.name;
    if (!(await ensureGroupQueue(conn.model(), name, group, ctx.queueType, settings.ordered))) {
      emit({ type: "queueArgumentsKept", channel: name, group, ordered: settings.ordered });
    }
  }

  async function ensureGroupHere(state: ChannelState, group: string): Promise<GroupState> {
    const known = state.groups.get(group);
    if (known !== undefined) return known;
    await declareGroupQueue(state.settings, group);
    await state.meta.ensureGroups([group]);
    const opened = openGroup(state, group);
    await refreshBacklog(ctx, state, peers);
    return opened;
  }

  async function publishStored(
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
      const publisher = await conn.publisher();
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
          expiration: String(Math.max(1, Math.ceil(expiresAtMs - receivedAt))),
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
  async function settle(
    channel: string,
    group: string,
    messageId: string,
    nack: NackOptions | undefined,
  ): Promise<SettleOutcome> {
    requireChannel(ctx, channel);
    const request: SettleRequest =
      nack === undefined ? { channel, group, messageId } : { channel, group, messageId, nack };
    const outcome = await settleHere(request);
    return outcome === "not_found" ? peers.settle(request) : outcome;
  }

  const buffer: Buffer = {
    kind: "rabbitmq",
    features: FEATURES,

    ensureChannel: (settings: ChannelSettings) =>
      guard("creating the channel", async () => {
        const existing = ctx.channels.get(settings.name);
        if (existing !== undefined) {
          existing.settings = settings;
          return;
        }
        await ensureChannelObjects(conn.model(), settings.name);
        const meta = new ChannelMeta(conn, settings.name, ctx.publishTimeoutMs);
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
        for (const group of groups) openGroup(state, group);
        await refreshBacklog(ctx, state, peers);
        ctx.channels.set(settings.name, state);
      }),

    ensureGroup: (channel, group) =>
      guard("creating the group", async () => {
        await ensureGroupHere(requireChannel(ctx, channel), group);
      }),

    publish: (channel: string, message: WebhookMessage) =>
      guard("storing the message", () =>
        publishStored(
          channel,
          message.messageId,
          encodeWebhookMessage(message),
          message.expiresAt === undefined ? 0 : timestampMs(message.expiresAt),
        ),
      ),

    publishEncoded: (channel: string, message: EncodedMessage) =>
      guard("storing the message", () =>
        publishStored(channel, message.messageId, message.bytes, message.expiresAtMs),
      ),

    fetch: (request) =>
      guard("fetching messages", async () => {
        const state = requireChannel(ctx, request.channel);
        const group = await ensureGroupHere(state, request.group);
        return fetchDeliveries(ctx, state, group, request);
      }),

    ack: (channel, group, messageId) =>
      guard("acking", () => settle(channel, group, messageId, undefined)),

    nack: (channel, group, messageId, nackOptions) =>
      guard("nacking", () => settle(channel, group, messageId, nackOptions)),

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
          conn.model(),
          STATE_QUEUE,
          (values) => ({ result: values?.[key] }),
          ctx.publishTimeoutMs,
        ),
      ),

    setState: (key, value) =>
      guard("writing state", () =>
        withToken<Record<string, string>, void>(
          conn.model(),
          STATE_QUEUE,
          (values) => ({ next: { ...values, [key]: value }, result: undefined }),
          ctx.publishTimeoutMs,
        ),
      ),

    ping: () =>
      guard("ping", async () => {
        await withChannel(conn.model(), async (channel) => {
          await channel.checkQueue(STATE_QUEUE);
        });
      }),

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      if (conn.connected()) {
        for (const state of ctx.channels.values()) await state.meta.flush().catch(() => undefined);
      }
      ctx.leases.clear();
      for (const state of ctx.channels.values()) {
        for (const group of state.groups.values()) await group.reader.close();
      }
      ctx.channels.clear();
      await conn.close();
    },
  };
  return buffer;
}
