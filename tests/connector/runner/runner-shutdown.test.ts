import { afterEach, describe, expect, it } from "vitest";
import { makeMessage } from "../helpers/messages.js";
import { createGate, type Harness, type HarnessOptions, startHarness } from "./runner-harness.js";

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.stop()));
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  const harness = await startHarness(options);
  harnesses.push(harness);
  return harness;
}

describe("runner shutdown", () => {
  it("lets in-flight deliveries finish, acks them, then closes", async () => {
    const gate = createGate();
    const h = await start({
      target: async (_req, res) => {
        await gate.wait();
        res.writeHead(200).end();
      },
    });
    const session = await h.relay.session(1);
    session.sendMessage(makeMessage({ id: "in-flight" }));
    await h.target.waitForRequests(1);
    h.controller.abort();
    const stopping = await h.log.next("stopping");
    expect(stopping.inFlight).toBe(1);
    gate.open();
    await h.done;
    expect(session.acks).toEqual(["in-flight"]);
    expect(session.clientEnded).toBe(true);
    expect(h.log.of("stopped")).toEqual([{ type: "stopped", abandoned: 0 }]);
    expect(h.log.of("disconnected").at(-1)?.reason).toBe("shutdown");
  });

  it("nacks deliveries still running when the grace period ends", async () => {
    const gate = createGate();
    const h = await start({
      runner: { shutdownGraceMs: 100 },
      target: async (_req, res) => {
        await gate.wait();
        res.writeHead(200).end();
      },
    });
    const session = await h.relay.session(1);
    session.sendMessage(makeMessage({ id: "too-slow" }));
    await h.target.waitForRequests(1);
    h.controller.abort();
    await h.done;
    gate.open();
    expect(session.nacks.map((n) => [n.messageId, n.retry])).toEqual([["too-slow", true]]);
    expect(session.acks).toEqual([]);
  });

  it("stops promptly while waiting to reconnect", async () => {
    const h = await start({ token: "wrong-token", runner: { maxReconnectDelayMs: 60_000 } });
    await h.log.next("reconnecting");
    h.controller.abort();
    await h.done;
    expect(h.log.of("stopped")).toHaveLength(1);
  });
});
