/** Conformance: fan-out groups. */
import { describe, expect, it } from "vitest";
import { type ConformanceContext, fetchRequest, idsOf, publishMany } from "./buffer-context.js";
import { channelWithGroup, publishIds } from "./buffer-steps.js";

/** Registers the group cases. */
export function groupCases(ctx: ConformanceContext): void {
  describe("groups", () => {
    it("fans every message out to each group and keeps it queued until all acked", async () => {
      const { buffer, channel } = await channelWithGroup(ctx, "laptop-1");
      const ids = await publishIds(buffer, channel, 2);
      expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual(ids);
      expect(idsOf(await buffer.fetch(fetchRequest(channel, { group: "laptop-1" })))).toEqual(ids);

      for (const id of ids) expect(await buffer.ack(channel.name, "default", id)).toBe("acked");
      expect((await buffer.stats(channel.name)).queued).toBe(2);
      for (const id of ids) expect(await buffer.ack(channel.name, "laptop-1", id)).toBe("acked");
      const stats = await buffer.stats(channel.name);
      expect(stats).toMatchObject({ queued: 0, delivered: 4 });
    });

    it("gives a group created later only the messages published after it", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      const [early] = await publishMany(buffer, channel, 1);
      await buffer.ensureGroup(channel.name, "late");
      const [later] = await publishMany(buffer, channel, 1);
      expect(idsOf(await buffer.fetch(fetchRequest(channel, { group: "late" })))).toEqual([
        later!.messageId,
      ]);
      expect(idsOf(await buffer.fetch(fetchRequest(channel)))).toEqual([
        early!.messageId,
        later!.messageId,
      ]);
    });

    it("keeps a group's messages when ensureGroup is called again", async () => {
      const buffer = ctx.buffer();
      const channel = await ctx.channel();
      await buffer.ensureGroup(channel.name, "g");
      const [message] = await publishMany(buffer, channel, 1);
      await buffer.ensureGroup(channel.name, "g");
      expect(idsOf(await buffer.fetch(fetchRequest(channel, { group: "g" })))).toEqual([
        message!.messageId,
      ]);
    });
  });
}
