/**
 * The SQLite anchor's writer thread: owns the database file, so fsync
 * blocks this thread and not the one parsing HTTP. Every batch the main
 * thread posted while the previous commit ran goes into the next commit.
 * Protocol: in `{ id, packed }` (an ArrayBuffer, transferred); out
 * `{ ids, rows }` after the commit, or `{ ids, error }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLoopTurnBatcher } from "./loop-turn.js";
import { openSqliteLog } from "./sqlite-log.js";

/** A batch posted by the main thread. */
export interface WriterBatch {
  readonly id: number;
  readonly packed: ArrayBuffer;
}

/** The writer's answer for the batches of one commit. */
export interface WriterDone {
  readonly ids: readonly number[];
  readonly rows?: number;
  readonly error?: string;
}

const port = parentPort;
if (port === null) throw new Error("sqlite-writer runs as a worker thread");
const log = openSqliteLog((workerData as { path: string }).path);

const commit = createLoopTurnBatcher<WriterBatch>((batches) => {
  const ids = batches.map((batch) => batch.id);
  let done: WriterDone;
  try {
    done = { ids, rows: log.append(batches.map((batch) => Buffer.from(batch.packed))) };
  } catch (error) {
    done = { ids, error: (error as Error).message };
  }
  port.postMessage(done);
});
port.on("message", commit);
