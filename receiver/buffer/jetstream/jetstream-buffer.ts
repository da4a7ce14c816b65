/**
 * The NATS JetStream buffer (`nats://host:port`): one stream per channel,
 * one durable pull consumer per group, a dead-letter stream per channel,
 * shared counters and state in KV buckets. Several receiver processes may
 * share one NATS server: ingest on one, stream from another, ack anywhere
 * (see settle.ts). The client reconnects forever; while NATS is down every
 * call rejects quickly with BufferUnavailableError.
 *
 * Durability: nats-server 2.9 acknowledges a publish once the message is in
 * its file store but before fsync — a PubAck survives a server crash, not a
 * power loss.
 */
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { Subscription } from "@nats-io/transport-node";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { BufferUnavailableError } from "../../errors.js";
import {
  type Buffer,
  type BufferOptions,
  type ChannelSettings,
  DEFAULT_GROUP,
  type EncodedMessage,
} from "../buffer.js";
import { ackAndNack, createGuard, type Settle, SHARED_SERVER_FEATURES } from "../server-backend.js";
import { watchMaxDeliveries } from "./advisories.js";
import { apiRequest, unavailable } from "./api.js";
import { encodeMessage } from "./codec.js";
import { openConnection } from "./connection.js";
import { type JetStreamBufferEvent, type JetStreamContext, requireChannel } from "./context.js";
import { createCounters } from "./counters.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { sweepExpired } from "./expiry.js";
import { fetchDeliveries } from "./fetch.js";
import { LeaseRegistry } from "./leases.js";
import { COUNTERS_BUCKET, messageSubject, STATE_BUCKET, stateKey } from "./names.js";
import { createPublisher } from "./publisher.js";
import {
  assertClustered,
  ensureStreamReplicas,
  placing,
  ReplicasUnavailableError,
} from "./replicas.js";
import { ackLease, nackLease, releaseLeases, serveSettlements, settleRemotely } from "./settle.js";
import { readStats } from "./stats.js";
import { ensureChannelStreams, ensureGroupConsumer } from "./topology.js";

/** Options of createJetStreamBuffer. */
export interface JetStreamBufferOptions extends BufferOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | readonly string[];
  /**
   * Copies of every stream and KV bucket (1 to 5; more than one needs a
   * JetStream cluster with at least that many servers). A changed number
   * scales existing streams. @default 1
   */
  readonly replicas?: number;
  /** Connection name shown by the server. @default "webhook-connect-receiver" */
  readonly name?: string;
  /** Timeout of the first connect. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Timeout of one JetStream API, KV or ack request. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** Timeout of a PubAck. @default 5000 */
  readonly publishTimeoutMs?: number;
  /** How long an ack waits for the replica holding a lease to answer. @default 500 */
  readonly settleTimeoutMs?: number;
  /** Interval of the background expiry sweep and lease pruning. @default 5000 */
  readonly sweepIntervalMs?: number;
}

/** Lease entries are kept this long past their due time for late acks. */
const LEASE_GRACE_MS = 60_000;

/** Bytes kept free in a NATS payload for the envelope around the body. */
const ENVELOPE_ALLOWANCE = 64 * 1024;

/**
 * Connects to NATS and opens the JetStream buffer; rejects with
 * BufferUnavailableError when NATS or JetStream cannot be reached.
 */
export async function createJetStreamBuffer(options: JetStreamBufferOptions): Promise<Buffer> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const replicas = options.replicas ?? 1;
  const conn = await openConnection({
    servers: options.servers,
    name: options.name ?? "webhook-connect-receiver",
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
  });
  const { nc } = conn;
  const emit = (event: JetStreamBufferEvent) => options.onEvent?.(event);
  let stateKv: KV;
  let ctx: JetStreamContext;
  try {
    assertClustered(nc, replicas);
    const jsm = await jetstreamManager(nc, { timeout: requestTimeoutMs });
    const kvm = new Kvm(jetstream(nc, { timeout: requestTimeoutMs }));
    const kvOptions = {
      history: 1,
      storage: StorageType.File,
      timeout: requestTimeoutMs,
      replicas,
    };
    stateKv = await placing(replicas, () => kvm.create(STATE_BUCKET, kvOptions));
    const countersKv = await placing(replicas, () => kvm.create(COUNTERS_BUCKET, kvOptions));
    for (const bucket of [STATE_BUCKET, COUNTERS_BUCKET]) {
      await ensureStreamReplicas(jsm, `KV_${bucket}`, replicas);
    }
    ctx = {
      conn,
      nc,
      jsm,
      publisher: createPublisher(conn, options.publishTimeoutMs ?? 5_000),
      counters: createCounters(countersKv, (error) =>
        emit({ type: "backgroundError", task: "counters", error }),
      ),
      leases: new LeaseRegistry(),
      channels: new Map(),
      now: options.now ?? Date.now,
      requestTimeoutMs,
      emit,
    };
  } catch (error) {
    await nc.close().catch(() => undefined);
    if (error instanceof ReplicasUnavailableError) throw error;
    throw new BufferUnavailableError("NATS JetStream is not available", error);
  }
  conn.onChange((connected) => emit({ type: connected ? "reconnected" : "disconnected" }));
  const settleTimeoutMs = options.settleTimeoutMs ?? 500;
  const subscriptions = new Map<string, Subscription[]>();
  let closed = false;
  const guard = createGuard({
    closedMessage: "JetStream buffer is closed",
    isClosed: () => closed,
    assertReachable: () => conn.assertConnected(),
    failed: unavailable,
  });

  const sweep = setInterval(() => {
    ctx.leases.prune(ctx.now(), LEASE_GRACE_MS);
    if (!conn.connected()) return;
    for (const channel of ctx.channels.keys()) {
      sweepExpired(ctx, channel).catch((error: unknown) =>
        emit({ type: "backgroundError", task: "expiry sweep", error }),
      );
    }
    void ctx.counters.flush();
  }, options.sweepIntervalMs ?? 5_000);
  sweep.unref();

  const settle: Settle = async (channel, group, messageId, nack) => {
    requireChannel(ctx, channel);
    const lease = ctx.leases.get(channel, group, messageId);
    if (lease !== undefined) {
      return nack === undefined ? ackLease(ctx, lease) : nackLease(ctx, lease, nack);
    }
    if (ctx.leases.recentlySettled(channel, group, messageId)) return "not_found";
    return settleRemotely(
      ctx,
      channel,
      nack === undefined
        ? { op: "ack", group, messageId }
        : { op: "nack", group, messageId, options: nack },
      settleTimeoutMs,
    );
  };

  const buffer: Buffer = {
    kind: "jetstream",
    features: SHARED_SERVER_FEATURES,
    maxBodyBytes() {
      // The stored payload is the protobuf envelope: body plus headers and
      // metadata. Keep room for headers up to the listener's header limit.
      const maxPayload = nc.info?.max_payload;
      return maxPayload === undefined ? undefined : Math.max(0, maxPayload - ENVELOPE_ALLOWANCE);
    },

    ensureChannel: (settings: ChannelSettings) =>
      guard("creating the channel", async () => {
        await ensureChannelStreams(ctx.jsm, settings, replicas);
        await ensureGroupConsumer(ctx.jsm, settings, DEFAULT_GROUP);
        ctx.channels.set(settings.name, settings);
        if (!subscriptions.has(settings.name)) {
          subscriptions.set(settings.name, [
            serveSettlements(ctx, settings.name),
            watchMaxDeliveries(ctx, settings.name),
          ]);
          await nc.flush();
        }
      }),

    ensureGroup: (channel, group) =>
      guard("creating the group", async () => {
        await ensureGroupConsumer(ctx.jsm, requireChannel(ctx, channel), group);
      }),

    publish: (channel: string, message: WebhookMessage) =>
      guard("storing the message", async () => {
        const settings = requireChannel(ctx, channel);
        const ack = await ctx.publisher.publish({
          subject: messageSubject(channel, message.webhookId),
          data: encodeMessage(message),
          msgId: message.messageId,
          channel,
          limit: settings.maxQueueSize,
        });
        return { sequence: BigInt(ack.seq), duplicate: ack.duplicate };
      }),

    publishEncoded: (channel: string, message: EncodedMessage) =>
      guard("storing the message", async () => {
        const settings = requireChannel(ctx, channel);
        const ack = await ctx.publisher.publish({
          subject: messageSubject(channel, message.webhookId),
          data: message.bytes,
          msgId: message.messageId,
          channel,
          limit: settings.maxQueueSize,
        });
        return { sequence: BigInt(ack.seq), duplicate: ack.duplicate };
      }),

    fetch: (request) => guard("fetching messages", () => fetchDeliveries(ctx, request)),

    ...ackAndNack(guard, settle),

    release: (channel, group, consumerId) =>
      guard("releasing leases", async () => {
        requireChannel(ctx, channel);
        await releaseLeases(ctx, channel, group, consumerId);
      }),

    stats: (channel) => guard("reading stats", () => readStats(ctx, channel)),

    listDeadLetters: (channel, listOptions) =>
      guard("listing dead letters", () => listDeadLetters(ctx, channel, listOptions)),

    replayDeadLetters: (channel, filter, targetGroup) =>
      guard("replaying dead letters", () => replayDeadLetters(ctx, channel, filter, targetGroup)),

    purgeDeadLetters: (channel, filter) =>
      guard("purging dead letters", () => purgeDeadLetters(ctx, channel, filter)),

    getState: (key) =>
      guard("reading state", async () => {
        const entry = await stateKv.get(stateKey(key));
        return entry === null || entry.operation !== "PUT" ? undefined : entry.string();
      }),

    setState: (key, value) =>
      guard("writing state", async () => {
        await stateKv.put(stateKey(key), value);
      }),

    ping: () =>
      guard("ping", async () => {
        await apiRequest(nc, "$JS.API.INFO", {}, Math.min(requestTimeoutMs, 2_000));
      }),

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      if (conn.connected()) await ctx.counters.flush().catch(() => undefined);
      ctx.publisher.close();
      ctx.leases.clear();
      for (const subs of subscriptions.values()) for (const sub of subs) sub.unsubscribe();
      subscriptions.clear();
      await nc.close().catch(() => undefined);
    },
  };
  return buffer;
}
