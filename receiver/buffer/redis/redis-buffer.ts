/**
 * The Redis Streams buffer (`redis://host:port/db`, `rediss://` for TLS):
 * one stream per channel, one consumer group per fan-out group, leases are
 * the groups' pending entries lists, retries a sorted set per group, dead
 * letters a stream per channel (layout in names.ts, the scripts in lua.ts).
 * Every change is one Lua script, so any number of receivers may share one
 * Redis: ingest on one, stream from another, ack anywhere.
 *
 * Durability: a publish resolves once XADD returned (plus WAIT/WAITAOF when
 * the URL asks for it, see url.ts); what survives a crash of Redis then
 * depends on the server's persistence settings (README, Redis buffer).
 * While Redis is unreachable every call rejects at once with
 * BufferUnavailableError (commands are not queued), and the client
 * reconnects in the background.
 */
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { Cluster as ClusterClient, Redis, RedisOptions } from "ioredis";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { encodeWebhookMessage } from "../../../wire/index.js";
import { BufferUnavailableError, QueueFullError } from "../../errors.js";
import {
  type BufferEvent,
  type BufferOptions,
  type ChannelSettings,
  type ChannelStats,
  DEFAULT_GROUP,
  type Delivery,
  type FetchRequest,
  type Buffer as MessageBuffer,
  type PublishResult,
} from "../buffer.js";
import { nackDelayMs } from "../policy.js";
import { createGuard, requireEnsured, SHARED_SERVER_FEATURES } from "../server-backend.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { readFetchReply } from "./delivery.js";
import { channelPrefix, channelStream, stateKey } from "./names.js";
import { createScripts, type Scripts } from "./scripts.js";
import type { RedisBufferTarget } from "./url.js";
import { createWakes } from "./wake.js";

/** Something the buffer noticed but could not report to a caller. */
/** Events of the Redis buffer: those of every backend (it reports no `undecodable`). */
export type RedisBufferEvent = BufferEvent;

/** Options of createRedisBuffer. */
export interface RedisBufferOptions extends BufferOptions, Partial<Omit<RedisBufferTarget, "url">> {
  /** Redis URL without the buffer's options (see parseRedisBufferUrl). */
  readonly url: string;
  /** Timeout of the first connect. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Timeout of one command or script. @default 5000 */
  readonly commandTimeoutMs?: number;
  /** Interval of the sweep: expiry, leases that ran out, idle consumers. @default 5000 */
  readonly sweepIntervalMs?: number;
  /** A connection idle this long with nothing leased is removed from its group. @default 3600000 */
  readonly idleConsumerMs?: number;
}

/** Retry delays after attempt 1…17 are all the backoff can produce (it is capped after 16 doublings). */
const DELAY_STEPS = 17;

/** Entries the expiry sweep looks at per channel and round. */
const SWEEP_BATCH = 500;

/**
 * How often a group's pending entries are scanned for leases that ran out
 * (XAUTOCLAIM), and how long a waiting fetch sleeps before it looks again
 * (nothing announces those): a quarter of the lease, 50 ms to 1 s.
 */
function pollMs(ackMs: number): number {
  return Math.min(1_000, Math.max(50, Math.floor(ackMs / 4)));
}

/** Why a message whose lease ran out on its last allowed attempt was dead-lettered. */
function expiredLeaseReason(settings: ChannelSettings): string {
  const last = settings.maxDeliveryAttempts;
  return `not acknowledged within ${settings.ackTimeoutSeconds} s on delivery attempt ${last} of ${last}`;
}

/** ioredis options as set here (ioredis' own type trips exactOptionalPropertyTypes). */
type ClientOptions = Omit<RedisOptions, "replyMapping">;

function connectionOptions(options: RedisBufferOptions): ClientOptions {
  return {
    lazyConnect: true,
    // Refuse at once while disconnected: ingest answers 503 instead of
    // holding requests, and nothing is half-accepted later.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2_000),
    connectionName: "webhook-connect-receiver",
  };
}

/**
 * A cluster client over the node of the URL. It is handed out as a `Redis`:
 * every call the buffer makes (scripts, key commands, pub/sub) has the same
 * form on both, and the cluster routes each by its key's slot.
 */
function openCluster(
  ClusterClass: typeof import("ioredis").Cluster,
  options: RedisBufferOptions,
): Redis {
  const url = new URL(options.url);
  const node = { host: url.hostname, port: Number(url.port === "" ? 6379 : url.port) };
  const { lazyConnect, connectTimeout, commandTimeout, connectionName } =
    connectionOptions(options);
  const client = new ClusterClass([node], {
    lazyConnect,
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt: number) => Math.min(100 * attempt, 2_000),
    redisOptions: {
      ...(connectTimeout === undefined ? {} : { connectTimeout }),
      ...(commandTimeout === undefined ? {} : { commandTimeout }),
      ...(connectionName === undefined ? {} : { connectionName }),
      maxRetriesPerRequest: 0,
      ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
      ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
      ...(url.protocol === "rediss:" ? { tls: {} } : {}),
    },
  });
  return client as unknown as Redis;
}

/**
 * Connects to Redis and opens the buffer; rejects with BufferUnavailableError
 * when Redis cannot be reached or cannot give the asked-for guarantees.
 */
export async function createRedisBuffer(options: RedisBufferOptions): Promise<MessageBuffer> {
  const { Redis: RedisClient, Cluster } = await import("ioredis");
  const emit = (event: RedisBufferEvent) => options.onEvent?.(event);
  const now = options.now ?? Date.now;
  const waitReplicas = options.waitReplicas ?? 0;
  const waitAof = options.waitAof ?? false;
  const waitTimeoutMs = options.waitTimeoutMs ?? 1_000;

  const cluster = options.cluster ?? false;
  const redis = cluster
    ? openCluster(Cluster, options)
    : new RedisClient(options.url, connectionOptions(options));
  // Failures surface as rejected commands; the last one explains a failed connect.
  let lastError: Error | undefined;
  redis.on("error", (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
    if (waitAof) {
      // Fails on Redis before 7.2 and with `appendonly no`: better at start-up than on every publish.
      await redis.call("WAITAOF", 1, 0, 0);
    }
  } catch (error) {
    redis.disconnect();
    const what = waitAof
      ? "Redis cannot confirm AOF fsyncs for wait_aof=1 (needs Redis 7.2 or later with appendonly yes)"
      : "Redis is not reachable";
    const reason = waitAof ? (error as Error) : (lastError ?? (error as Error));
    throw new BufferUnavailableError(`${what}: ${reason.message}`, reason);
  }
  let connected = true;
  redis.on("close", () => {
    if (connected) emit({ type: "disconnected" });
    connected = false;
  });
  redis.on("ready", () => {
    if (!connected) emit({ type: "reconnected" });
    connected = true;
  });
  // A connection of its own: one in subscriber mode takes no other commands.
  const subscriber: Redis = cluster
    ? ((redis as unknown as ClusterClient).duplicate(undefined, {
        enableOfflineQueue: true,
      }) as unknown as Redis)
    : redis.duplicate({ enableOfflineQueue: true });
  subscriber.on("error", () => undefined);
  const wakes = createWakes(subscriber);
  const scripts: Scripts = createScripts(redis);
  const channels = new Map<string, ChannelSettings>();
  let closed = false;
  const guard = createGuard({
    closedMessage: "Redis buffer is closed",
    isClosed: () => closed,
    assertReachable: (what) => {
      if (redis.status !== "ready") {
        throw new BufferUnavailableError(`Redis is not reachable (${what})`);
      }
    },
    failed: (what, error) => new BufferUnavailableError(`Redis failed while ${what}`, error),
  });

  const sweep = setInterval(() => {
    if (redis.status !== "ready") return;
    for (const [channel, settings] of channels) {
      scripts
        .SWEEP(channelStream(channel), [
          channelPrefix(channel),
          now(),
          SWEEP_BATCH,
          options.idleConsumerMs ?? 3_600_000,
          Math.round(settings.ackTimeoutSeconds * 1000),
          settings.maxDeliveryAttempts,
          expiredLeaseReason(settings),
        ])
        .catch((error: unknown) => emit({ type: "backgroundError", task: "expiry sweep", error }));
    }
  }, options.sweepIntervalMs ?? 5_000);
  sweep.unref();

  const requireChannel = (channel: string) => requireEnsured(channels, channel);

  async function ensureGroup(channel: string, group: string): Promise<void> {
    await scripts.ENSURE_GROUP(channelStream(channel), [channelPrefix(channel), group]);
  }

  const confirming = waitReplicas > 0 || waitAof;
  const unconfirmed = `Redis did not confirm the write within ${waitTimeoutMs} ms (${waitAof ? "WAITAOF" : "WAIT"} ${waitReplicas})`;

  /** Whether this connection's writes so far got the confirmations the URL asks for. */
  async function confirmed(): Promise<boolean> {
    if (waitAof) {
      const [local, replicas] = (await redis.call("WAITAOF", 1, waitReplicas, waitTimeoutMs)) as [
        number,
        number,
      ];
      return local >= 1 && replicas >= waitReplicas;
    }
    return (await redis.wait(waitReplicas, waitTimeoutMs)) >= waitReplicas;
  }

  /** Waits for the confirmations; withdraws the message when they do not come. */
  async function confirm(channel: string, sequence: number): Promise<void> {
    if (await confirmed()) return;
    await scripts.WITHDRAW(channelStream(channel), [channelPrefix(channel), `${sequence}-0`]);
    throw new BufferUnavailableError(`${unconfirmed}; it was withdrawn`);
  }

  async function store(
    channel: string,
    messageId: string,
    bytes: Uint8Array,
    expiresAtMs: number,
  ): Promise<PublishResult> {
    const settings = requireChannel(channel);
    const args = [
      channelPrefix(channel),
      messageId,
      bytes,
      expiresAtMs,
      now(),
      settings.maxQueueSize,
    ];
    let [code, sequence] = (await scripts.PUBLISH(channelStream(channel), args)) as [
      number,
      number,
    ];
    if (code === 3) {
      // The channel's keys were deleted behind our back (FLUSHDB): recreate them.
      await ensureGroup(channel, DEFAULT_GROUP);
      [code, sequence] = (await scripts.PUBLISH(channelStream(channel), args)) as [number, number];
    }
    if (code === 2) throw new QueueFullError(channel, settings.maxQueueSize);
    if (code === 3) throw new BufferUnavailableError(`channel '${channel}' has no groups in Redis`);
    if (code === 0 && confirming) await confirm(channel, sequence);
    return { sequence: BigInt(sequence), duplicate: code === 1 };
  }

  async function fetch(request: FetchRequest): Promise<Delivery[]> {
    const settings = requireChannel(request.channel);
    const ackMs = Math.round(settings.ackTimeoutSeconds * 1000);
    const max = settings.ordered ? 1 : Math.max(1, Math.floor(request.max));
    const lastAttempt = settings.maxDeliveryAttempts;
    const reason = expiredLeaseReason(settings);
    const deadline = performance.now() + Math.max(0, request.waitMs);
    const aborted = () => request.signal?.aborted === true;
    for (;;) {
      const wake = wakes.arm(request.channel);
      let reply: ReturnType<typeof readFetchReply>;
      try {
        const at = now();
        const raw = await scripts.FETCH(channelStream(request.channel), [
          channelPrefix(request.channel),
          request.group,
          request.consumerId,
          at,
          max,
          ackMs,
          lastAttempt,
          settings.ordered ? 1 : 0,
          reason,
          pollMs(ackMs),
        ]);
        reply = readFetchReply(raw, request.group, at + ackMs);
      } catch (error) {
        wake.cancel();
        throw error;
      }
      const remaining = deadline - performance.now();
      if (reply.deliveries.length > 0 || aborted() || remaining <= 0) {
        wake.cancel();
        return reply.deliveries;
      }
      let sleep = Math.min(remaining, pollMs(ackMs));
      if (reply.nextRetryAt !== undefined) {
        sleep = Math.min(sleep, Math.max(0, reply.nextRetryAt - now()) + 1);
      }
      await wake.wait(sleep, request.signal);
      // An aborted fetch leases nothing more: its caller has stopped listening.
      if (closed || redis.status !== "ready" || aborted()) return [];
    }
  }

  async function stats(channel: string): Promise<ChannelStats> {
    requireChannel(channel);
    const flat = (await scripts.STATS(channelStream(channel), [channelPrefix(channel), now()])) as (
      | number
      | Buffer
    )[];
    const groups: ChannelStats["groups"][number][] = [];
    let inFlight = 0;
    for (let index = 5; index + 3 < flat.length; index += 4) {
      const group = {
        group: (flat[index] as Buffer).toString(),
        pending: flat[index + 1] as number,
        inFlight: flat[index + 2] as number,
        oldestUnackedAgeMs: flat[index + 3] as number,
      };
      inFlight += group.inFlight;
      groups.push(group);
    }
    return {
      channel,
      queued: flat[0] as number,
      inFlight,
      delivered: flat[1] as number,
      expired: flat[2] as number,
      deadLettered: flat[3] as number,
      deadLetterQueued: flat[4] as number,
      groups,
    };
  }

  const buffer: MessageBuffer = {
    kind: "redis",
    features: SHARED_SERVER_FEATURES,

    ensureChannel: (settings) =>
      guard("creating the channel", async () => {
        await ensureGroup(settings.name, DEFAULT_GROUP);
        channels.set(settings.name, settings);
        await wakes.watch(settings.name);
      }),

    ensureGroup: (channel, group) =>
      guard("creating the group", async () => {
        requireChannel(channel);
        await ensureGroup(channel, group);
      }),

    publish: (channel: string, message: WebhookMessage) =>
      guard("storing the message", () => {
        const settings = requireChannel(channel);
        const expiresAtMs =
          message.expiresAt === undefined
            ? now() + Math.round(settings.ttlSeconds * 1000)
            : timestampMs(message.expiresAt);
        const bytes = encodeWebhookMessage(message, {
          sequence: 0n,
          deliveryAttempt: 0,
          expiresAt: message.expiresAt ?? timestampFromMs(expiresAtMs),
        });
        return store(channel, message.messageId, bytes, expiresAtMs);
      }),

    publishEncoded: (channel, message) =>
      guard("storing the message", () =>
        store(channel, message.messageId, message.bytes, message.expiresAtMs),
      ),

    fetch: (request) => guard("fetching messages", () => fetch(request)),

    ack: (channel, group, messageId) =>
      guard("acking", async () => {
        const settings = requireChannel(channel);
        const acked = await scripts.ACK(channelStream(channel), [
          channelPrefix(channel),
          group,
          messageId,
          settings.ordered ? 1 : 0,
        ]);
        return acked === 1 ? "acked" : "not_found";
      }),

    nack: (channel, group, messageId, nackOptions) =>
      guard("nacking", async () => {
        const settings = requireChannel(channel);
        const delays = Array.from({ length: DELAY_STEPS }, (_, index) =>
          nackDelayMs(index + 1, nackOptions.requestedDelayMs),
        );
        const outcome = await scripts.NACK(channelStream(channel), [
          channelPrefix(channel),
          group,
          messageId,
          nackOptions.retry ? 1 : 0,
          nackOptions.reason,
          now(),
          settings.maxDeliveryAttempts,
          settings.ordered ? 1 : 0,
          ...delays,
        ]);
        return outcome === 1 ? "requeued" : outcome === 2 ? "dead_lettered" : "not_found";
      }),

    release: (channel, group, consumerId) =>
      guard("releasing leases", async () => {
        requireChannel(channel);
        await scripts.RELEASE(channelStream(channel), [
          channelPrefix(channel),
          group,
          consumerId,
          now(),
        ]);
      }),

    stats: (channel) => guard("reading stats", () => stats(channel)),

    listDeadLetters: (channel, listOptions) =>
      guard("listing dead letters", async () => {
        requireChannel(channel);
        return listDeadLetters(redis, channel, listOptions);
      }),

    replayDeadLetters: (channel, filter, targetGroup) =>
      guard("replaying dead letters", () =>
        replayDeadLetters(redis, scripts, requireChannel(channel), now(), filter, targetGroup),
      ),

    purgeDeadLetters: (channel, filter) =>
      guard("purging dead letters", async () => {
        requireChannel(channel);
        return purgeDeadLetters(redis, channel, filter);
      }),

    getState: (key) =>
      guard("reading state", async () => (await redis.get(stateKey(key))) ?? undefined),

    setState: (key, value) =>
      guard("writing state", async () => {
        await redis.set(stateKey(key), value);
        // Not withdrawn (the value may already be read elsewhere); the caller retries.
        if (confirming && !(await confirmed())) throw new BufferUnavailableError(unconfirmed);
      }),

    ping: () =>
      guard("ping", async () => {
        await redis.ping();
      }),

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      wakes.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  return buffer;
}
