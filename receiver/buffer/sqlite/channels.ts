/**
 * Channel and group registry: the settings and group names of every channel,
 * kept in memory for the hot path and persisted in the `channels` and
 * `groups` tables.
 */
import { UnknownChannelError } from "../../errors.js";
import { type ChannelSettings, DEFAULT_GROUP } from "../buffer.js";
import type { Store } from "./database.js";

/** What the registry knows about one channel. */
export interface ChannelRecord {
  /** Current settings. */
  settings: ChannelSettings;
  /** Group names, the default group included. */
  readonly groups: Set<string>;
}

/** In-memory view of the channels, loaded at open. */
export interface ChannelRegistry {
  /** The channel, or UnknownChannelError. */
  require(channel: string): ChannelRecord;
  /** Names of all channels. */
  names(): string[];
  /** Writes the channel and its default group (inside a transaction). */
  writeChannel(settings: ChannelSettings): void;
  /** Writes a group (inside a transaction). */
  writeGroup(channel: string, group: string): void;
  /** Records a committed channel write in memory. */
  rememberChannel(settings: ChannelSettings): void;
  /** Records a committed group write in memory. */
  rememberGroup(channel: string, group: string): void;
}

/** Loads the registry from the database. */
export function loadChannelRegistry(store: Store): ChannelRegistry {
  const channels = new Map<string, ChannelRecord>();
  const rows = store.stmt("SELECT name, settings FROM channels").all() as {
    name: string;
    settings: string;
  }[];
  for (const row of rows) {
    channels.set(row.name, {
      settings: JSON.parse(row.settings) as ChannelSettings,
      groups: new Set(),
    });
  }
  const groups = store.stmt("SELECT channel, name FROM groups").all() as {
    channel: string;
    name: string;
  }[];
  for (const row of groups) channels.get(row.channel)?.groups.add(row.name);

  return {
    require(channel) {
      const record = channels.get(channel);
      if (record === undefined) throw new UnknownChannelError(channel);
      return record;
    },
    names: () => [...channels.keys()],
    writeChannel(settings) {
      const now = store.now();
      store
        .stmt(
          `INSERT INTO channels (name, settings, created_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET settings = excluded.settings`,
        )
        .run(settings.name, JSON.stringify(settings), now);
      store
        .stmt("INSERT OR IGNORE INTO groups (channel, name, created_at) VALUES (?, ?, ?)")
        .run(settings.name, DEFAULT_GROUP, now);
    },
    writeGroup(channel, group) {
      store
        .stmt("INSERT OR IGNORE INTO groups (channel, name, created_at) VALUES (?, ?, ?)")
        .run(channel, group, store.now());
    },
    rememberChannel(settings) {
      const record = channels.get(settings.name);
      if (record === undefined) {
        channels.set(settings.name, { settings, groups: new Set([DEFAULT_GROUP]) });
      } else {
        record.settings = settings;
        record.groups.add(DEFAULT_GROUP);
      }
    },
    rememberGroup(channel, group) {
      channels.get(channel)?.groups.add(group);
    },
  };
}

/** What the buffer's operations work on. */
export interface BufferContext {
  /** The database. */
  readonly store: Store;
  /** The channels. */
  readonly channels: ChannelRegistry;
  /** When the next message expiry and lease end can be due, per channel. */
  readonly due: DueTimes;
}

/**
 * A lower bound, per channel, of when something next becomes due (a
 * message's expiry, a lease's end). Before it a sweep can find nothing, so
 * the sweeps that run on every fetch cost a comparison instead of two
 * queries. A bound is learnt by a sweep, only ever lowered by writes (a
 * publish, a lease, a replay), and forgotten whenever a transaction is
 * rolled back.
 */
export class DueBound {
  private readonly bounds = new Map<string, number>();

  /** Whether a sweep of `channel` may find something at `now`. */
  isDue(channel: string, now: number): boolean {
    return now >= (this.bounds.get(channel) ?? Number.NEGATIVE_INFINITY);
  }

  /** After a sweep: nothing is due before `at` (null: nothing pending at all). */
  learn(channel: string, at: number | null): void {
    this.bounds.set(channel, at ?? Number.POSITIVE_INFINITY);
  }

  /** Something due at `at` was written. */
  lower(channel: string, at: number): void {
    const bound = this.bounds.get(channel);
    if (bound !== undefined && at < bound) this.bounds.set(channel, at);
  }

  /** Forgets every bound (after a rollback). */
  forget(): void {
    this.bounds.clear();
  }
}

/** The due bounds of a buffer: message expiry and lease end. */
export interface DueTimes {
  readonly expiry: DueBound;
  readonly lease: DueBound;
}
