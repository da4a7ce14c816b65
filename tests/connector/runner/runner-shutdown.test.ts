import { describe, expect, it } from "vitest";
import { makeMessage } from "../helpers/messages.js";
import { startForTest, startWithOneInFlight } from "./in-flight.js";

describe("runner shutdown", () => {
  it("lets in-flight deliveries finish, acks them, then closes", async () => {
    const { h, gate, session } = await startWithOneInFlight(makeMessage({ id: "in-flight" }));
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
    const { h, gate, session } = await startWithOneInFlight(makeMessage({ id: "too-slow" }), {
      runner: { shutdownGraceMs: 100 },
    });
    h.controller.abort();
    await h.done;
    gate.open();
    expect(session.nacks.map((n) => [n.messageId, n.retry])).toEqual([["too-slow", true]]);
    expect(session.acks).toEqual([]);
  });

  it("stops promptly while waiting to reconnect", async () => {
    const h = await startForTest({ token: "wrong-token", runner: { maxReconnectDelayMs: 60_000 } });
    await h.log.next("reconnecting");
    h.controller.abort();
    await h.done;
    expect(h.log.of("stopped")).toHaveLength(1);
  });
});
