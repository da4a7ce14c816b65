/**
 * Upgrading the embedded buffer: files written by earlier releases are
 * migrated in place to the log layout with nothing lost, and a file that
 * cannot be migrated is refused with one clear line and left as it was.
 * The fixture was written by the release with schema version 2
 * (tests/fixtures/sqlite-v2/generate.ts).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type ChannelStats,
  DEFAULT_GROUP,
  type Delivery,
} from "../../../receiver/buffer/buffer.js";
import {
  createSqliteBuffer,
  SCHEMA_VERSION,
  type SqliteBuffer,
} from "../../../receiver/buffer/sqlite/index.js";
import { BufferUnavailableError, QueueFullError } from "../../../receiver/errors.js";
import { TEST_CHANNEL_DEFAULTS, testMessage } from "../../conformance/buffer-context.js";

const FIXTURE = fileURLToPath(new URL("../../fixtures/sqlite-v2/buffer.db", import.meta.url));
const EXPECTED = JSON.parse(
  readFileSync(new URL("../../fixtures/sqlite-v2/expected.json", import.meta.url), "utf8"),
) as { writtenAt: number; stats: { fanout: ChannelStats; ordered: ChannelStats } };

const root = mkdtempSync(join(tmpdir(), "wc-sqlite-migrate-"));
let copies = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh copy of the release's file. */
function releaseFile(): string {
  const path = join(root, `v2-${++copies}.db`);
  copyFileSync(FIXTURE, path);
  return path;
}

function attemptsOf(deliveries: readonly Delivery[]): [string, number][] {
  return deliveries.map((d) => [d.messageId, d.message.deliveryAttempt]);
}

describe("sqlite buffer migration", () => {
  const open: SqliteBuffer[] = [];
  afterEach(async () => {
    for (const buffer of open.splice(0)) await buffer.close();
  });
  const openBuffer = (path: string): SqliteBuffer => {
    const buffer = createSqliteBuffer({ path, sweepIntervalMs: 60_000 });
    open.push(buffer);
    return buffer;
  };

  it("keeps every message, counter and dead letter of a version 2 file", async () => {
    const buffer = openBuffer(releaseFile());
    const fanout = await buffer.stats("fanout");
    const before = EXPECTED.stats.fanout;
    // The leases held when the old release stopped come back, as after any restart.
    expect(fanout).toMatchObject({
      queued: before.queued,
      delivered: before.delivered,
      deadLettered: before.deadLettered,
      deadLetterQueued: before.deadLetterQueued,
      inFlight: 0,
    });
    expect(fanout.groups).toEqual([
      { group: "default", pending: 4, inFlight: 0, oldestUnackedAgeMs: expect.any(Number) },
      { group: "laptop", pending: 7, inFlight: 0, oldestUnackedAgeMs: expect.any(Number) },
    ]);
    // Their oldest messages were received before the old release wrote the file.
    for (const group of fanout.groups) {
      expect(group.oldestUnackedAgeMs).toBeGreaterThanOrEqual(Date.now() - EXPECTED.writtenAt);
    }
    expect(await buffer.stats("ordered")).toMatchObject({ queued: 2, delivered: 1 });
    expect(await buffer.getState("token/fanout")).toBe("rotated-token");
    const letters = await buffer.listDeadLetters("fanout", { limit: 10, offset: 0 });
    expect(letters.map((l) => [l.message.messageId, l.reason, l.attempts])).toEqual([
      ["fanout-3", "target answered 410", 1],
    ]);
  });

  it("delivers what each group had not finished, with its attempt counts", async () => {
    const buffer = openBuffer(releaseFile());
    const fetch = (channel: string, group: string) =>
      buffer.fetch({ channel, group, consumerId: "after-upgrade", max: 20, waitMs: 0 });
    expect(attemptsOf(await fetch("fanout", DEFAULT_GROUP))).toEqual([
      ["fanout-4", 2],
      ["fanout-5", 2],
      ["fanout-7", 1],
      ["fanout-8", 1],
    ]);
    expect(attemptsOf(await fetch("fanout", "laptop"))).toEqual([
      ["fanout-2", 3],
      ["fanout-3", 1],
      ["fanout-4", 1],
      ["fanout-5", 1],
      ["fanout-6", 1],
      ["fanout-7", 1],
      ["fanout-8", 1],
    ]);
    expect(attemptsOf(await fetch("ordered", DEFAULT_GROUP))).toEqual([["ordered-2", 1]]);
    const body = (await fetch("fanout", DEFAULT_GROUP)).length;
    expect(body).toBe(0);
  });

  it("continues the sequences and the queue limit where the old file left them", async () => {
    const buffer = openBuffer(releaseFile());
    const channel = { ...TEST_CHANNEL_DEFAULTS, name: "fanout", maxQueueSize: 8 };
    await buffer.ensureChannel(channel);
    const next = await buffer.publish("fanout", testMessage(channel));
    expect(next.sequence).toBe(9n);
    await expect(buffer.publish("fanout", testMessage(channel))).rejects.toBeInstanceOf(
      QueueFullError,
    );
  });

  it("writes the log layout and drops the old tables", async () => {
    const path = releaseFile();
    await openBuffer(path).close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      const tables = (
        raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      expect(tables).not.toContain("messages");
      expect(tables).not.toContain("deliveries");
      expect(tables).toEqual(expect.arrayContaining(["channels", "groups", "log_1", "log_2"]));
      // fanout-1 was done in both groups, so the old release had deleted it already.
      expect(raw.prepare("SELECT COUNT(*) AS n FROM log_1").get()).toEqual({ n: 7 });
    } finally {
      raw.close();
    }
  });

  it("migrates a version 1 file (no kept queue length) the same way", async () => {
    const path = releaseFile();
    const raw = new Database(path);
    raw.exec(`DROP TRIGGER messages_queued_insert; DROP TRIGGER messages_queued_delete;
      ALTER TABLE channels DROP COLUMN queued;`);
    raw.pragma("user_version = 1");
    raw.close();
    const buffer = openBuffer(path);
    expect(await buffer.stats("fanout")).toMatchObject({
      queued: EXPECTED.stats.fanout.queued,
      delivered: EXPECTED.stats.fanout.delivered,
    });
  });

  it("refuses a file it cannot migrate with one line, leaving the file as it was", () => {
    const path = releaseFile();
    const raw = new Database(path);
    raw.exec("DROP TABLE deliveries");
    raw.close();
    let error: unknown;
    try {
      openBuffer(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BufferUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(`cannot open SQLite buffer at '${path}'`);
    expect(message).toContain("deliveries");
    expect(message).not.toContain("\n");
    const after = new Database(path, { readonly: true });
    try {
      expect(after.pragma("user_version", { simple: true })).toBe(2);
      expect(after.prepare("SELECT COUNT(*) AS n FROM messages").get()).toEqual({ n: 9 });
    } finally {
      after.close();
    }
  });
});
