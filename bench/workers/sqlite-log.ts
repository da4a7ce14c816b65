/**
 * The SQLite anchor's log: one append-only table, a row per webhook at the
 * right edge of the rowid B-tree (seq INTEGER PRIMARY KEY, data BLOB), WAL
 * with synchronous=FULL so every commit is fsync'd before it returns.
 * Used on the main thread or inside the writer thread.
 */
import Database from "better-sqlite3";
import { forEachRecord } from "./anchor-record.js";

/** An open log file. */
export interface SqliteLog {
  /** Inserts every record of every packed batch in one fsync'd commit; returns the row count. */
  append(batches: readonly Buffer[]): number;
  close(): void;
}

/** Opens (creating) the log at `path`. */
export function openSqliteLog(path: string): SqliteLog {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)");
  const insert = db.prepare("INSERT INTO log (seq, data) VALUES (?, ?)");
  let seq =
    (db.prepare("SELECT max(seq) AS seq FROM log").get() as { seq: number | null }).seq ?? 0;
  const appendAll = db.transaction((batches: readonly Buffer[]) => {
    let rows = 0;
    for (const packed of batches) {
      forEachRecord(packed, (record) => {
        insert.run(++seq, record);
        rows++;
      });
    }
    return rows;
  });
  return {
    append: (batches) => appendAll(batches),
    close: () => db.close(),
  };
}
