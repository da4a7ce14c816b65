/**
 * The stream pump refills in batches: until an eighth of the in-flight
 * window is free, it waits briefly for more acks instead of fetching one
 * slot at a time (a fetch costs a round to the buffer). An idle session
 * keeps one fetch waiting instead of fetching again every heartbeat.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FetchRequest } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer, type SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { ChannelRegistry } from "../../../receiver/channels/index.js";
import { openSession, type SessionFrame } from "../../../receiver/stream/session.js";
import { TEST_CHANNEL_DEFAULTS, testMessage } from "../../conformance/buffer-context.js";

const buffers: SqliteBuffer[] = [];
afterEach(async () => {
  for (const buffer of buffers.splice(0)) await buffer.close();
});

async function setUp(messages: number, refillWaitMs: number, heartbeatIntervalMs = 60_000) {
  const settings = { ...TEST_CHANNEL_DEFAULTS, name: "refill", maxInFlight: 16 };
  const buffer = createSqliteBuffer({ path: ":memory:" });
  buffers.push(buffer);
  await buffer.ensureChannel(settings);
  for (let i = 0; i < messages; i++) await buffer.publish("refill", testMessage(settings));
  const fetches: number[] = [];
  const waits: number[] = [];
  const fetch = buffer.fetch.bind(buffer);
  buffer.fetch = (request: FetchRequest) => {
    fetches.push(request.max);
    waits.push(request.waitMs);
    return fetch(request);
  };
  const session = await openSession({
    buffer,
    registry: new ChannelRegistry([{ settings, token: "t" }]),
    channel: "refill",
    group: "",
    connectorId: "c",
    protocol: "test",
    remoteAddress: "127.0.0.1",
    maxInFlight: 16,
    heartbeatIntervalMs,
    refillWaitMs,
  });
  const frames = session.frames()[Symbol.asyncIterator]();
  const nextMessages = async (n: number) => {
    const ids: string[] = [];
    while (ids.length < n) {
      const next = await frames.next();
      const frame = next.value as SessionFrame;
      if (frame.kind === "message") ids.push(frame.delivery.messageId);
    }
    return ids;
  };
  return { buffer, settings, session, frames, fetches, waits, nextMessages };
}

describe("stream pump refill", () => {
  it("fetches for an eighth of the window at once when acks trickle in", async () => {
    // A long refill wait, so a slow machine cannot turn this into the timeout case.
    const { session, fetches, nextMessages } = await setUp(40, 5_000);
    const first = await nextMessages(16);
    expect(fetches).toEqual([16]);
    // Acks one at a time, each in its own loop turn, faster than the refill wait.
    for (const id of first.slice(0, 2)) {
      await session.ack([id]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const second = await nextMessages(2);
    expect(second).toHaveLength(2);
    expect(fetches).toEqual([16, 2]);
    session.close("test over");
  });

  it("still fetches a single free slot after the short wait", async () => {
    const { session, fetches, nextMessages } = await setUp(40, 20);
    const first = await nextMessages(16);
    await session.ack([first[0]!]);
    // The refill arrives once the short wait is over, from one fetch of one.
    expect(await nextMessages(1)).toHaveLength(1);
    expect(fetches).toEqual([16, 1]);
    session.close("test over");
  });

  it("fetches at once when nothing is in flight", async () => {
    const { session, fetches, nextMessages } = await setUp(40, 5_000);
    const first = await nextMessages(16);
    await session.ack(first);
    expect(await nextMessages(16)).toHaveLength(16);
    expect(fetches).toEqual([16, 16]);
    session.close("test over");
  });
});

describe("idle session", () => {
  it("keeps one fetch waiting across heartbeats, without a deadline, until a message comes", async () => {
    const { buffer, settings, session, frames, fetches, waits } = await setUp(0, 5_000, 50);
    let heartbeats = 0;
    while (heartbeats < 6) {
      const frame = (await frames.next()).value as SessionFrame;
      expect(frame.kind).toBe("heartbeat");
      heartbeats += 1;
    }
    // Six heartbeat intervals went by: still the first fetch, waiting on the buffer.
    expect(fetches).toEqual([16]);
    expect(waits).toEqual([Number.POSITIVE_INFINITY]);
    const message = testMessage(settings);
    await buffer.publish("refill", message);
    let frame = (await frames.next()).value as SessionFrame;
    while (frame.kind === "heartbeat") frame = (await frames.next()).value as SessionFrame;
    expect(frame.kind === "message" && frame.delivery.messageId).toBe(message.messageId);
    session.close("test over");
  });
});
