/** Conformance: exact channel numbers and TTL expiry. */
import { describe, expect, it } from "vitest";
import { type ConformanceContext, elapse, fetchRequest, idsOf } from "./buffer-context.js";
import { channelWithGroup, publishIds } from "./buffer-steps.js";

/** Registers the stats and expiry cases. */
export function statsCases(ctx: ConformanceContext): void {
  describe("stats", () => {
    it("reports exact numbers per channel and per group", async () => {
      const { buffer, channel } = await channelWithGroup(ctx, "g2");
      const ids = await publishIds(buffer, channel, 5);
      const taken = await buffer.fetch(fetchRequest(channel, { max: 3 }));
      expect(idsOf(taken)).toEqual(ids.slice(0, 3));
      await buffer.ack(channel.name, "default", ids[0]!);
      await buffer.nack(channel.name, "default", ids[1]!, { retry: false, reason: "400" });
      await buffer.fetch(fetchRequest(channel, { group: "g2", max: 1 }));

      const stats = await buffer.stats(channel.name);
      expect(stats).toMatchObject({
        channel: channel.name,
        queued: 5,
        inFlight: 2,
        delivered: 1,
        expired: 0,
        deadLettered: 1,
        deadLetterQueued: 1,
      });
      const groups = [...stats.groups].sort((a, b) => a.group.localeCompare(b.group));
      expect(groups).toEqual([
        { group: "default", pending: 2, inFlight: 1, oldestUnackedAgeMs: expect.any(Number) },
        { group: "g2", pending: 4, inFlight: 1, oldestUnackedAgeMs: expect.any(Number) },
      ]);

      await buffer.ack(channel.name, "g2", ids[0]!);
      expect(await buffer.stats(channel.name)).toMatchObject({ queued: 4, delivered: 2 });
    });
  });

  describe("lag", () => {
    it("reports the age of each group's oldest unfinished message, 0 once it has none", async () => {
      const { buffer, channel } = await channelWithGroup(ctx, "laptop");
      const publishedAt = Date.now();
      const ids = await publishIds(buffer, channel, 2);
      await elapse(300);
      const before = await buffer.stats(channel.name);
      expect(before.groups.map((group) => group.group).sort()).toEqual(["default", "laptop"]);
      for (const group of before.groups) {
        expect(group.oldestUnackedAgeMs).toBeGreaterThanOrEqual(250);
        expect(group.oldestUnackedAgeMs).toBeLessThanOrEqual(Date.now() - publishedAt + 1_000);
      }

      // Leased but not acked still counts; acked everything does not.
      expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual(ids);
      const leased = await buffer.stats(channel.name);
      expect(
        leased.groups.find((g) => g.group === "default")!.oldestUnackedAgeMs,
      ).toBeGreaterThanOrEqual(250);
      for (const id of ids) expect(await buffer.ack(channel.name, "default", id)).toBe("acked");
      const after = await buffer.stats(channel.name);
      expect(after.groups.find((g) => g.group === "default")!.oldestUnackedAgeMs).toBe(0);
      expect(
        after.groups.find((g) => g.group === "laptop")!.oldestUnackedAgeMs,
      ).toBeGreaterThanOrEqual(250);
    });
  });

  describe("expiry", () => {
    it("never delivers a message past its TTL and counts it as expired", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel({ ttlSeconds: 0.5 });
      await publishIds(buffer, channel, 1);
      expect((await buffer.stats(channel.name)).queued).toBe(1);
      await elapse(800);
      expect(await buffer.fetch(fetchRequest(channel))).toEqual([]);
      expect(await buffer.stats(channel.name)).toMatchObject({
        queued: 0,
        inFlight: 0,
        expired: 1,
        groups: [{ group: "default", pending: 0, inFlight: 0, oldestUnackedAgeMs: 0 }],
      });
    });
  });
}
