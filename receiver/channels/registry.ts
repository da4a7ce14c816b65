/**
 * The channels a receiver serves: their settings, their connector tokens,
 * and the connections currently attached. Channels exist from start-up
 * (never created lazily on the first webhook).
 */
import { type ChannelSettings, DEFAULT_GROUP } from "../buffer/index.js";
import { digestsEqual, secretDigest, secretsEqual } from "./tokens.js";

/** A channel as configured. */
export interface ChannelDefinition {
  /** Buffer settings of the channel. */
  readonly settings: ChannelSettings;
  /** The connector token from the config. */
  readonly token: string;
}

/** What the registry knows about one attached connection. */
export interface ConnectionInfo {
  /** Connection id (also the buffer's consumer id). */
  readonly id: string;
  /** Channel consumed. */
  readonly channel: string;
  /** Group consumed. */
  readonly group: string;
  /** Connector's own name. */
  readonly connectorId: string;
  /** Transport (`grpc`, `connect`, `grpc-web`, `websocket`, `sse`, `long_poll`). */
  readonly protocol: string;
  /** Effective in-flight limit. */
  readonly maxInFlight: number;
  /** When it connected (ms since epoch). */
  readonly connectedAt: number;
  /** Remote address. */
  readonly remoteAddress: string;
}

/** A live connection the registry can inspect and close. */
export interface AttachedConnection {
  /** Static facts. */
  readonly info: ConnectionInfo;
  /** Current counters. */
  snapshot(): {
    inFlight: number;
    delivered: number;
    acked: number;
    nacked: number;
    lastSeenAt: number;
  };
  /**
   * Closes the connection (really closes the transport, after the closing
   * Notice of `kind`: an operator's eviction by default, or shutdown).
   */
  evict(reason: string, kind?: "evicted" | "shutdown"): void;
  /** Resolves with the reason once the connection closed (its leases released). */
  readonly closed: Promise<string>;
}

/** Result of a token check. */
export type TokenCheck = "ok" | "unknown_channel" | "bad_token";

/** Validity of an extra token (e.g. the previous one during a rotation grace period). */
export interface ExtraToken {
  /** The token. */
  readonly token: string;
  /** Valid until (ms since epoch). */
  readonly validUntil: number;
}

/** The channel registry. */
export class ChannelRegistry {
  private readonly channels: ReadonlyMap<string, ChannelDefinition>;
  private readonly connections = new Map<string, Map<string, AttachedConnection>>();
  private readonly tokens = new Map<string, { current: string; extra: ExtraToken[] }>();
  /** Digests of every channel's current and extra tokens, for `acceptsSomewhere`. */
  private readonly digests = new Map<
    string,
    { current: Buffer; extra: { digest: Buffer; validUntil: number }[] }
  >();
  private readonly now: () => number;

  constructor(channels: Iterable<ChannelDefinition>, now: () => number = Date.now) {
    const map = new Map<string, ChannelDefinition>();
    for (const channel of channels) {
      map.set(channel.settings.name, channel);
      this.tokens.set(channel.settings.name, { current: channel.token, extra: [] });
      this.digests.set(channel.settings.name, { current: secretDigest(channel.token), extra: [] });
      this.connections.set(channel.settings.name, new Map());
    }
    this.channels = map;
    this.now = now;
  }

  /** Names of all channels. */
  names(): string[] {
    return [...this.channels.keys()];
  }

  /** The channel's definition, if it exists. */
  get(channel: string): ChannelDefinition | undefined {
    return this.channels.get(channel);
  }

  /**
   * Checks a connector token in constant time against the current token and
   * any extra tokens still valid.
   */
  checkToken(channel: string, token: string | undefined): TokenCheck {
    const state = this.tokens.get(channel);
    if (state === undefined) return "unknown_channel";
    if (token === undefined) return "bad_token";
    let ok = secretsEqual(token, state.current);
    const now = this.now();
    for (const extra of state.extra) {
      if (extra.validUntil > now && secretsEqual(token, extra.token)) ok = true;
    }
    return ok ? "ok" : "bad_token";
  }

  /**
   * Whether `token` is a current (or still valid extra) token of any
   * channel: the candidate is hashed once and compared in constant time
   * with every channel's stored digests, so checking a token before its
   * channel is known costs one hash however many channels there are.
   */
  acceptsSomewhere(token: string): boolean {
    const candidate = secretDigest(token);
    const now = this.now();
    let ok = false;
    for (const { current, extra } of this.digests.values()) {
      if (digestsEqual(candidate, current)) ok = true;
      for (const other of extra) {
        if (other.validUntil > now && digestsEqual(candidate, other.digest)) ok = true;
      }
    }
    return ok;
  }

  /** Replaces the channel's tokens (used by rotation and by state loaded from the buffer). */
  setTokens(channel: string, current: string, extra: readonly ExtraToken[]): void {
    if (!this.channels.has(channel)) return;
    this.tokens.set(channel, { current, extra: [...extra] });
    this.digests.set(channel, {
      current: secretDigest(current),
      extra: extra.map((e) => ({ digest: secretDigest(e.token), validUntil: e.validUntil })),
    });
  }

  /** The channel's current token. */
  currentToken(channel: string): string | undefined {
    return this.tokens.get(channel)?.current;
  }

  /**
   * Attaches a connection; returns false when the channel already has
   * `maxConnections` connections.
   */
  attach(connection: AttachedConnection): boolean {
    const channel = this.channels.get(connection.info.channel);
    const attached = this.connections.get(connection.info.channel);
    if (channel === undefined || attached === undefined) return false;
    if (attached.size >= channel.settings.maxConnections) return false;
    attached.set(connection.info.id, connection);
    return true;
  }

  /** Detaches a connection. */
  detach(channel: string, connectionId: string): void {
    this.connections.get(channel)?.delete(connectionId);
  }

  /** Connections of a channel. */
  list(channel: string): AttachedConnection[] {
    return [...(this.connections.get(channel)?.values() ?? [])];
  }

  /** One connection by id, in any channel. */
  find(connectionId: string): AttachedConnection | undefined {
    for (const attached of this.connections.values()) {
      const found = attached.get(connectionId);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Closes every connection (shutdown); resolves once they all closed, or
   * after `graceMs`, so their closing notices can go out before the
   * sockets do.
   */
  async evictAll(reason: string, graceMs = 1_000): Promise<void> {
    const closing: Promise<string>[] = [];
    for (const attached of this.connections.values()) {
      for (const connection of [...attached.values()]) {
        connection.evict(reason, "shutdown");
        closing.push(connection.closed);
      }
    }
    await closedWithin(closing, graceMs);
  }
}

/**
 * Resolves once every one of `closing` settled, or after `graceMs`: a
 * shutdown waits for closing notices to go out, but not for ever.
 */
export async function closedWithin(
  closing: readonly Promise<unknown>[],
  graceMs: number,
): Promise<void> {
  if (closing.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(closing),
    new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs);
    }),
  ]);
  clearTimeout(timer);
}

/** Normalises a requested group name (empty → default group). */
export function groupName(group: string | undefined): string {
  return group === undefined || group === "" ? DEFAULT_GROUP : group;
}
