/**
 * Connector tokens of every channel, shared by all receiver replicas through
 * the buffer's state (`getState`/`setState`).
 *
 * Consistency between replicas (chosen over a watch because every backend
 * offers get/set but not all offer change notifications):
 * - A token that does not match the cached tokens makes the replica re-read
 *   the channel's state before refusing, so a rotation made on replica A is
 *   accepted on replica B at once. Re-reads after a mismatch are limited to
 *   one per `mismatchRefreshMs` per channel, and concurrent checks share
 *   one read, so a flood of bad tokens costs at most a few reads a second.
 * - A token that matches is accepted from the cache while the cache is
 *   younger than `maxStaleMs`; after that the state is re-read first, so a
 *   token revoked on another replica (zero grace, or grace ended) is refused
 *   everywhere within `maxStaleMs`.
 * - `startRefreshing` also re-reads every `maxStaleMs` in the background,
 *   for transports that can only check the registry's cache synchronously.
 * - If the state cannot be read, the cached tokens keep applying.
 */
import { randomBytes } from "node:crypto";
import type { Buffer } from "../buffer/index.js";
import type { ChannelRegistry, TokenCheck } from "./registry.js";
import {
  decodeTokenState,
  encodeTokenState,
  fingerprint,
  type TokenState,
  tokenStateKey,
} from "./token-state.js";

/** Events of the token store, for logs and metrics. Never carry a token. */
export type ChannelTokenEvent =
  | { readonly type: "loaded"; readonly channel: string; readonly rotatedAt: number }
  | {
      readonly type: "state_ignored";
      readonly channel: string;
      readonly reason: "config_token_changed" | "unreadable";
    }
  | { readonly type: "state_error"; readonly channel: string; readonly error: Error }
  | {
      readonly type: "rotated";
      readonly channel: string;
      readonly rotatedAt: number;
      readonly previousValidUntil: number | undefined;
    }
  | { readonly type: "rejected"; readonly channel: string };

/** Options of ChannelTokens. */
export interface ChannelTokensOptions {
  /** Where the state lives (shared by every replica on the same store). */
  readonly buffer: Buffer;
  /** The registry whose tokens are kept in step. */
  readonly registry: ChannelRegistry;
  /** Configured `channel_token` of every channel. */
  readonly configured: ReadonlyMap<string, string>;
  /** Longest time a matching token is accepted without re-reading the state. @default 5000 */
  readonly maxStaleMs?: number;
  /** Shortest time between two re-reads caused by mismatching tokens. @default 250 */
  readonly mismatchRefreshMs?: number;
  /** Event sink. */
  readonly onEvent?: (event: ChannelTokenEvent) => void;
  /** Clock. @default Date.now */
  readonly now?: () => number;
}

/** What a rotation returns. */
export interface RotationResult {
  /** The new token (returned to the admin once, never logged). */
  readonly token: string;
  /** When it was issued (ms since epoch). */
  readonly rotatedAt: number;
  /** Until when the replaced token is still accepted; undefined without a grace period. */
  readonly previousValidUntil: number | undefined;
}

/** What the admin API shows about a channel's token (never the token). */
export interface TokenInfo {
  /** When the last rotation happened, if any. */
  readonly rotatedAt: number | undefined;
  /** Expiry of each previous token still accepted. */
  readonly previousValidUntil: readonly number[];
}

interface ChannelEntry {
  state: TokenState | undefined;
  loadedAt: number;
  lastMismatchRefresh: number;
  reading: Promise<void> | undefined;
}

/** Generates a new connector token: `wct_` + 32 random bytes, base64url. */
export function generateChannelToken(): string {
  return `wct_${randomBytes(32).toString("base64url")}`;
}

/** Connector tokens of every channel, persisted in the buffer's state. */
export class ChannelTokens {
  private readonly options: ChannelTokensOptions;
  private readonly now: () => number;
  private readonly entries = new Map<string, ChannelEntry>();

  constructor(options: ChannelTokensOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    for (const channel of options.configured.keys()) {
      this.entries.set(channel, {
        state: undefined,
        loadedAt: Number.NEGATIVE_INFINITY,
        lastMismatchRefresh: Number.NEGATIVE_INFINITY,
        reading: undefined,
      });
    }
  }

  /** Loads every channel's persisted state into the registry (start-up). Rejects if unreadable. */
  async load(): Promise<void> {
    for (const channel of this.entries.keys()) await this.read(channel, true);
  }

  /**
   * Checks a connector token; re-reads the shared state first when the
   * token does not match (rate-limited) or the cache is older than `maxStaleMs`.
   */
  async check(channel: string, token: string | undefined): Promise<TokenCheck> {
    const { registry } = this.options;
    const entry = this.entries.get(channel);
    const cached = registry.checkToken(channel, token);
    if (entry === undefined || cached === "unknown_channel") return cached;
    const now = this.now();
    const stale = now - entry.loadedAt >= (this.options.maxStaleMs ?? 5_000);
    if (cached === "ok" && !stale) return "ok";
    const mayRefresh =
      stale || now - entry.lastMismatchRefresh >= (this.options.mismatchRefreshMs ?? 250);
    if (mayRefresh) {
      if (cached === "bad_token") entry.lastMismatchRefresh = now;
      await this.refresh(channel);
    }
    const result = registry.checkToken(channel, token);
    if (result === "bad_token") this.options.onEvent?.({ type: "rejected", channel });
    return result;
  }

  /**
   * Issues a new token for the channel. The replaced one stays valid for
   * `gracePeriodSeconds` (0: refused at once). Builds on the latest shared
   * state; two replicas rotating the same channel at the same instant race
   * and the last write wins.
   */
  async rotate(channel: string, gracePeriodSeconds: number): Promise<RotationResult> {
    const configuredToken = this.options.configured.get(channel);
    if (configuredToken === undefined) throw new Error(`unknown channel '${channel}'`);
    await this.read(channel, true);
    const entry = this.entries.get(channel)!;
    const now = this.now();
    const replaced = entry.state?.current ?? configuredToken;
    const previousValidUntil = gracePeriodSeconds > 0 ? now + gracePeriodSeconds * 1000 : undefined;
    const previous = (entry.state?.previous ?? []).filter((p) => p.validUntil > now);
    const state: TokenState = {
      current: generateChannelToken(),
      previous:
        previousValidUntil === undefined
          ? previous
          : [...previous, { token: replaced, validUntil: previousValidUntil }],
      rotatedAt: now,
      configTokenSha256: fingerprint(configuredToken),
    };
    await this.options.buffer.setState(tokenStateKey(channel), encodeTokenState(state, now));
    this.apply(channel, entry, state, now);
    this.options.onEvent?.({ type: "rotated", channel, rotatedAt: now, previousValidUntil });
    return { token: state.current, rotatedAt: now, previousValidUntil };
  }

  /**
   * Re-reads every channel's state every `maxStaleMs` in the background, so
   * transports that check tokens synchronously (registry cache only) follow
   * rotations made on other replicas within that time. Returns a stop function.
   */
  startRefreshing(): () => void {
    const timer = setInterval(() => {
      for (const channel of this.entries.keys()) void this.refresh(channel);
    }, this.options.maxStaleMs ?? 5_000);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** Rotation facts for the admin API (from the cache; never the tokens). */
  info(channel: string): TokenInfo {
    const state = this.entries.get(channel)?.state;
    const now = this.now();
    return {
      rotatedAt: state?.rotatedAt,
      previousValidUntil: (state?.previous ?? [])
        .filter((p) => p.validUntil > now)
        .map((p) => p.validUntil),
    };
  }

  /** Re-reads one channel's state, sharing a read already under way; errors keep the cache. */
  private async refresh(channel: string): Promise<void> {
    try {
      await this.read(channel, false);
    } catch (error) {
      this.options.onEvent?.({ type: "state_error", channel, error: error as Error });
    }
  }

  private read(channel: string, fresh: boolean): Promise<void> {
    const entry = this.entries.get(channel);
    if (entry === undefined) return Promise.resolve();
    if (entry.reading !== undefined && !fresh) return entry.reading;
    const reading = this.readOnce(channel, entry).finally(() => {
      if (entry.reading === reading) entry.reading = undefined;
    });
    entry.reading = reading;
    return reading;
  }

  private async readOnce(channel: string, entry: ChannelEntry): Promise<void> {
    const startedAt = this.now();
    const raw = await this.options.buffer.getState(tokenStateKey(channel));
    const configuredToken = this.options.configured.get(channel)!;
    let state: TokenState | undefined;
    if (raw !== undefined) {
      state = decodeTokenState(raw);
      if (state === undefined) {
        this.options.onEvent?.({ type: "state_ignored", channel, reason: "unreadable" });
      } else if (state.configTokenSha256 !== fingerprint(configuredToken)) {
        state = undefined;
        this.options.onEvent?.({ type: "state_ignored", channel, reason: "config_token_changed" });
      }
    }
    const changed = state?.rotatedAt !== entry.state?.rotatedAt;
    this.apply(channel, entry, state, startedAt);
    if (changed && state !== undefined) {
      this.options.onEvent?.({ type: "loaded", channel, rotatedAt: state.rotatedAt });
    }
  }

  private apply(
    channel: string,
    entry: ChannelEntry,
    state: TokenState | undefined,
    loadedAt: number,
  ): void {
    entry.state = state;
    entry.loadedAt = loadedAt;
    const current = state?.current ?? this.options.configured.get(channel)!;
    this.options.registry.setTokens(channel, current, state?.previous ?? []);
  }
}
