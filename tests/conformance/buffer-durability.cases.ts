/** Conformance for backends with `durableAcrossRestart`: nothing is lost by close and reopen. */
import { expect, it } from "vitest";
import type { Delivery } from "../../receiver/buffer/buffer.js";
import {
  type ConformanceContext,
  fetchRequest,
  idsOf,
  publishMany,
  testMessage,
} from "./buffer-context.js";
import { deadLetterPairs } from "./buffer-steps.js";

/** Registers the restart cases. */
export function durabilityCases(ctx: ConformanceContext): void {
  it("keeps messages, lease attempts, dead letters, counters and state", async () => {
    const buffer = ctx.buffer();
    const channel = await ctx.channel({ ackTimeoutSeconds: 0.5 });
    const messages = await publishMany(buffer, channel, 4);
    const [m1, m2, m3, m4] = messages.map((message) => message.messageId);
    await buffer.fetch(fetchRequest(channel, { max: 2 }));
    await buffer.ack(channel.name, "default", m1!);
    await buffer.nack(channel.name, "default", m2!, { retry: false, reason: "gone" });
    expect(idsOf(await buffer.fetch(fetchRequest(channel, { max: 1 })))).toEqual([m3]);
    const key = ctx.stateKey();
    await buffer.setState(key, "kept");

    const reopened = await ctx.restart();
    expect(await reopened.getState(key)).toBe("kept");
    expect(await reopened.stats(channel.name)).toMatchObject({
      queued: 2,
      delivered: 1,
      deadLettered: 1,
      deadLetterQueued: 1,
    });
    expect(await deadLetterPairs(reopened, channel, "reason")).toEqual([[m2, "gone"]]);

    const received = new Map<string, Delivery>();
    for (let round = 0; round < 3 && received.size < 2; round++) {
      const batch = await reopened.fetch(
        fetchRequest(channel, { consumerId: "c2", waitMs: 5_000 }),
      );
      // Keep each message's first delivery: with a 0.5 s lease a slow round
      // may see m4 again, redelivered, before m3 arrives.
      for (const delivery of batch) {
        if (!received.has(delivery.message.messageId)) {
          received.set(delivery.message.messageId, delivery);
        }
      }
    }
    expect([...received.keys()].sort()).toEqual([m3!, m4!].sort());
    expect(received.get(m3!)!.message.deliveryAttempt).toBe(2);
    expect(received.get(m4!)!.message.deliveryAttempt).toBe(1);
    expect(Array.from(received.get(m4!)!.message.body)).toEqual(Array.from(messages[3]!.body));

    const next = await reopened.publish(channel.name, testMessage(channel));
    expect(next.duplicate).toBe(false);
    expect(next.sequence).toBeGreaterThan(received.get(m4!)!.message.sequence);
  });
}
