/**
 * Schema of the embedded buffer and its migrations. The version lives in
 * SQLite's `user_version` header field, which is transactional, so a
 * migration either fully applies or not at all.
 */
import type Database from "better-sqlite3";
import { BufferUnavailableError } from "../../errors.js";

/**
 * Migration `i` takes the schema from version `i` to `i + 1`. Append only:
 * a released migration is never edited.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE channels (
    name TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    expired INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE groups (
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (channel, name)
  ) WITHOUT ROWID;
  CREATE TABLE messages (
    channel TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (channel, seq),
    UNIQUE (channel, message_id)
  );
  CREATE INDEX messages_expiry ON messages (channel, expires_at);
  CREATE TABLE deliveries (
    channel TEXT NOT NULL,
    grp TEXT NOT NULL,
    seq INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    available_at INTEGER NOT NULL DEFAULT 0,
    consumer TEXT,
    lease_expires_at INTEGER,
    first_failed_at INTEGER,
    PRIMARY KEY (channel, grp, seq)
  ) WITHOUT ROWID;
  CREATE INDEX deliveries_ready ON deliveries (channel, grp, seq) WHERE consumer IS NULL;
  CREATE INDEX deliveries_leases ON deliveries (channel, lease_expires_at) WHERE consumer IS NOT NULL;
  CREATE INDEX deliveries_by_seq ON deliveries (channel, seq);
  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    grp TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_failed_at INTEGER NOT NULL,
    dead_lettered_at INTEGER NOT NULL
  );
  CREATE INDEX dead_letters_by_time ON dead_letters (channel, dead_lettered_at, id);
  CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // The queue length per channel, kept exact by triggers, so the limit
  // check of each group commit does not count the whole channel.
  `
  ALTER TABLE channels ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;
  UPDATE channels SET queued = (SELECT COUNT(*) FROM messages WHERE messages.channel = channels.name);
  CREATE TRIGGER messages_queued_insert AFTER INSERT ON messages BEGIN
    UPDATE channels SET queued = queued + 1 WHERE name = NEW.channel;
  END;
  CREATE TRIGGER messages_queued_delete AFTER DELETE ON messages BEGIN
    UPDATE channels SET queued = queued - 1 WHERE name = OLD.channel;
  END;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION. A file written by a newer version
 * is refused rather than guessed at.
 */
export function migrate(db: Database.Database): void {
  const current = Number(db.pragma("user_version", { simple: true }));
  if (current > SCHEMA_VERSION) {
    throw new BufferUnavailableError(
      `SQLite buffer schema version ${current} is newer than this release supports (${SCHEMA_VERSION})`,
    );
  }
  if (current === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let version = current; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version] ?? "");
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
