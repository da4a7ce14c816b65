import { describe, expect, it } from "vitest";
import { type AckBatch, createAckBatcher } from "../../../connector/transport/ack-batcher.js";

/** A send whose requests stay open until released, recording what each carried. */
function heldSends() {
  const sent: AckBatch[] = [];
  const release: Array<() => void> = [];
  return {
    sent,
    release,
    send: (batch: AckBatch) =>
      new Promise<void>((resolve) => {
        sent.push(batch);
        release.push(resolve);
      }),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("ack batcher", () => {
  it("sends acks arriving while a request is in flight in another request at once", async () => {
    const held = heldSends();
    const batcher = createAckBatcher({ send: held.send, delayMs: 1 });
    batcher.ack("a");
    await expect.poll(() => held.sent.length).toBe(1);
    batcher.ack("b");
    // The first request is still open: a second one carries "b" without waiting for it.
    await expect.poll(() => held.sent.length).toBe(2);
    expect(held.sent.map((batch) => batch.acks)).toEqual([["a"], ["b"]]);
    for (const resolve of held.release) resolve();
    await batcher.flush();
  });

  it("keeps at most `concurrency` requests in flight and sends everything in the end", async () => {
    const held = heldSends();
    const batcher = createAckBatcher({ send: held.send, delayMs: 1, concurrency: 2 });
    for (const id of ["a", "b", "c", "d"]) {
      batcher.ack(id);
      await tick();
    }
    expect(held.sent).toHaveLength(2);
    for (let index = 0; index < 10 && held.sent.length < 3; index++) {
      held.release.shift()?.();
      await tick();
    }
    const flushed = batcher.flush();
    while (held.release.length > 0) {
      held.release.shift()?.();
      await tick();
    }
    await flushed;
    expect(held.sent.flatMap((batch) => batch.acks).sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("puts at most `max` entries in one request", async () => {
    const held = heldSends();
    const batcher = createAckBatcher({ send: held.send, delayMs: 1, max: 3, concurrency: 1 });
    for (let index = 0; index < 7; index++) batcher.ack(`m${index}`);
    const flushed = batcher.flush();
    while (held.sent.flatMap((batch) => batch.acks).length < 7) {
      await tick();
      held.release.shift()?.();
    }
    for (const resolve of held.release) resolve();
    await flushed;
    expect(held.sent.map((batch) => batch.acks.length)).toEqual([3, 3, 1]);
  });
});
