/**
 * The embedded buffer near a full disk (a small tmpfs): new messages are
 * refused (503 at ingest) before the disk is full, while leases, acks and
 * dead letters keep working, so connectors can drain the queue that frees
 * the space; then new messages are accepted again. Nothing accepted is lost.
 * Mounting needs root; outside CI the test is skipped without it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Buffer, ChannelSettings, PublishResult } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer, type SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import {
  fetchRequest,
  TEST_CHANNEL_DEFAULTS,
  testMessage,
} from "../../conformance/buffer-context.js";

const MiB = 1024 * 1024;
const body = new Uint8Array(1024).fill(0x61);
body[0] = 0x22;
body[1023] = 0x22;

function mountTmpfs(): { dir: string } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), "wc-full-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir], { stdio: "pipe" });
    return { dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { error: (error as Error).message.split("\n")[0] ?? "mount failed" };
  }
}

const mounted = mountTmpfs();
const unavailable = "error" in mounted ? mounted.error : undefined;
if (unavailable !== undefined && process.env["CI"] !== "true") {
  console.warn(`skipping the full-disk tests: cannot mount a tmpfs (${unavailable}); run as root`);
}

afterAll(() => {
  if ("dir" in mounted) {
    execFileSync("umount", [mounted.dir]);
    rmSync(mounted.dir, { recursive: true, force: true });
  }
});

/** Publishes batches of concurrent messages until one is refused; returns the accepted ids. */
async function fillUntilRefused(buffer: Buffer, channel: ChannelSettings) {
  const accepted: string[] = [];
  const refusals: unknown[] = [];
  for (let round = 0; round < 200 && refusals.length === 0; round++) {
    const messages = Array.from({ length: 200 }, () => testMessage(channel, { body }));
    const outcomes = await Promise.allSettled(
      messages.map((message) => buffer.publish(channel.name, message)),
    );
    outcomes.forEach((outcome, index) => {
      if (outcome.status === "fulfilled") accepted.push(messages[index]!.messageId);
      else refusals.push(outcome.reason);
    });
  }
  return { accepted, refusals };
}

async function drain(buffer: Buffer, channel: ChannelSettings): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const batch = await buffer.fetch(fetchRequest(channel, { max: 500 }));
    if (batch.length === 0) return seen;
    for (const delivery of batch) {
      expect(await buffer.ack(channel.name, "default", delivery.messageId)).toBe("acked");
      seen.push(delivery.messageId);
    }
  }
}

describe.skipIf(unavailable !== undefined && process.env["CI"] !== "true")(
  "sqlite buffer on a nearly full disk",
  () => {
    const open: SqliteBuffer[] = [];
    afterEach(async () => {
      for (const buffer of open.splice(0)) await buffer.close();
    });

    it("refuses new messages before the disk is full and keeps leases, acks and dead letters working", async () => {
      if (unavailable !== undefined) throw new Error(`cannot mount a tmpfs in CI: ${unavailable}`);
      const dir = (mounted as { dir: string }).dir;
      const buffer = createSqliteBuffer({
        path: join(dir, "buffer.db"),
        minFreeBytes: 3 * MiB,
        sweepIntervalMs: 60_000,
      });
      open.push(buffer);
      const channel = { ...TEST_CHANNEL_DEFAULTS, name: "full-disk", maxQueueSize: 1_000_000 };
      await buffer.ensureChannel(channel);

      const { accepted, refusals } = await fillUntilRefused(buffer, channel);
      expect(refusals.length).toBeGreaterThan(0);
      for (const refusal of refusals) expect(refusal).toBeInstanceOf(BufferUnavailableError);
      expect(accepted.length).toBeGreaterThan(1_000);
      // The reserve held: the file system still has room for what follows.
      const stats = statfsSync(dir);
      expect(stats.bavail * stats.bsize).toBeGreaterThan(MiB);
      // Readiness says so while new messages are refused.
      await expect(buffer.ping()).rejects.toBeInstanceOf(BufferUnavailableError);

      const [first] = await buffer.fetch(fetchRequest(channel, { max: 1 }));
      expect(
        await buffer.nack(channel.name, "default", first!.messageId, {
          retry: false,
          reason: "target answered 410",
        }),
      ).toBe("dead_lettered");
      const letters = await buffer.listDeadLetters(channel.name, { limit: 10, offset: 0 });
      expect(letters.map((letter) => letter.message.messageId)).toEqual([first!.messageId]);

      const delivered = await drain(buffer, channel);
      expect(new Set([first!.messageId, ...delivered])).toEqual(new Set(accepted));
      expect(await buffer.stats(channel.name)).toMatchObject({ queued: 0, inFlight: 0 });

      // Drained messages free their pages, so new messages are accepted again.
      let again: PublishResult | undefined;
      await expect
        .poll(
          async () => {
            again = await buffer
              .publish(channel.name, testMessage(channel, { body }))
              .catch(() => undefined);
            return again !== undefined;
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBe(true);
      await expect(buffer.ping()).resolves.toBeUndefined();
    });
  },
);

describe("sqlite buffer size budget", () => {
  it("refuses new messages at max_buffer_bytes and accepts them again once drained", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wc-budget-"));
    const buffer = createSqliteBuffer({
      path: join(dir, "buffer.db"),
      maxBufferBytes: 6 * MiB,
      sweepIntervalMs: 60_000,
    });
    try {
      const channel = { ...TEST_CHANNEL_DEFAULTS, name: "budget", maxQueueSize: 1_000_000 };
      await buffer.ensureChannel(channel);
      const { accepted, refusals } = await fillUntilRefused(buffer, channel);
      expect(refusals.length).toBeGreaterThan(0);
      for (const refusal of refusals) {
        expect(refusal).toBeInstanceOf(BufferUnavailableError);
        expect((refusal as Error).message).toContain("max_buffer_bytes");
      }
      expect(new Set(await drain(buffer, channel))).toEqual(new Set(accepted));
      await expect
        .poll(
          () =>
            buffer.publish(channel.name, testMessage(channel, { body })).then(
              () => true,
              () => false,
            ),
          { timeout: 10_000, interval: 100 },
        )
        .toBe(true);
    } finally {
      await buffer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
