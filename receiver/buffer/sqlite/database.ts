/**
 * Opening the buffer's SQLite file: parent directory, durability pragmas
 * and schema. Every failure becomes a BufferUnavailableError naming the path.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { BufferUnavailableError } from "../../errors.js";
import { migrate } from "./schema.js";

/** An open database with a cache of prepared statements. */
export interface Store {
  /** The connection; used for transactions. */
  readonly db: Database.Database;
  /** Returns the prepared statement for `sql`, preparing it once. */
  stmt(sql: string): Database.Statement;
  /** Clock in ms since epoch. */
  readonly now: () => number;
}

function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

function reasonOf(error: unknown): string {
  if ((error as { code?: unknown } | null)?.code === "SQLITE_BUSY") {
    return "the file is in use by another receiver process (the embedded buffer serves one process)";
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens (creating when missing) the database at `path` in WAL mode with
 * `synchronous=FULL`, so a committed transaction is on disk. The file is
 * locked exclusively while open: leases and wake-ups live in this process,
 * so a second process on the same file is refused instead of double-leasing.
 */
export function openStore(path: string, now: () => number): Store {
  let db: Database.Database | undefined;
  try {
    if (!isInMemory(path)) mkdirSync(dirname(resolve(path)), { recursive: true });
    db = new Database(path, { timeout: 0 });
    // Before WAL is entered, so no shared-memory index is used and the lock is held.
    db.pragma("locking_mode = EXCLUSIVE");
    if (!isInMemory(path)) {
      const mode = String(db.pragma("journal_mode = WAL", { simple: true }));
      if (mode.toLowerCase() !== "wal") {
        throw new Error(`the file system does not support WAL mode (journal_mode is '${mode}')`);
      }
    }
    db.pragma("synchronous = FULL");
    migrate(db);
    // Takes the exclusive lock now rather than at the first publish.
    db.exec("BEGIN IMMEDIATE; COMMIT");
  } catch (error) {
    db?.close();
    if (error instanceof BufferUnavailableError) throw error;
    throw new BufferUnavailableError(
      `cannot open SQLite buffer at '${path}': ${reasonOf(error)}`,
      error,
    );
  }
  const open = db;
  const statements = new Map<string, Database.Statement>();
  return {
    db: open,
    now,
    stmt(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = open.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
