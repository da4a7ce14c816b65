import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Buffer, BufferEvent, ChannelSettings } from "../../../receiver/buffer/buffer.js";
import { createBufferFromUrl } from "../../../receiver/buffer/index.js";
import {
  createSqliteBuffer,
  SCHEMA_VERSION,
  type SqliteBuffer,
  type SqliteBufferEvent,
  type SqliteCommitEvent,
} from "../../../receiver/buffer/sqlite/index.js";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import { describeBufferConformance } from "../../conformance/buffer.conformance.js";
import {
  fetchRequest,
  TEST_CHANNEL_DEFAULTS,
  testMessage,
} from "../../conformance/buffer-context.js";

const root = mkdtempSync(join(tmpdir(), "wc-sqlite-buffer-"));
let files = 0;
const freshPath = (): string => join(root, `run-${++files}`, "nested", "buffer.db");

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/**
 * The buffer's `onEvent`, handing its commits to the listener a test sets
 * once its set-up is done: commits of the set-up are not counted.
 */
function commitTap() {
  let listener: ((commit: SqliteCommitEvent) => void) | undefined;
  return {
    onEvent: (event: SqliteBufferEvent) => {
      if (event.type === "commit") listener?.(event);
    },
    listen: (next: (commit: SqliteCommitEvent) => void) => {
      listener = next;
    },
    /** Collects every commit from now on into the returned array. */
    record: (): SqliteCommitEvent[] => {
      const commits: SqliteCommitEvent[] = [];
      listener = (commit) => commits.push(commit);
      return commits;
    },
  };
}

describeBufferConformance({
  name: "sqlite",
  features: {
    sharedAcrossProcesses: false,
    durableAcrossRestart: true,
    waitsWithoutDeadline: true,
  },
  create: async () => createSqliteBuffer({ path: freshPath() }),
  reopen: async (closed: Buffer) => createSqliteBuffer({ path: (closed as SqliteBuffer).path }),
});

// The same engine on the main thread (`sqlite:PATH?thread=main`).
describeBufferConformance({
  name: "sqlite, storage on the main thread",
  features: {
    sharedAcrossProcesses: false,
    durableAcrossRestart: true,
    waitsWithoutDeadline: true,
  },
  create: async () => createSqliteBuffer({ path: freshPath(), thread: "main" }),
  reopen: async (closed: Buffer) =>
    createSqliteBuffer({ path: (closed as SqliteBuffer).path, thread: "main" }),
});

describe("sqlite buffer", () => {
  const open: SqliteBuffer[] = [];
  const track = (buffer: SqliteBuffer): SqliteBuffer => {
    open.push(buffer);
    return buffer;
  };
  const channelSettings = (
    overrides: Partial<Omit<ChannelSettings, "name">> = {},
  ): ChannelSettings => ({ ...TEST_CHANNEL_DEFAULTS, ...overrides, name: `sqlite-${++files}` });

  /**
   * A buffer at `path` without background sweeps (so only the test's own
   * work commits), with a channel ensured and a tap for the commits after.
   */
  const tappedBuffer = async (
    path: string,
    overrides: Partial<Omit<ChannelSettings, "name">> = {},
  ) => {
    const tap = commitTap();
    const buffer = track(
      createSqliteBuffer({ path, sweepIntervalMs: 60_000, onEvent: tap.onEvent }),
    );
    const channel = channelSettings(overrides);
    await buffer.ensureChannel(channel);
    return { buffer, channel, tap };
  };

  afterEach(async () => {
    for (const buffer of open.splice(0)) await buffer.close();
  });

  it("commits a burst of publishes in a few rounds, resolving each only after its round", async () => {
    // No background sweep may join the rounds counted here.
    const { buffer, channel, tap } = await tappedBuffer(freshPath());
    const commits: SqliteCommitEvent[] = [];
    let committed = 0;
    tap.listen((info) => {
      commits.push(info);
      committed += info.publishes;
    });

    // Publish i resolves only once a round holding at least i + 1 messages committed.
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        buffer.publish(channel.name, testMessage(channel)).then(() => {
          if (committed < i + 1) early.push(i);
        }),
      ),
    );
    expect(early).toEqual([]);
    expect(commits.reduce((sum, commit) => sum + commit.publishes, 0)).toBe(50);
    // One round per 16 messages of the burst, not one per message.
    expect(commits.length).toBeLessThanOrEqual(4);
    for (const commit of commits) expect(commit).toMatchObject({ writes: 0, synchronous: "FULL" });

    await buffer.publish(channel.name, testMessage(channel));
    await buffer.publish(channel.name, testMessage(channel));
    expect(commits.slice(-2).map((commit) => commit.publishes)).toEqual([1, 1]);
  });

  it("fsyncs commits that hold a publish and commits leases and acks without fsync", async () => {
    const { buffer, channel, tap } = await tappedBuffer(freshPath());
    const commits = tap.record();
    const message = testMessage(channel);
    await buffer.publish(channel.name, message);
    const [delivery] = await buffer.fetch({
      channel: channel.name,
      group: "default",
      consumerId: "c1",
      max: 1,
      waitMs: 0,
    });
    expect(delivery?.message.messageId).toBe(message.messageId);
    expect(await buffer.ack(channel.name, "default", message.messageId)).toBe("acked");
    expect(commits.map((c) => [c.publishes, c.synchronous])).toEqual([
      [1, "FULL"],
      [0, "NORMAL"],
      [0, "NORMAL"],
    ]);
    // The acked message stays gone after a restart (the WAL survives the process).
    await buffer.close();
    const reopened = track(createSqliteBuffer({ path: buffer.path, sweepIntervalMs: 60_000 }));
    await reopened.ensureChannel(channel);
    expect((await reopened.stats(channel.name)).queued).toBe(0);
  });

  it("rejects only the publishes over the limit within one group commit", async () => {
    const { buffer, channel, tap } = await tappedBuffer(":memory:", { maxQueueSize: 2 });
    const commits = tap.record();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 3 }, () => buffer.publish(channel.name, testMessage(channel))),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
    ]);
    expect(commits).toHaveLength(1);
  });

  it("does not poll while a fetch waits for a retry or a lease", async () => {
    const { buffer, channel, tap } = await tappedBuffer(":memory:", { ordered: true });
    const message = testMessage(channel);
    await buffer.publish(channel.name, message);
    await buffer.publish(channel.name, testMessage(channel));
    await buffer.fetch(fetchRequest(channel));
    await buffer.nack(channel.name, "default", message.messageId, { retry: true, reason: "503" });

    let commits = 0;
    tap.listen(() => commits++);
    expect(await buffer.fetch(fetchRequest(channel, { consumerId: "b", waitMs: 600 }))).toEqual([]);
    expect(commits).toBeLessThanOrEqual(2);
  });

  it("keeps the file in WAL mode at the current schema version across a restart", async () => {
    const path = freshPath();
    const first = createSqliteBuffer({ path });
    const channel = channelSettings();
    await first.ensureChannel(channel);
    const message = testMessage(channel);
    await first.publish(channel.name, message);
    await first.close();

    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      raw.close();
    }

    const second = track(createSqliteBuffer({ path }));
    await second.ensureChannel(channel);
    const deliveries = await second.fetch(fetchRequest(channel));
    expect(deliveries.map((delivery) => delivery.message.messageId)).toEqual([message.messageId]);
  });

  it("sweeps expired messages in the background and counts them durably", async () => {
    let now = Date.now();
    const path = freshPath();
    const tap = commitTap();
    const buffer = track(
      createSqliteBuffer({ path, now: () => now, sweepIntervalMs: 20, onEvent: tap.onEvent }),
    );
    const channel = channelSettings({ ttlSeconds: 1 });
    await buffer.ensureChannel(channel);
    await buffer.publish(channel.name, testMessage(channel));
    // A round trip at the old clock: whatever the publish left to write
    // (group state, counters) is committed with it, and nothing expires yet.
    await buffer.stats(channel.name);
    now += 5_000;
    // So the first commit that writes anything after the clock moved is the
    // background sweep's: the expiry reached a round. (Waiting for two
    // commits instead hung when the sweep's writes shared one round, and a
    // write the publish left pending could pass for the sweep's.)
    await new Promise<void>((resolve) => {
      tap.listen((commit) => {
        if (commit.writes > 0) resolve();
      });
    });
    await buffer.close();
    const raw = new Database(path, { readonly: true });
    try {
      const row = raw
        .prepare("SELECT id, expired FROM channels WHERE name = ?")
        .get(channel.name) as { id: number; expired: number };
      expect(row.expired).toBe(1);
      // Its storage was freed too: the log holds nothing below the floor.
      expect(raw.prepare(`SELECT COUNT(*) AS n FROM log_${row.id}`).get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
  });

  it("reports no group commits to a receiver that opened it by URL", async () => {
    const events: BufferEvent[] = [];
    const buffer = track(
      (await createBufferFromUrl(`sqlite:${freshPath()}`, "test", (event) =>
        events.push(event),
      )) as SqliteBuffer,
    );
    const channel = channelSettings();
    await buffer.ensureChannel(channel);
    // Resolves only after the round holding it committed.
    await buffer.publish(channel.name, testMessage(channel));
    expect(events).toEqual([]);
  });

  it("runs the storage engine on the thread its URL names", async () => {
    // Linux lists a process's threads in /proc/self/task: a worker adds some.
    const threads = (): number => readdirSync("/proc/self/task").length;
    const before = threads();
    const here = track(
      (await createBufferFromUrl(`sqlite:${freshPath()}?thread=main`, "test")) as SqliteBuffer,
    );
    expect(threads()).toBe(before);
    const channel = channelSettings();
    await here.ensureChannel(channel);
    const message = testMessage(channel);
    await here.publish(channel.name, message);
    const [delivery] = await here.fetch(fetchRequest(channel));
    expect(delivery?.messageId).toBe(message.messageId);

    const apart = track(
      (await createBufferFromUrl(`sqlite:${freshPath()}?thread=worker`, "test")) as SqliteBuffer,
    );
    expect(threads()).toBeGreaterThan(before);
    await apart.ensureChannel(channel);
    await apart.publish(channel.name, message);
    expect((await apart.fetch(fetchRequest(channel)))[0]?.messageId).toBe(message.messageId);
  });

  it("uses the injected clock for message expiry and leases", async () => {
    let now = Date.now();
    const buffer = track(createSqliteBuffer({ path: ":memory:", now: () => now }));
    const channel = channelSettings({ ackTimeoutSeconds: 10 });
    await buffer.ensureChannel(channel);
    const message = testMessage(channel);
    await buffer.publish(channel.name, message);
    const [first] = await buffer.fetch(fetchRequest(channel, { consumerId: "a" }));
    expect(first?.leaseExpiresAt).toBe(now + 10_000);
    now += 10_000;
    const [second] = await buffer.fetch(fetchRequest(channel, { consumerId: "b" }));
    expect(second?.message.messageId).toBe(message.messageId);
    expect(second?.message.deliveryAttempt).toBe(2);
  });

  it("refuses a second opener of the same file while it is open", async () => {
    const path = freshPath();
    const first = track(createSqliteBuffer({ path }));
    await first.ping();
    expect(() => createSqliteBuffer({ path })).toThrow(BufferUnavailableError);
    expect(() => createSqliteBuffer({ path })).toThrow(/in use by another receiver process/);
    await first.close();
    track(createSqliteBuffer({ path }));
  });

  it("refuses a path whose parent is not a directory", () => {
    const file = join(root, `not-a-dir-${++files}`);
    writeFileSync(file, "plain file");
    const path = join(file, "buffer.db");
    expect(() => createSqliteBuffer({ path })).toThrow(BufferUnavailableError);
    expect(() => createSqliteBuffer({ path })).toThrow(`cannot open SQLite buffer at '${path}'`);
  });

  it("refuses a file that is not a database", () => {
    const path = join(root, `corrupt-${++files}.db`);
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    expect(() => createSqliteBuffer({ path })).toThrow(BufferUnavailableError);
    expect(() => createSqliteBuffer({ path })).toThrow(/not a database/);
  });

  it("refuses a file written by a newer schema version", () => {
    const path = join(root, `newer-${++files}.db`);
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => createSqliteBuffer({ path })).toThrow(/newer than this release supports/);
  });

  it("rejects every call after close with BufferUnavailableError", async () => {
    const buffer = createSqliteBuffer({ path: ":memory:" });
    const channel = channelSettings();
    await buffer.ensureChannel(channel);
    await buffer.close();
    await expect(buffer.publish(channel.name, testMessage(channel))).rejects.toBeInstanceOf(
      BufferUnavailableError,
    );
    await expect(buffer.ping()).rejects.toBeInstanceOf(BufferUnavailableError);
  });

  it("ends a waiting fetch with nothing when the buffer closes", async () => {
    const buffer = createSqliteBuffer({ path: ":memory:" });
    const channel = channelSettings();
    await buffer.ensureChannel(channel);
    const waiting = buffer.fetch(fetchRequest(channel, { waitMs: 10_000 }));
    await buffer.stats(channel.name);
    const started = performance.now();
    await buffer.close();
    expect(await waiting).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("sqlite buffer sweeps skipped until something is due", () => {
  const open: SqliteBuffer[] = [];
  afterEach(async () => {
    for (const buffer of open.splice(0)) await buffer.close();
  });
  const start = 1_900_000_000_000;

  async function setUp() {
    let now = start;
    const buffer = createSqliteBuffer({
      path: ":memory:",
      now: () => now,
      sweepIntervalMs: 60_000,
    });
    open.push(buffer);
    const channel: ChannelSettings = {
      ...TEST_CHANNEL_DEFAULTS,
      name: "due",
      ttlSeconds: 100,
      ackTimeoutSeconds: 30,
    };
    await buffer.ensureChannel(channel);
    const message = (id: string, expiresInMs: number) => {
      const m = testMessage(channel, { messageId: id });
      m.expiresAt = timestampFromMs(now + expiresInMs);
      return m;
    };
    return { buffer, channel, message, advance: (ms: number) => (now += ms) };
  }

  it("still expires a message published with an earlier expiry than the one learnt", async () => {
    const { buffer, channel, message, advance } = await setUp();
    await buffer.publish("due", message("late", 100_000));
    // A sweep learns "nothing expires before +100 s".
    expect((await buffer.stats("due")).expired).toBe(0);
    await buffer.publish("due", message("early", 5_000));
    advance(6_000);
    const delivered = await buffer.fetch(fetchRequest(channel));
    expect(delivered.map((d) => d.message.messageId)).toEqual(["late"]);
    expect((await buffer.stats("due")).expired).toBe(1);
  });

  it("returns a lease that ran out after the lease bound was learnt", async () => {
    const { buffer, channel, message, advance } = await setUp();
    await buffer.publish("due", message("a", 100_000));
    const first = await buffer.fetch(fetchRequest(channel, { consumerId: "c1" }));
    expect(first).toHaveLength(1);
    // Nothing is due yet: a fetch must not hand out the leased message.
    advance(29_000);
    expect(await buffer.fetch(fetchRequest(channel, { consumerId: "c2" }))).toHaveLength(0);
    advance(2_000);
    const again = await buffer.fetch(fetchRequest(channel, { consumerId: "c2" }));
    expect(again.map((d) => [d.message.messageId, d.message.deliveryAttempt])).toEqual([["a", 2]]);
  });

  it("re-learns after a replayed dead letter comes back with a fresh expiry", async () => {
    const { buffer, channel, message, advance } = await setUp();
    await buffer.publish("due", message("dl", 100_000));
    const [leased] = await buffer.fetch(fetchRequest(channel));
    await buffer.nack("due", "default", leased!.message.messageId, {
      retry: false,
      reason: "bad",
    });
    expect((await buffer.stats("due")).expired).toBe(0);
    expect(await buffer.replayDeadLetters("due", {})).toBe(1);
    // The replay's TTL (100 s from now) is what counts, not the old expiry.
    advance(101_000);
    expect(await buffer.fetch(fetchRequest(channel))).toHaveLength(0);
    expect((await buffer.stats("due")).expired).toBe(1);
  });
});
