import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { makeMessage } from "../helpers/messages.js";
import { heldBy, startForTest, startWithOneInFlight } from "./in-flight.js";
import { createGate, type HarnessOptions } from "./runner-harness.js";

/**
 * Sends `messages` messages (ids `${idPrefix}-0`, …) to a target that holds
 * each `holdMs` before its 200; returns the most deliveries it saw at once.
 */
async function peakConcurrency(
  options: HarnessOptions,
  load: { holdMs: number; messages: number; idPrefix: string },
): Promise<number> {
  let running = 0;
  let peak = 0;
  const h = await startForTest({
    ...options,
    target: async (_req, res) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, load.holdMs));
      running--;
      res.writeHead(200).end();
    },
  });
  const session = await h.relay.session(1);
  for (let i = 0; i < load.messages; i++) {
    session.sendMessage(makeMessage({ id: `${load.idPrefix}-${i}` }));
  }
  await session.until(() => session.acks.length === load.messages);
  return peak;
}

describe.each(["grpc", "connect"] as const)("runner over %s", (protocol) => {
  it("sends Hello with the bearer token and reports the Welcome", async () => {
    const h = await startForTest({ protocol, maxConcurrent: 7 });
    const session = await h.relay.session(1);
    expect(session.authorization).toBe("Bearer secret-token");
    expect(session.hello.channel).toBe("test-channel");
    expect(session.hello.connectorId).toBe("connector-under-test");
    expect(session.hello.maxInFlight).toBe(7);
    expect(session.hello.clientVersion).toBe("webhook-connect/test");
    const connected = await h.log.next("connected");
    expect(connected).toMatchObject({
      transport: protocol,
      connectionId: "conn-1",
      group: "default",
      maxInFlight: 7,
      heartbeatIntervalMs: 10_000,
    });
  });

  it("delivers messages to the target and acks them in batches", async () => {
    const gate = createGate();
    const h = await startForTest({ protocol, target: heldBy(gate) });
    const session = await h.relay.session(1);
    const ids = ["a1", "a2", "a3", "a4", "a5"];
    for (const id of ids) session.sendMessage(makeMessage({ id }));
    await h.target.waitForRequests(5);
    gate.open();
    await session.until(() => session.acks.length === 5);
    expect([...session.acks].sort()).toEqual(ids);
    // Completions that land together share Ack frames.
    expect(session.ackFrames.length).toBeLessThan(5);
    expect(
      h.log
        .of("delivered")
        .map((e) => e.messageId)
        .sort(),
    ).toEqual(ids);
  });

  it("nacks with retry=true on a 500 and retry=false on a 410", async () => {
    const h = await startForTest({
      protocol,
      target: (req, res) => {
        res.writeHead(req.body.toString() === "gone" ? 410 : 500).end();
      },
    });
    const session = await h.relay.session(1);
    session.sendMessage(makeMessage({ id: "n-500", body: "fail" }));
    session.sendMessage(makeMessage({ id: "n-410", body: "gone" }));
    await session.until(() => session.nacks.length === 2);
    const byId = new Map(session.nacks.map((n) => [n.messageId, n]));
    expect(byId.get("n-500")).toMatchObject({ retry: true, reason: "target answered HTTP 500" });
    expect(byId.get("n-410")).toMatchObject({ retry: false, reason: "target answered HTTP 410" });
    expect(session.acks).toEqual([]);
  });
});

describe("runner reconnects", () => {
  it("reconnects after the server ends the stream and keeps delivering", async () => {
    const h = await startForTest();
    const first = await h.relay.session(1);
    first.end();
    const disconnected = await h.log.next("disconnected");
    expect(disconnected.reason).toBe("server_closed");
    const reconnecting = await h.log.next("reconnecting");
    expect(reconnecting.fatal).toBe(false);
    const second = await h.relay.session(2);
    second.sendMessage(makeMessage({ id: "after-reconnect" }));
    await second.until(() => second.acks.includes("after-reconnect"));
  });

  it("reconnects after the server fails the stream", async () => {
    const h = await startForTest();
    (await h.relay.session(1)).fail(Code.Unavailable, "going away");
    const disconnected = await h.log.next("disconnected");
    expect(disconnected.reason).toBe("error");
    expect(disconnected.message).toContain("going away");
    await h.relay.session(2);
  });

  it("acks on the new session a delivery that outlived the old one", async () => {
    const { h, gate, session: first } = await startWithOneInFlight(makeMessage({ id: "slow-1" }));
    first.end();
    const second = await h.relay.session(2);
    gate.open();
    await second.until(() => second.acks.includes("slow-1"));
    expect(first.acks).toEqual([]);
  });

  it("does not deliver twice a message redelivered while its delivery still runs", async () => {
    const {
      h,
      gate,
      session: first,
    } = await startWithOneInFlight(makeMessage({ id: "dup-1", attempt: 1 }));
    first.end();
    const second = await h.relay.session(2);
    second.sendMessage(makeMessage({ id: "dup-1", attempt: 2 }));
    await h.log.next("duplicate");
    gate.open();
    await second.until(() => second.acks.includes("dup-1"));
    expect(h.target.requests).toHaveLength(1);
  });

  it("acks without delivering a message redelivered after it was delivered", async () => {
    const h = await startForTest();
    const session = await h.relay.session(1);
    session.sendMessage(makeMessage({ id: "once" }));
    await session.until(() => session.acks.includes("once"));
    session.sendMessage(makeMessage({ id: "once", attempt: 2 }));
    await session.until(() => session.acks.filter((id) => id === "once").length === 2);
    expect(h.target.requests).toHaveLength(1);
  });

  it("retries a refused token at the longest delay with a fatal event", async () => {
    const h = await startForTest({ token: "wrong-token" });
    const failed = await h.log.next("connect_failed");
    expect(failed).toMatchObject({ code: "WC_ERR_CONNECTOR_UNAUTHENTICATED", fatal: true });
    const reconnecting = await h.log.next("reconnecting");
    // random() = 0.5 puts the jitter at the middle: exactly the longest delay.
    expect(reconnecting).toMatchObject({ fatal: true, delayMs: 100 });
    await h.log.next("connect_failed", () => true, 2);
    expect(h.relay.rejected.slice(0, 2)).toEqual([Code.Unauthenticated, Code.Unauthenticated]);
  });

  it("reports an unknown channel as fatal", async () => {
    const h = await startForTest({ relay: { channel: "other-channel" } });
    const failed = await h.log.next("connect_failed");
    expect(failed).toMatchObject({ code: "WC_ERR_CONNECTOR_UNKNOWN_CHANNEL", fatal: true });
  });

  it("backs off exponentially on transient failures and resets after a healthy session", async () => {
    const h = await startForTest({
      runner: { reconnectDelayMs: 10, maxReconnectDelayMs: 1_000, reconnectBackoffMultiplier: 2 },
    });
    await h.relay.session(1);
    h.relay.rejectWith = Code.Unavailable;
    (await h.relay.session(1)).end();
    await h.log.next("reconnecting", () => true, 4);
    const delays = h.log.of("reconnecting").map((e) => e.delayMs);
    expect(delays.slice(0, 4)).toEqual([10, 20, 40, 80]);
    h.relay.rejectWith = undefined;
    const second = await h.relay.session(2);
    second.sendMessage(makeMessage({ id: "healthy" }));
    await second.until(() => second.acks.includes("healthy"));
    const count = h.log.of("reconnecting").length;
    second.end();
    const next = await h.log.next("reconnecting", () => true, count + 1);
    expect(next.delayMs).toBe(10);
  });

  it("drops a silent server after the heartbeat timeout and sends its own heartbeats", async () => {
    const h = await startForTest({ relay: { heartbeatIntervalMs: 100 } });
    const first = await h.relay.session(1);
    const disconnected = await h.log.next("disconnected");
    expect(disconnected.reason).toBe("heartbeat_timeout");
    expect(disconnected.durationMs).toBeGreaterThanOrEqual(290);
    expect(first.heartbeats).toBeGreaterThanOrEqual(2);
    await h.relay.session(2);
  });

  it("keeps a session alive while the server sends heartbeats", async () => {
    const h = await startForTest({ relay: { heartbeatIntervalMs: 100 } });
    const session = await h.relay.session(1);
    const beat = setInterval(() => session.sendHeartbeat(), 50);
    try {
      // Six client heartbeats span 600 ms: twice the 300 ms timeout.
      await session.until(() => session.heartbeats >= 6);
      expect(h.log.of("disconnected")).toEqual([]);
    } finally {
      clearInterval(beat);
    }
  });
});

describe("runner concurrency", () => {
  it("never runs more than max_concurrent_requests deliveries at once", async () => {
    const peak = await peakConcurrency(
      { maxConcurrent: 2 },
      { holdMs: 30, messages: 8, idPrefix: "c" },
    );
    expect(peak).toBe(2);
  });

  it("never runs more than the welcome's max_in_flight", async () => {
    const peak = await peakConcurrency(
      { maxConcurrent: 5, relay: { maxInFlight: 1 } },
      { holdMs: 20, messages: 4, idPrefix: "w" },
    );
    expect(peak).toBe(1);
  });
});
