/**
 * ChannelTokens with a controlled clock on a real (SQLite) store: grace
 * periods, replicas sharing the state, rate-limited re-reads, restarts and
 * a changed configured token.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Buffer } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer, type SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import {
  ChannelRegistry,
  type ChannelTokenEvent,
  ChannelTokens,
  tokenStateKey,
} from "../../../receiver/channels/index.js";
import { channelDocument, configOf, freshSqlite, removeDir } from "../admin/fixture.js";

const CHANNEL = "payments";
const CONFIGURED = "tok-configured";

describe("ChannelTokens", () => {
  let dir: string;
  let buffer: SqliteBuffer;
  let clock: number;
  const now = () => clock;

  beforeEach(async () => {
    ({ buffer, dir } = freshSqlite());
    clock = 1_700_000_000_000;
    const channel = configOf(channelDocument(CHANNEL, CONFIGURED)).channels.get(CHANNEL)!;
    await buffer.ensureChannel(channel);
  });

  afterEach(async () => {
    await buffer.close();
    removeDir(dir);
  });

  function replica(
    store: Buffer = buffer,
    events: ChannelTokenEvent[] = [],
    configured = CONFIGURED,
  ) {
    const channel = configOf(channelDocument(CHANNEL, configured)).channels.get(CHANNEL)!;
    const registry = new ChannelRegistry([{ settings: channel, token: configured }], now);
    const tokens = new ChannelTokens({
      buffer: store,
      registry,
      configured: new Map([[CHANNEL, configured]]),
      now,
      onEvent: (event) => events.push(event),
    });
    return { registry, tokens };
  }

  /** The tokens of a new replica, loaded from the store. */
  async function loadedTokens(...args: Parameters<typeof replica>): Promise<ChannelTokens> {
    const { tokens } = replica(...args);
    await tokens.load();
    return tokens;
  }

  it("accepts the configured token before any rotation", async () => {
    const tokens = await loadedTokens();
    expect(await tokens.check(CHANNEL, CONFIGURED)).toBe("ok");
    expect(await tokens.check(CHANNEL, "other")).toBe("bad_token");
    expect(await tokens.check("nope", CONFIGURED)).toBe("unknown_channel");
  });

  it("keeps the old token valid during the grace period, then refuses it", async () => {
    const tokens = await loadedTokens();
    const rotation = await tokens.rotate(CHANNEL, 60);
    expect(rotation.token).toMatch(/^wct_[A-Za-z0-9_-]{43}$/);
    expect(rotation.previousValidUntil).toBe(clock + 60_000);
    expect(await tokens.check(CHANNEL, rotation.token)).toBe("ok");
    clock += 59_999;
    expect(await tokens.check(CHANNEL, CONFIGURED)).toBe("ok");
    clock += 1;
    expect(await tokens.check(CHANNEL, CONFIGURED)).toBe("bad_token");
    expect(await tokens.check(CHANNEL, rotation.token)).toBe("ok");
  });

  it("refuses the old token at once without a grace period", async () => {
    const tokens = await loadedTokens();
    const rotation = await tokens.rotate(CHANNEL, 0);
    expect(rotation.previousValidUntil).toBeUndefined();
    expect(await tokens.check(CHANNEL, CONFIGURED)).toBe("bad_token");
    expect(await tokens.check(CHANNEL, rotation.token)).toBe("ok");
  });

  it("keeps every earlier token inside its own grace after two rotations", async () => {
    const tokens = await loadedTokens();
    const first = await tokens.rotate(CHANNEL, 100);
    clock += 10_000;
    const second = await tokens.rotate(CHANNEL, 30);
    expect(await tokens.check(CHANNEL, CONFIGURED)).toBe("ok");
    expect(await tokens.check(CHANNEL, first.token)).toBe("ok");
    clock += 30_000;
    expect(await tokens.check(CHANNEL, first.token)).toBe("bad_token");
    expect(await tokens.check(CHANNEL, CONFIGURED)).toBe("ok");
    expect(await tokens.check(CHANNEL, second.token)).toBe("ok");
    expect(tokens.info(CHANNEL).previousValidUntil).toEqual([clock - 40_000 + 100_000]);
  });

  it("accepts a token rotated on another replica at once", async () => {
    const a = replica();
    const b = replica();
    await a.tokens.load();
    await b.tokens.load();
    const rotation = await a.tokens.rotate(CHANNEL, 0);
    // B's cache still holds the configured token; the mismatch makes it re-read.
    expect(b.registry.checkToken(CHANNEL, rotation.token)).toBe("bad_token");
    expect(await b.tokens.check(CHANNEL, rotation.token)).toBe("ok");
  });

  it("refuses a revoked token on another replica once its cache is older than maxStaleMs", async () => {
    const a = replica();
    const b = replica();
    await a.tokens.load();
    await b.tokens.load();
    await a.tokens.rotate(CHANNEL, 0);
    clock += 4_999;
    expect(await b.tokens.check(CHANNEL, CONFIGURED)).toBe("ok");
    clock += 1;
    expect(await b.tokens.check(CHANNEL, CONFIGURED)).toBe("bad_token");
  });

  it("re-reads at most once per mismatchRefreshMs for a flood of bad tokens", async () => {
    let reads = 0;
    const counting: Buffer = {
      ...buffer,
      kind: buffer.kind,
      features: buffer.features,
      getState: (key) => {
        reads += 1;
        return buffer.getState(key);
      },
    } as Buffer;
    const tokens = await loadedTokens(counting);
    reads = 0;
    for (let i = 0; i < 50; i++) expect(await tokens.check(CHANNEL, `bad-${i}`)).toBe("bad_token");
    expect(reads).toBe(1);
    clock += 250;
    expect(await tokens.check(CHANNEL, "bad-again")).toBe("bad_token");
    expect(reads).toBe(2);
  });

  it("survives a restart: the rotated token is loaded from the store", async () => {
    const first = replica();
    await first.tokens.load();
    const rotation = await first.tokens.rotate(CHANNEL, 0);
    const path = buffer.path;
    await buffer.close();
    buffer = createSqliteBuffer({ path });
    const restarted = replica();
    await restarted.tokens.load();
    expect(restarted.registry.checkToken(CHANNEL, rotation.token)).toBe("ok");
    expect(restarted.registry.checkToken(CHANNEL, CONFIGURED)).toBe("bad_token");
    expect(restarted.tokens.info(CHANNEL).rotatedAt).toBe(clock);
  });

  it("ignores the stored state when the configured token was changed since", async () => {
    const first = replica();
    await first.tokens.load();
    const rotation = await first.tokens.rotate(CHANNEL, 0);
    const events: ChannelTokenEvent[] = [];
    const changed = replica(buffer, events, "tok-new-in-config");
    await changed.tokens.load();
    expect(await changed.tokens.check(CHANNEL, "tok-new-in-config")).toBe("ok");
    expect(await changed.tokens.check(CHANNEL, rotation.token)).toBe("bad_token");
    expect(events).toContainEqual({
      type: "state_ignored",
      channel: CHANNEL,
      reason: "config_token_changed",
    });
  });

  it("falls back to the configured token when the stored state is unreadable", async () => {
    await buffer.setState(tokenStateKey(CHANNEL), "{not json");
    const events: ChannelTokenEvent[] = [];
    const tokens = await loadedTokens(buffer, events);
    expect(await tokens.check(CHANNEL, CONFIGURED)).toBe("ok");
    expect(events).toContainEqual({
      type: "state_ignored",
      channel: CHANNEL,
      reason: "unreadable",
    });
  });

  it("never puts a token into an event", async () => {
    const events: ChannelTokenEvent[] = [];
    const tokens = await loadedTokens(buffer, events);
    const rotation = await tokens.rotate(CHANNEL, 10);
    await tokens.check(CHANNEL, "wrong");
    const text = JSON.stringify(events);
    expect(events.map((e) => e.type)).toEqual(["rotated", "rejected"]);
    expect(text).not.toContain(rotation.token);
    expect(text).not.toContain(CONFIGURED);
  });
});
