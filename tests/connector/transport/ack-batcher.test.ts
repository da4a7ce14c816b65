/**
 * The ack batcher: several requests in flight at once, and every request
 * under the receiver's 64 KiB RPC message cap (docs/protocol.md, *Limits*):
 * batches are bounded by bytes as well as by count, and long nack reasons
 * are cut.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type AckBatch, createAckBatcher } from "../../../connector/transport/ack-batcher.js";
import { MAX_NACK_REASON_CHARS } from "../../../connector/transport/transport.js";
import { AckRequestSchema, NackSchema } from "../../../gen/webhookconnect/v1/relay_pb.js";
import { MAX_RPC_MESSAGE_BYTES } from "../../../receiver/stream/rpc-limits.js";

/** The batch as the Subscribe transport encodes it (an AckRequest). */
function encodedSize(batch: AckBatch): number {
  return toBinary(
    AckRequestSchema,
    create(AckRequestSchema, {
      channel: "channel-name",
      connectionId: "0123456789abcdef0123456789abcdef",
      group: "default",
      ackMessageIds: [...batch.acks],
      nacks: batch.nacks.map((n) =>
        create(NackSchema, { messageId: n.messageId, retry: n.retry, reason: n.reason }),
      ),
    }),
  ).length;
}

async function batchesOf(fill: (batcher: ReturnType<typeof createAckBatcher>) => void) {
  const batches: AckBatch[] = [];
  const batcher = createAckBatcher({
    send: async (batch) => {
      batches.push(batch);
    },
  });
  fill(batcher);
  await batcher.flush();
  return batches;
}

const id = (i: number) => `01JABCDEFGHJKMNPQRSTV${String(i).padStart(5, "0")}`;

describe("ack batches", () => {
  it("stay under the RPC message cap with 500 nacks of long reasons", async () => {
    const batches = await batchesOf((batcher) => {
      for (let i = 0; i < 500; i++) batcher.nack(id(i), { retry: true, reason: "é".repeat(900) });
    });
    expect(batches.flatMap((b) => b.nacks)).toHaveLength(500);
    for (const batch of batches)
      expect(encodedSize(batch)).toBeLessThanOrEqual(MAX_RPC_MESSAGE_BYTES);
  });

  it("stay under the cap with acks and nacks mixed", async () => {
    const batches = await batchesOf((batcher) => {
      for (let i = 0; i < 1_000; i++) {
        if (i % 3 === 0) batcher.nack(id(i), { retry: false, reason: "x".repeat(600) });
        else batcher.ack(id(i));
      }
    });
    expect(batches.flatMap((b) => [...b.acks, ...b.nacks.map((n) => n.messageId)])).toHaveLength(
      1_000,
    );
    for (const batch of batches)
      expect(encodedSize(batch)).toBeLessThanOrEqual(MAX_RPC_MESSAGE_BYTES);
  });

  it("cut a nack reason longer than the limit", async () => {
    const batches = await batchesOf((batcher) => {
      batcher.nack(id(1), { retry: false, reason: "y".repeat(200_000) });
    });
    const reason = batches[0]!.nacks[0]!.reason;
    expect(reason.length).toBe(MAX_NACK_REASON_CHARS);
    expect(encodedSize(batches[0]!)).toBeLessThanOrEqual(MAX_RPC_MESSAGE_BYTES);
  });
});

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
