/**
 * The embedded buffer: one SQLite file in WAL mode with synchronous=FULL.
 * Writes go through a group commit (one fsync'd transaction per event-loop
 * turn); waiting fetches sleep until a commit touches their channel or the
 * next retry/lease deadline, never polling.
 */
import { EventEmitter } from "node:events";
import { BufferUnavailableError } from "../../errors.js";
import type { Buffer, BufferFeatures, BufferOptions, Delivery, FetchRequest } from "../buffer.js";
import { type CommitInfo, createWriteBatcher } from "./batch.js";
import { type BufferContext, DueBound, loadChannelRegistry } from "./channels.js";
import { openStore } from "./database.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { leaseMessages } from "./leases.js";
import { createNotifier } from "./notifier.js";
import { publishMessage } from "./publish.js";
import { ackDelivery, nackDelivery, releaseConsumer } from "./settle.js";
import { readStats, settleChannel } from "./stats.js";

/** Options of createSqliteBuffer. */
export interface SqliteBufferOptions extends BufferOptions {
  /** Database file, or `:memory:`. A missing parent directory is created. */
  readonly path: string;
  /** How often expired messages and run-out leases are swept without a fetch. @default 1000 */
  readonly sweepIntervalMs?: number;
}

/** Events of the SQLite buffer (libraries do not log; the owner may). */
export type SqliteBufferEvents = {
  /** A group commit finished. */
  commit: [info: CommitInfo];
  /** The background sweep failed; the next sweep or fetch retries it. */
  sweepFailed: [error: BufferUnavailableError];
};

/** The SQLite buffer, with its events. */
export interface SqliteBuffer extends Buffer {
  /** Database path as given. */
  readonly path: string;
  /** `commit` after every group commit, `sweepFailed` when a background sweep failed. */
  readonly events: EventEmitter<SqliteBufferEvents>;
}

const FEATURES: BufferFeatures = Object.freeze({
  sharedAcrossProcesses: false,
  durableAcrossRestart: true,
});

/**
 * Opens the embedded buffer at `options.path`; throws BufferUnavailableError
 * when the file cannot be created, is not a database, is from a newer
 * release or is held open by another process. A fetch for a group the
 * channel does not have yet creates it, as `ensureGroup` would.
 */
export function createSqliteBuffer(options: SqliteBufferOptions): SqliteBuffer {
  const store = openStore(options.path, options.now ?? Date.now);
  const ctx: BufferContext = {
    store,
    channels: loadChannelRegistry(store),
    due: { expiry: new DueBound(), lease: new DueBound() },
  };
  const events = new EventEmitter<SqliteBufferEvents>();
  const notifier = createNotifier();
  const batcher = createWriteBatcher(store.db, {
    onCommit: (info) => events.emit("commit", info),
    // What a rolled-back sweep learnt may be wrong: learn it again.
    onRollback: () => {
      ctx.due.expiry.forget();
      ctx.due.lease.forget();
    },
    onTouched: (channel) => notifier.notify(channel),
  });
  let closed = false;

  const sweep = setInterval(() => {
    batcher
      .run("other", (scope) => {
        for (const channel of ctx.channels.names()) settleChannel(ctx, scope, channel);
      })
      .catch((error: unknown) => {
        if (!closed && error instanceof BufferUnavailableError) events.emit("sweepFailed", error);
      });
  }, options.sweepIntervalMs ?? 1000);
  sweep.unref();

  function assertOpen(): void {
    if (closed) throw new BufferUnavailableError("SQLite buffer is closed");
  }

  async function ensureGroup(channel: string, group: string): Promise<void> {
    assertOpen();
    const record = ctx.channels.require(channel);
    if (record.groups.has(group)) return;
    await batcher.run("other", () => ctx.channels.writeGroup(channel, group));
    ctx.channels.rememberGroup(channel, group);
  }

  async function fetch(request: FetchRequest): Promise<Delivery[]> {
    assertOpen();
    await ensureGroup(request.channel, request.group);
    const deadline = Date.now() + Math.max(0, request.waitMs);
    for (;;) {
      // A close or abort while waiting ends the fetch with nothing, not an error.
      if (closed || request.signal?.aborted === true) return [];
      let version = 0;
      const result = await batcher.run("other", (scope) => {
        version = notifier.version(request.channel);
        return leaseMessages(ctx, scope, request);
      });
      const remaining = deadline - Date.now();
      if (result.deliveries.length > 0 || remaining <= 0 || closed) return result.deliveries;
      const untilReady =
        result.nextReadyAt === undefined ? remaining : result.nextReadyAt - store.now();
      await notifier.wait(
        request.channel,
        version,
        Math.max(1, Math.min(remaining, untilReady)),
        request.signal,
      );
    }
  }

  return {
    kind: "sqlite",
    features: FEATURES,
    path: options.path,
    events,
    async ensureChannel(settings) {
      assertOpen();
      await batcher.run("other", () => ctx.channels.writeChannel(settings));
      ctx.channels.rememberChannel(settings);
      // New settings (e.g. `ordered`) may change what waiting fetches can take.
      notifier.notify(settings.name);
    },
    ensureGroup,
    async publish(channel, message) {
      assertOpen();
      ctx.channels.require(channel);
      return batcher.run("publish", (scope) => publishMessage(ctx, scope, channel, message));
    },
    fetch,
    async ack(channel, group, messageId) {
      assertOpen();
      ctx.channels.require(channel);
      return batcher.run("other", (scope) => ackDelivery(ctx, scope, channel, group, messageId));
    },
    async nack(channel, group, messageId, nackOptions) {
      assertOpen();
      ctx.channels.require(channel);
      return batcher.run("other", (scope) =>
        nackDelivery(ctx, scope, channel, group, messageId, nackOptions),
      );
    },
    async release(channel, group, consumerId) {
      assertOpen();
      ctx.channels.require(channel);
      await batcher.run("other", (scope) =>
        releaseConsumer(ctx, scope, channel, group, consumerId),
      );
    },
    async stats(channel) {
      assertOpen();
      ctx.channels.require(channel);
      return batcher.run("other", (scope) => {
        settleChannel(ctx, scope, channel);
        return readStats(ctx, channel);
      });
    },
    async listDeadLetters(channel, listOptions) {
      assertOpen();
      return listDeadLetters(ctx, channel, listOptions);
    },
    async replayDeadLetters(channel, filter, targetGroup) {
      assertOpen();
      if (targetGroup !== undefined) await ensureGroup(channel, targetGroup);
      ctx.channels.require(channel);
      return batcher.run("other", (scope) =>
        replayDeadLetters(ctx, scope, channel, filter, targetGroup),
      );
    },
    async purgeDeadLetters(channel, filter) {
      assertOpen();
      ctx.channels.require(channel);
      return batcher.run("other", () => purgeDeadLetters(ctx, channel, filter));
    },
    async getState(key) {
      assertOpen();
      const row = store.stmt("SELECT value FROM state WHERE key = ?").get(key) as
        | { value: string }
        | undefined;
      return row?.value;
    },
    async setState(key, value) {
      assertOpen();
      await batcher.run("other", () => {
        store
          .stmt(
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          )
          .run(key, value);
      });
    },
    async ping() {
      assertOpen();
      try {
        store.stmt("SELECT 1").get();
      } catch (error) {
        throw new BufferUnavailableError("SQLite buffer is not readable", error);
      }
    },
    async close() {
      if (closed) return;
      clearInterval(sweep);
      batcher.close();
      closed = true;
      notifier.wakeAll();
      store.db.close();
    },
  };
}
