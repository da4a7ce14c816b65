/**
 * The stream pump refills in batches: while more than half of the
 * in-flight window is still out, it waits briefly for more acks instead
 * of fetching one slot at a time (a fetch costs a loop turn and a commit).
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

async function setUp(messages: number, refillWaitMs: number) {
  const settings = { ...TEST_CHANNEL_DEFAULTS, name: "refill", maxInFlight: 10 };
  const buffer = createSqliteBuffer({ path: ":memory:" });
  buffers.push(buffer);
  await buffer.ensureChannel(settings);
  for (let i = 0; i < messages; i++) await buffer.publish("refill", testMessage(settings));
  const fetches: number[] = [];
  const fetch = buffer.fetch.bind(buffer);
  buffer.fetch = (request: FetchRequest) => {
    fetches.push(request.max);
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
    maxInFlight: 10,
    heartbeatIntervalMs: 60_000,
    refillWaitMs,
  });
  const frames = session.frames()[Symbol.asyncIterator]();
  const nextMessages = async (n: number) => {
    const ids: string[] = [];
    while (ids.length < n) {
      const next = await frames.next();
      const frame = next.value as SessionFrame;
      if (frame.kind === "message") ids.push(frame.message.messageId);
    }
    return ids;
  };
  return { session, fetches, nextMessages };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("stream pump refill", () => {
  it("fetches for half the window at once when acks trickle in", async () => {
    // A long refill wait, so a slow machine cannot turn this into the timeout case.
    const { session, fetches, nextMessages } = await setUp(40, 5_000);
    const first = await nextMessages(10);
    expect(fetches).toEqual([10]);
    // Acks one at a time, each in its own loop turn, faster than the refill wait.
    for (const id of first.slice(0, 5)) {
      await session.ack([id]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const second = await nextMessages(5);
    expect(second).toHaveLength(5);
    expect(fetches).toEqual([10, 5]);
    session.close("test over");
  });

  it("still fetches a single free slot after the short wait", async () => {
    const { session, fetches, nextMessages } = await setUp(40, 20);
    const first = await nextMessages(10);
    await session.ack([first[0]!]);
    await sleep(300);
    expect(fetches).toEqual([10, 1]);
    expect(await nextMessages(1)).toHaveLength(1);
    session.close("test over");
  });

  it("fetches at once when nothing is in flight", async () => {
    const { session, fetches, nextMessages } = await setUp(40, 5_000);
    const first = await nextMessages(10);
    await session.ack(first);
    expect(await nextMessages(10)).toHaveLength(10);
    expect(fetches).toEqual([10, 10]);
    session.close("test over");
  });
});
