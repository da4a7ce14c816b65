/**
 * ChannelRegistry.acceptsSomewhere: a token checked before its channel is
 * known (an RPC's first check, an ack without a channel) is accepted when
 * it is the current token of any channel, or an extra token still valid.
 */
import { describe, expect, it } from "vitest";
import { ChannelRegistry } from "../../../receiver/channels/index.js";
import { configOf, relayed } from "../hardening/receiver-fixture.js";

function registry(now: () => number) {
  const config = configOf({ a: relayed("alpha"), b: relayed("beta") });
  return new ChannelRegistry(
    [...config.channels.values()].map((settings) => ({ settings, token: settings.token })),
    now,
  );
}

describe("ChannelRegistry.acceptsSomewhere", () => {
  it("accepts the current token of any channel and nothing else", () => {
    const channels = registry(() => 0);
    expect(channels.acceptsSomewhere("tok-alpha")).toBe(true);
    expect(channels.acceptsSomewhere("tok-beta")).toBe(true);
    expect(channels.acceptsSomewhere("tok-gamma")).toBe(false);
    expect(channels.acceptsSomewhere("")).toBe(false);
  });

  it("follows rotations: the new token, and the old one only until its grace ends", () => {
    let now = 1_000;
    const channels = registry(() => now);
    channels.setTokens("alpha", "tok-alpha-2", [{ token: "tok-alpha", validUntil: 2_000 }]);
    expect(channels.acceptsSomewhere("tok-alpha-2")).toBe(true);
    expect(channels.acceptsSomewhere("tok-alpha")).toBe(true);
    now = 2_000;
    expect(channels.acceptsSomewhere("tok-alpha")).toBe(false);
    expect(channels.acceptsSomewhere("tok-alpha-2")).toBe(true);
  });
});
