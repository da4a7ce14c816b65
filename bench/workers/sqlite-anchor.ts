/**
 * SQLite ingest anchor: bare + HMAC + one INSERT per webhook (its raw
 * headers and body, see anchor-record.ts) into an append-only log (see
 * sqlite-log.ts), with every request of one
 * event-loop turn in one fsync'd commit and answered only after it.
 *
 * `commit: "thread"` (the anchor): the main thread packs a turn's records
 * into one transferable buffer and posts it to a writer thread that owns
 * the file; requests are answered when the writer reports the commit, so
 * HTTP work and fsync overlap. `commit: "main"`: the same commit runs on
 * the main thread, which waits for the fsync.
 */
import type http from "node:http";
import { Worker } from "node:worker_threads";
import { type AnchorRecord, packRecords, recordBytes } from "./anchor-record.js";
import { serveAnchor } from "./anchor-server.js";
import type { AnchorOptions } from "./api.js";
import { createLoopTurnBatcher } from "./loop-turn.js";
import { workerOptions } from "./serve.js";
import { answerAccepted, answerError, createSignatureCheck } from "./signed-request.js";
import { openSqliteLog } from "./sqlite-log.js";
import type { WriterBatch, WriterDone } from "./sqlite-writer.js";

/** Options of the SQLite anchor. */
export interface SqliteAnchorOptions extends AnchorOptions {
  /** Database file (a fresh one per run). */
  readonly path: string;
  /** Where the commit runs. */
  readonly commit: "thread" | "main";
}

interface Accepted {
  readonly record: AnchorRecord;
  readonly res: http.ServerResponse;
}

const options = workerOptions<SqliteAnchorOptions>();
const signatureValid = createSignatureCheck(options.signing);
let stored = 0;
let writes = 0;
let bytes = 0;
let failed = 0;

function answerAll(accepted: readonly Accepted[], ok: boolean): void {
  if (ok) {
    stored += accepted.length;
    for (const { record, res } of accepted) {
      bytes += recordBytes(record);
      answerAccepted(res);
    }
  } else {
    failed += accepted.length;
    for (const { res } of accepted) answerError(res, 503);
  }
}

function commitOnMainThread(): (batch: Accepted[]) => void {
  const log = openSqliteLog(options.path);
  return (batch) => {
    let ok = true;
    try {
      log.append([packRecords(batch.map((item) => item.record))]);
      writes++;
    } catch {
      ok = false;
    }
    answerAll(batch, ok);
  };
}

function commitOnWriterThread(): (batch: Accepted[]) => void {
  const writer = new Worker(new URL("./sqlite-writer-entry.mjs", import.meta.url), {
    workerData: { path: options.path },
  });
  const waiting = new Map<number, Accepted[]>();
  let nextId = 0;
  writer.on("message", (done: WriterDone) => {
    if (done.error === undefined) writes++;
    for (const id of done.ids) {
      answerAll(waiting.get(id) ?? [], done.error === undefined);
      waiting.delete(id);
    }
  });
  writer.on("error", (error) => {
    process.stderr.write(`sqlite writer thread failed: ${error.stack ?? error.message}\n`);
    for (const batch of waiting.values()) answerAll(batch, false);
    process.exit(1);
  });
  return (batch) => {
    const packed = packRecords(batch.map((item) => item.record));
    const id = nextId++;
    waiting.set(id, batch);
    const message: WriterBatch = { id, packed: packed.buffer as ArrayBuffer };
    writer.postMessage(message, [message.packed]);
  };
}

const push = createLoopTurnBatcher(
  options.commit === "thread" ? commitOnWriterThread() : commitOnMainThread(),
);

await serveAnchor({
  signatureValid,
  envelope: "headers",
  push,
  counts: () => ({ stored, writes, bytes, failed }),
});
