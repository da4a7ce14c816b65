import { describe, expect, it } from "vitest";
import { FrameQueue } from "../../../receiver/stream/frame-queue.js";

async function drain<T>(queue: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of queue) items.push(item);
  return items;
}

describe("FrameQueue", () => {
  it("yields queued items in order, then those pushed while the consumer waits", async () => {
    const queue = new FrameQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(queue.size).toBe(2);
    const drained = drain(queue);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.size).toBe(0);
    queue.push(3);
    queue.push(4);
    queue.end();
    expect(await drained).toEqual([1, 2, 3, 4]);
  });

  it("finishes after the queued items once ended, and ignores later pushes", async () => {
    const queue = new FrameQueue<string>();
    queue.push("a");
    queue.end();
    queue.push("b");
    expect(await drain(queue)).toEqual(["a"]);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it("throws the end error after the queued items, once", async () => {
    const queue = new FrameQueue<number>();
    queue.push(1);
    queue.end(new Error("boom"));
    const items: number[] = [];
    await expect(
      (async () => {
        for await (const item of queue) items.push(item);
      })(),
    ).rejects.toThrow("boom");
    expect(items).toEqual([1]);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it("rejects a waiting consumer when ended with an error", async () => {
    const queue = new FrameQueue<number>();
    const pending = queue.next();
    queue.end(new Error("gone"));
    await expect(pending).rejects.toThrow("gone");
  });

  it("stops delivering when the consumer leaves early", async () => {
    const queue = new FrameQueue<number>();
    queue.push(1);
    queue.push(2);
    for await (const item of queue) {
      expect(item).toBe(1);
      break;
    }
    queue.push(3);
    expect(queue.size).toBe(0);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
