// @ts-check
/**
 * The storage engine of the embedded buffer: it owns the SQLite file and
 * executes the rounds the buffer sends (see storage-protocol.ts). It runs
 * on a worker thread of its own (the default), so a commit's fsync never
 * blocks the receiver's event loop (about 20 % more signed ingest on two
 * cores, medians of 6 interleaved runs), or with `?thread=main` on the
 * main thread, which saves the second V8 isolate (about 10 MB).
 *
 * Plain JavaScript checked by tsc through JSDoc, because a worker thread
 * cannot load TypeScript sources (tests run from source).
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { createLogSql, migrate } from "./schema.js";

/** @typedef {import("../storage-protocol.js").StorageWorkerData} StorageWorkerData */
/** @typedef {import("../storage-protocol.js").Round} Round */
/** @typedef {import("../storage-protocol.js").RoundResult} RoundResult */
/** @typedef {import("../storage-protocol.js").WriteOp} WriteOp */
/** @typedef {import("../storage-protocol.js").ReadOp} ReadOp */
/** @typedef {import("../storage-protocol.js").AppendBatch} AppendBatch */
/** @typedef {import("../storage-protocol.js").OpenResult} OpenResult */
/** @typedef {import("../storage-protocol.js").StorageFailure} StorageFailure */
/** @typedef {import("../storage-protocol.js").DeadLetterQuery} DeadLetterQuery */
/** @typedef {import("../storage-protocol.js").MessageRows} MessageRows */

const DEAD_LETTER_MATCH = `channel = @channel
  AND (@ids IS NULL OR message_id IN (SELECT value FROM json_each(@ids)))
  AND (@grp IS NULL OR grp = @grp)
  AND (@from IS NULL OR dead_lettered_at >= @from)
  AND (@to IS NULL OR dead_lettered_at < @to)`;

/** @param {string} path */
function isInMemory(path) {
  return path === ":memory:" || path === "";
}

/**
 * @param {unknown} error
 * @returns {StorageFailure}
 */
export function failureOf(error) {
  const code = /** @type {{ code?: unknown } | null} */ (error)?.code;
  return {
    message: error instanceof Error ? error.message : String(error),
    code: typeof code === "string" ? code : undefined,
  };
}

/**
 * Opens the file in WAL mode, locked exclusively (leases live in one
 * process, so a second process is refused instead of double-leasing),
 * migrates it and reads what the main thread keeps in memory.
 * @param {string} path
 * @param {number} dedupTail
 */
export function open(path, dedupTail) {
  const db = new Database(path, { timeout: 0 });
  try {
    // Before WAL is entered, so no shared-memory index is used and the lock is held.
    db.pragma("locking_mode = EXCLUSIVE");
    if (!isInMemory(path)) {
      const mode = String(db.pragma("journal_mode = WAL", { simple: true }));
      if (mode.toLowerCase() !== "wal") {
        throw new Error(`the file system does not support WAL mode (journal_mode is '${mode}')`);
      }
    }
    db.pragma("synchronous = FULL");
    // Takes the exclusive lock now rather than at the first write.
    db.exec("BEGIN IMMEDIATE; COMMIT");
    const migratedFrom = migrate(db);
    return { db, snapshot: snapshot(db, dedupTail, migratedFrom) };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * @param {Database.Database} db
 * @param {number} dedupTail
 * @param {number} migratedFrom
 * @returns {OpenResult}
 */
function snapshot(db, dedupTail, migratedFrom) {
  /** @type {{ id: number, name: string, settings: string, delivered: number, expired: number, dead_lettered: number }[]} */
  const rows = /** @type {any} */ (db.prepare("SELECT * FROM channels ORDER BY id").all());
  const channels = rows.map((row) => {
    const log = `log_${row.id}`;
    const bounds = /** @type {{ lo: number | null, hi: number | null }} */ (
      db.prepare(`SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM ${log}`).get()
    );
    const targets = /** @type {{ seq: number, target: string }[]} */ (
      db.prepare(`SELECT seq, target FROM ${log} WHERE target IS NOT NULL ORDER BY seq`).all()
    ).map((t) => /** @type {const} */ ([t.seq, t.target]));
    const recent = /** @type {{ seq: number, message_id: string }[]} */ (
      db.prepare(`SELECT seq, message_id FROM ${log} ORDER BY seq DESC LIMIT ?`).all(dedupTail)
    )
      .reverse()
      .map((r) => /** @type {const} */ ([r.message_id, r.seq]));
    const deadLetters = /** @type {{ n: number }} */ (
      db.prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE channel = ?").get(row.name)
    );
    return {
      id: row.id,
      name: row.name,
      settings: row.settings,
      delivered: row.delivered,
      expired: row.expired,
      deadLettered: row.dead_lettered,
      maxSeq: bounds.hi ?? 0,
      minSeq: bounds.lo ?? 0,
      targets,
      recentIds: recent,
      deadLetterCount: deadLetters.n,
    };
  });
  /** @type {{ channel_id: number, name: string, state: Uint8Array }[]} */
  const groups = /** @type {any} */ (
    db.prepare("SELECT channel_id, name, state FROM groups").all()
  );
  return {
    ok: true,
    migratedFrom,
    channels,
    groups: groups.map((g) => ({ channelId: g.channel_id, name: g.name, state: g.state })),
  };
}

/** Executes rounds against one open database. */
export class Engine {
  /** @param {Database.Database} db */
  constructor(db) {
    this.db = db;
    /** @type {Map<string, Database.Statement>} */
    this.statements = new Map();
    /** @type {"FULL" | "NORMAL"} */
    this.synchronous = "FULL";
    /**
     * Round of the newest snapshot written per group state and counter row:
     * rounds without appends may commit before earlier rounds with appends,
     * and an older snapshot must not overwrite a newer one.
     * @type {Map<string, number>}
     */
    this.snapshots = new Map();
  }

  /** @param {string} sql */
  stmt(sql) {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Bytes of the file's free pages (freed by retention, reused before the file grows). */
  freeBytes() {
    try {
      const pages = Number(this.db.pragma("freelist_count", { simple: true }));
      const size = Number(this.db.pragma("page_size", { simple: true }));
      return pages * size;
    } catch {
      return 0;
    }
  }

  /** @param {"FULL" | "NORMAL"} mode */
  setSynchronous(mode) {
    if (mode === this.synchronous) return;
    this.db.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }

  /**
   * Runs rounds that queued up together: their writes in one transaction,
   * fsync'd when it holds appends (their senders wait for it), else
   * NORMAL, atomic and durable across a crash of the process. If that
   * transaction fails, each round is committed on its own, and a round
   * whose appends fail (a full disk, say) has its other writes committed
   * without them, so acks and dead letters keep working while ingest is
   * refused. Reads run after the commit.
   * @param {readonly Round[]} rounds
   * @returns {RoundResult[]}
   */
  runAll(rounds) {
    const started = performance.now();
    /** @type {{ writeError: StorageFailure | null, appendError: StorageFailure | null, writeResults: number[] }[]} */
    let outcomes;
    try {
      const results = this.transact(rounds, true);
      outcomes = results.map((writeResults) => ({
        writeError: null,
        appendError: null,
        writeResults,
      }));
    } catch (error) {
      outcomes =
        rounds.length === 1
          ? [this.alone(/** @type {Round} */ (rounds[0]), error)]
          : rounds.map((round) => {
              try {
                return {
                  writeError: null,
                  appendError: null,
                  writeResults: this.transact([round], true)[0] ?? [],
                };
              } catch (roundError) {
                return this.alone(round, roundError);
              }
            });
    }
    const commitMs = performance.now() - started;
    const freeBytes = this.freeBytes();
    return rounds.map((round, index) => {
      const outcome = /** @type {(typeof outcomes)[number]} */ (outcomes[index]);
      const readResults = round.reads.map((read) => {
        try {
          return /** @type {const} */ ({ ok: true, value: this.read(read) });
        } catch (error) {
          return /** @type {const} */ ({ ok: false, error: failureOf(error) });
        }
      });
      return {
        id: round.id,
        ...outcome,
        readResults,
        commitMs,
        synced: round.appends.length > 0 && outcome.appendError === null,
        freeBytes,
      };
    });
  }

  /**
   * A round whose transaction failed with `error`: without its appends,
   * its other writes may still commit.
   * @param {Round} round
   * @param {unknown} error
   */
  alone(round, error) {
    if (round.appends.length === 0) {
      return { writeError: failureOf(error), appendError: null, writeResults: [] };
    }
    const appendError = failureOf(error);
    try {
      return {
        writeError: null,
        appendError,
        writeResults: this.transact([round], false)[0] ?? [],
      };
    } catch (retryError) {
      return { writeError: failureOf(retryError), appendError, writeResults: [] };
    }
  }

  /**
   * @param {readonly Round[]} rounds
   * @param {boolean} withAppends
   * @returns {number[][]}
   */
  transact(rounds, withAppends) {
    const hasAppends = withAppends && rounds.some((round) => round.appends.length > 0);
    if (!hasAppends && rounds.every((round) => round.writes.length === 0)) {
      return rounds.map(() => []);
    }
    this.setSynchronous(hasAppends ? "FULL" : "NORMAL");
    /** @type {number[][]} */
    const results = [];
    this.db.exec("BEGIN IMMEDIATE");
    try {
      for (const round of rounds) {
        // Channel rows first: appends of the same round may go to a new channel.
        for (const write of round.writes) {
          if (write.op === "channel") this.write(write);
        }
        if (withAppends) for (const batch of round.appends) this.append(batch);
        /** @type {number[]} */
        const roundResults = [];
        for (const write of round.writes) {
          if (write.op === "channel") roundResults.push(0);
          else if (!withAppends && "withAppends" in write) roundResults.push(-1);
          else if (this.isStale(write, round.id)) roundResults.push(0);
          else roundResults.push(this.write(write));
        }
        results.push(roundResults);
      }
      this.db.exec("COMMIT");
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
    return results;
  }

  /**
   * Whether `write` is a snapshot (a group's state, a channel's counters)
   * older than one already written; records it as the newest otherwise.
   * @param {WriteOp} write
   * @param {number} roundId
   */
  isStale(write, roundId) {
    let key;
    if (write.op === "groupState") key = `g${write.channelId}\u0000${write.name}`;
    else if (write.op === "counters") key = `c${write.channelId}`;
    else return false;
    const newest = this.snapshots.get(key);
    if (newest !== undefined && newest > roundId) return true;
    this.snapshots.set(key, roundId);
    return false;
  }

  /** @param {AppendBatch} batch */
  append(batch) {
    const insert = this.stmt(
      `INSERT INTO log_${batch.channelId} (seq, message_id, expires_at, target, data) VALUES (?, ?, ?, ?, ?)`,
    );
    const data = Buffer.from(batch.data);
    let start = 0;
    for (let index = 0; index < batch.ends.length; index++) {
      const end = /** @type {number} */ (batch.ends[index]);
      insert.run(
        batch.firstSeq + index,
        messageIdAt(data, start),
        batch.expiresAt[index],
        batch.targets?.[index] ?? null,
        data.subarray(start, end),
      );
      start = end;
    }
  }

  /**
   * @param {WriteOp} write
   * @returns {number}
   */
  write(write) {
    switch (write.op) {
      case "channel":
        this.stmt(
          `INSERT INTO channels (id, name, settings, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET settings = excluded.settings`,
        ).run(write.id, write.name, write.settings, write.createdAt);
        this.db.exec(createLogSql(write.id));
        return 0;
      case "group":
        return this.stmt(
          "INSERT OR IGNORE INTO groups (channel_id, name, state, created_at) VALUES (?, ?, ?, ?)",
        ).run(write.channelId, write.name, write.state, write.createdAt).changes;
      case "groupState":
        return this.stmt("UPDATE groups SET state = ? WHERE channel_id = ? AND name = ?").run(
          write.state,
          write.channelId,
          write.name,
        ).changes;
      case "counters":
        return this.stmt(
          "UPDATE channels SET delivered = ?, expired = ?, dead_lettered = ? WHERE id = ?",
        ).run(write.delivered, write.expired, write.deadLettered, write.channelId).changes;
      case "deadLetter":
        return this.stmt(
          `INSERT INTO dead_letters
             (channel, grp, message_id, seq, data, reason, attempts, first_failed_at, dead_lettered_at)
           SELECT ?, ?, message_id, seq, data, ?, ?, ?, ? FROM log_${write.channelId} WHERE seq = ?`,
        ).run(
          write.channel,
          write.group,
          write.reason,
          write.attempts,
          write.firstFailedAt,
          write.deadLetteredAt,
          write.seq,
        ).changes;
      case "deleteDeadLetters": {
        const remove = this.stmt("DELETE FROM dead_letters WHERE id = ?");
        let removed = 0;
        for (const id of write.ids) removed += remove.run(id).changes;
        return removed;
      }
      case "purgeDeadLetters":
        return this.stmt(`DELETE FROM dead_letters WHERE ${DEAD_LETTER_MATCH}`).run(
          bindQuery(write.channel, write.filter),
        ).changes;
      case "retain": {
        // Bounded: one round never deletes more than `limit` messages.
        const log = `log_${write.channelId}`;
        return this.stmt(
          `DELETE FROM ${log} WHERE seq IN (SELECT seq FROM ${log} WHERE seq <= ? ORDER BY seq LIMIT ?)`,
        ).run(write.upTo, write.limit).changes;
      }
      case "setState":
        return this.stmt(
          "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ).run(write.key, write.value).changes;
    }
  }

  /**
   * @param {ReadOp} read
   * @returns {import("../storage-protocol.js").ReadResult}
   */
  read(read) {
    switch (read.op) {
      case "messages":
        return this.messages(read.channelId, read.seqs);
      case "expiryScan": {
        const rows = /** @type {{ seq: number, expires_at: number }[]} */ (
          this.stmt(
            `SELECT seq, expires_at FROM log_${read.channelId} WHERE seq > ? ORDER BY seq LIMIT ?`,
          ).all(read.after, read.limit)
        );
        return { seqs: rows.map((r) => r.seq), expiresAt: rows.map((r) => r.expires_at) };
      }
      case "deadLetters":
        return /** @type {any} */ (
          this.stmt(
            `SELECT * FROM dead_letters WHERE ${DEAD_LETTER_MATCH}
             ORDER BY dead_lettered_at, id LIMIT @limit OFFSET @offset`,
          ).all({
            ...bindQuery(read.channel, read.filter),
            limit: Math.max(0, read.limit),
            offset: Math.max(0, read.offset),
          })
        );
      case "getState": {
        const row = /** @type {{ value: string } | undefined} */ (
          this.stmt("SELECT value FROM state WHERE key = ?").get(read.key)
        );
        return row?.value;
      }
      case "ping":
        this.stmt("SELECT 1").get();
        return null;
    }
  }

  /**
   * Reads stored messages by sequence, in the order asked, skipping the
   * ones that are gone; runs of consecutive sequences are read as ranges.
   * @param {number} channelId
   * @param {readonly number[]} seqs
   * @returns {MessageRows}
   */
  messages(channelId, seqs) {
    const log = `log_${channelId}`;
    const range = this.stmt(
      `SELECT seq, message_id, expires_at, target, data FROM ${log} WHERE seq >= ? AND seq <= ? ORDER BY seq`,
    );
    /** @type {{ seq: number, message_id: string, expires_at: number, target: string | null, data: Buffer }[]} */
    const rows = [];
    let index = 0;
    while (index < seqs.length) {
      const first = /** @type {number} */ (seqs[index]);
      let last = first;
      while (index + 1 < seqs.length && seqs[index + 1] === last + 1) {
        index++;
        last++;
      }
      index++;
      for (const row of range.all(first, last)) rows.push(/** @type {any} */ (row));
    }
    let total = 0;
    for (const row of rows) total += row.data.length;
    const data = new Uint8Array(new ArrayBuffer(total));
    /** @type {number[]} */
    const ends = [];
    let offset = 0;
    for (const row of rows) {
      data.set(row.data, offset);
      offset += row.data.length;
      ends.push(offset);
    }
    return {
      seqs: rows.map((r) => r.seq),
      messageIds: rows.map((r) => r.message_id),
      expiresAt: rows.map((r) => r.expires_at),
      targets: rows.map((r) => r.target),
      ends,
      data: data.buffer,
    };
  }
}

/**
 * The `message_id` of an encoded WebhookMessage at `at`: its first field
 * (field 1, length-delimited) as every encoder of this code writes it, or
 * "" when the message has none (proto3 leaves an empty string out).
 * @param {Buffer} data
 * @param {number} at
 */
function messageIdAt(data, at) {
  if (data[at] !== 0x0a) return "";
  let length = 0;
  let shift = 0;
  let pos = at + 1;
  for (;;) {
    const byte = /** @type {number} */ (data[pos++]);
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
    shift += 7;
  }
  return data.toString("utf8", pos, pos + length);
}

/**
 * @param {string} channel
 * @param {DeadLetterQuery} filter
 */
function bindQuery(channel, filter) {
  return {
    channel,
    ids: filter.ids === null ? null : JSON.stringify(filter.ids),
    grp: filter.group,
    from: filter.from,
    to: filter.to,
  };
}

/** Transferables of a round result (the packed message bytes). */
/** @param {RoundResult} result */
function transferablesOf(result) {
  /** @type {ArrayBuffer[]} */
  const list = [];
  for (const read of result.readResults) {
    if (read.ok && read.value !== null && typeof read.value === "object" && "data" in read.value) {
      list.push(read.value.data);
    }
  }
  return list;
}

/**
 * Runs the rounds handed to `post` in the next turn of the event loop,
 * together: first those without new messages (leases, acks: no fsync, so
 * they do not wait behind ingest's), then those with them; each result
 * goes to `emit`. The worker thread and the in-process mode share it.
 * @param {Engine} engine
 * @param {(result: RoundResult) => void} emit
 * @param {(error: unknown) => void} fail an error that stops the engine
 */
export function roundRunner(engine, emit, fail) {
  /** @type {Round[]} */
  let queued = [];
  let scheduled = false;
  const runQueued = () => {
    scheduled = false;
    const rounds = queued;
    queued = [];
    const quick = rounds.filter((round) => round.appends.length === 0);
    const durable = rounds.filter((round) => round.appends.length > 0);
    try {
      for (const group of [quick, durable]) {
        if (group.length === 0) continue;
        for (const result of engine.runAll(group)) emit(result);
      }
    } catch (error) {
      fail(error);
    }
  };
  return {
    /** @param {Round} round */
    post(round) {
      queued.push(round);
      if (!scheduled) {
        scheduled = true;
        setImmediate(runQueued);
      }
    },
    /** Runs what is queued now, then closes the file. */
    close() {
      if (queued.length > 0) runQueued();
      engine.db.close();
    },
  };
}

if (!isMainThread && parentPort !== null) {
  const data = /** @type {StorageWorkerData} */ (workerData);
  const flag = new Int32Array(data.ready);
  /** @type {Engine | undefined} */
  let engine;
  try {
    const opened = open(data.path, data.dedupTail);
    engine = new Engine(opened.db);
    data.port.postMessage(opened.snapshot);
  } catch (error) {
    const failure = failureOf(error);
    data.port.postMessage({ ok: false, message: failure.message, code: failure.code });
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  data.port.close();
  const port = parentPort;
  if (engine === undefined) {
    port.close();
  } else {
    const runner = roundRunner(
      engine,
      (result) => port.postMessage(result, transferablesOf(result)),
      (error) => {
        // The main thread learns it from the worker's exit.
        throw error;
      },
    );
    port.on("message", (/** @type {Round | { close: true }} */ message) => {
      if ("close" in message) {
        runner.close();
        port.postMessage({ closed: true });
        port.close();
        return;
      }
      runner.post(message);
    });
  }
}
