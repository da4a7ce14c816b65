// @ts-check
/**
 * Schema of the embedded buffer and its migrations. The version lives in
 * SQLite's `user_version` header field, which is transactional, so a
 * migration either fully applies or not at all. Plain JavaScript because it
 * runs in the storage worker (see storage-worker.js).
 *
 * Version 3 is a log per channel: `log_<channel id>` holds each message once,
 * keyed by its sequence (an append at the right edge of one B-tree, no other
 * index), and each group keeps its consumer state in one row of `groups`: a
 * cursor (every sequence at or below it was handed out or is done) plus the
 * outstanding exceptions (leased or waiting for a retry, with their attempt
 * counts). Acked, expired and dead-lettered messages are simply no longer
 * outstanding; storage is freed by deleting a range of the log below the
 * lowest group's floor.
 */

import { encodeGroupState } from "./group-state.js";

/** @typedef {import("better-sqlite3").Database} Database */

/**
 * Migration `i` takes the schema from version `i` to `i + 1`. Append only:
 * a released migration is never edited.
 * @type {readonly ((db: Database) => void)[]}
 */
const MIGRATIONS = [
  (db) =>
    db.exec(`
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
  `),
  // The queue length per channel, kept exact by triggers, so the limit
  // check of each group commit does not count the whole channel.
  (db) =>
    db.exec(`
  ALTER TABLE channels ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;
  UPDATE channels SET queued = (SELECT COUNT(*) FROM messages WHERE messages.channel = channels.name);
  CREATE TRIGGER messages_queued_insert AFTER INSERT ON messages BEGIN
    UPDATE channels SET queued = queued + 1 WHERE name = NEW.channel;
  END;
  CREATE TRIGGER messages_queued_delete AFTER DELETE ON messages BEGIN
    UPDATE channels SET queued = queued - 1 WHERE name = OLD.channel;
  END;
  `),
  migrateToLog,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * SQL creating the log of channel `id`. The partial index holds only the
 * rare messages meant for one group (replayed dead letters), so ordinary
 * appends touch one B-tree.
 * @param {number} id
 */
export function createLogSql(id) {
  return `CREATE TABLE IF NOT EXISTS log_${id} (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    target TEXT,
    data BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS log_${id}_targets ON log_${id} (seq) WHERE target IS NOT NULL;`;
}

/**
 * Version 2 → 3: one row per message and group (`deliveries`) becomes one
 * log per channel plus one state row per group. Every message is kept;
 * each group's undelivered, leased and retrying messages stay so, with
 * their attempt counts (a lease held when the old release stopped is
 * returned, as a restart always did).
 * @param {Database} db
 */
function migrateToLog(db) {
  db.exec(`
    DROP TRIGGER messages_queued_insert;
    DROP TRIGGER messages_queued_delete;
    ALTER TABLE channels RENAME TO channels_v2;
    ALTER TABLE groups RENAME TO groups_v2;
    CREATE TABLE channels (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      settings TEXT NOT NULL,
      delivered INTEGER NOT NULL DEFAULT 0,
      expired INTEGER NOT NULL DEFAULT 0,
      dead_lettered INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE groups (
      channel_id INTEGER NOT NULL,
      name TEXT NOT NULL,
      state BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (channel_id, name)
    ) WITHOUT ROWID;
  `);
  /** @type {{ name: string, settings: string, last_seq: number, delivered: number, expired: number, dead_lettered: number, created_at: number }[]} */
  const channels = /** @type {any} */ (
    db.prepare("SELECT * FROM channels_v2 ORDER BY created_at, name").all()
  );
  const insertChannel = db.prepare(
    `INSERT INTO channels (name, settings, delivered, expired, dead_lettered, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const insertGroup = db.prepare(
    "INSERT INTO groups (channel_id, name, state, created_at) VALUES (?, ?, ?, ?)",
  );
  for (const channel of channels) {
    const id = Number(
      insertChannel.run(
        channel.name,
        channel.settings,
        channel.delivered,
        channel.expired,
        channel.dead_lettered,
        channel.created_at,
      ).lastInsertRowid,
    );
    db.exec(createLogSql(id));
    db.prepare(
      `INSERT INTO log_${id} (seq, message_id, expires_at, target, data)
       SELECT seq, message_id, expires_at, NULL, data FROM messages WHERE channel = ? ORDER BY seq`,
    ).run(channel.name);
    /** @type {{ name: string, created_at: number }[]} */
    const groups = /** @type {any} */ (
      db.prepare("SELECT name, created_at FROM groups_v2 WHERE channel = ?").all(channel.name)
    );
    for (const group of groups) {
      /** @type {{ seq: number, attempt: number, available_at: number, first_failed_at: number | null }[]} */
      const rows = /** @type {any} */ (
        db
          .prepare(
            `SELECT seq, attempt, available_at, first_failed_at FROM deliveries
             WHERE channel = ? AND grp = ? ORDER BY seq`,
          )
          .all(channel.name, group.name)
      );
      const state = stateFromDeliveries(rows, channel.last_seq);
      insertGroup.run(id, group.name, encodeGroupState(state.cursor, state.out), group.created_at);
    }
  }
  db.exec(`
    DROP TABLE deliveries;
    DROP TABLE messages;
    DROP TABLE groups_v2;
    DROP TABLE channels_v2;
  `);
}

/**
 * A version 3 group state from the version 2 delivery rows of one group
 * (the messages it had not finished). The trailing run of never-delivered
 * rows lies above the cursor, as fresh messages; every other row becomes an
 * outstanding entry with its attempt count and retry time.
 * @param {readonly { seq: number, attempt: number, available_at: number, first_failed_at: number | null }[]} rows
 * @param {number} lastSeq
 */
export function stateFromDeliveries(rows, lastSeq) {
  let fresh = rows.length;
  while (fresh > 0 && rows[fresh - 1]?.attempt === 0) fresh--;
  const cursor = fresh === rows.length ? lastSeq : (rows[fresh]?.seq ?? lastSeq + 1) - 1;
  const out = rows
    .slice(0, fresh)
    .map(
      (row) =>
        /** @type {const} */ ([row.seq, row.attempt, row.available_at, row.first_failed_at ?? 0]),
    );
  return { cursor, out };
}

/**
 * Brings the database to SCHEMA_VERSION; returns the version found. A file
 * written by a newer version is refused rather than guessed at.
 * @param {Database} db
 * @returns {number}
 */
export function migrate(db) {
  const current = Number(db.pragma("user_version", { simple: true }));
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `SQLite buffer schema version ${current} is newer than this release supports (${SCHEMA_VERSION})`,
    );
  }
  if (current === SCHEMA_VERSION) return current;
  db.transaction(() => {
    for (let version = current; version < SCHEMA_VERSION; version++) {
      MIGRATIONS[version]?.(db);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
  return current;
}
