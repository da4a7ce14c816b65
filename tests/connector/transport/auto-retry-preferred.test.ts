/**
 * `auto` on a fallback transport goes back to the preferred order after
 * `retryPreferredAfterMs`, and reports the failures it fell back from.
 */
import { describe, expect, it } from "vitest";
import { TransportError } from "../../../connector/errors.js";
import { createAutoTransport } from "../../../connector/transport/auto-transport.js";
import { createConnectRelayTransport } from "../../../connector/transport/rpc-transport.js";
import type { Transport } from "../../../connector/transport/transport.js";
import { useRelaySessions } from "../helpers/relay-sessions.js";

const { relay, open } = useRelaySessions();

describe("auto transport retries the preferred order", () => {
  it("ends a fallback session after the retry interval and tries the preferred one first again", async () => {
    const r = await relay();
    let preferredCalls = 0;
    let preferredWorks = false;
    const working = createConnectRelayTransport({ cloudUrl: r.url, token: "secret-token" });
    const preferred: Transport = {
      name: "preferred",
      open: (options) => {
        preferredCalls++;
        return preferredWorks
          ? working.open(options)
          : Promise.reject(new TransportError("preferred", "blocked by proxy"));
      },
      close: async () => {},
    };
    const auto = createAutoTransport([preferred, working], { retryPreferredAfterMs: 150 });
    const fallback = await open(auto);
    expect(fallback.transport).toBe("connect");
    expect(fallback.fallbacks?.map((f) => [f.transport, f.error.message])).toEqual([
      ["preferred", "blocked by proxy"],
    ]);
    const end = await fallback.closed;
    expect(end.kind).toBe("local");
    expect(end.error?.message).toMatch(/retrying the preferred transports/);
    preferredWorks = true;
    const upgraded = await open(auto);
    expect(preferredCalls).toBe(2);
    expect(upgraded.fallbacks).toBeUndefined();
  });
});
