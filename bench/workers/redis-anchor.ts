/**
 * Redis ingest anchor: bare + HMAC + one `XADD` per webhook (the record of
 * anchor-record.ts with a message envelope, as large as the receiver's
 * stored message) into a stream of its own. The XADDs of one event-loop
 * turn go out as one pipeline (one socket write), and their requests are
 * answered once every reply of the turn arrived and none was an error —
 * 200 after XADD returned, as the receiver's Redis buffer answers.
 */
import http from "node:http";
import { Redis } from "ioredis";
import { type AnchorRecord, anchorRecord, forEachRecord, packRecords } from "./anchor-record.js";
import type { AnchorApi, AnchorOptions } from "./api.js";
import { createLoopTurnBatcher } from "./loop-turn.js";
import { serveWorker, workerOptions } from "./serve.js";
import {
  answerAccepted,
  answerError,
  createSignatureCheck,
  listenLocal,
  readBody,
} from "./signed-request.js";

/** Options of the Redis anchor. */
export interface RedisAnchorOptions extends AnchorOptions {
  readonly redisUrl: string;
  /** The stream key (deleted by the scenario afterwards). */
  readonly key: string;
}

interface Accepted {
  readonly record: AnchorRecord;
  readonly res: http.ServerResponse;
}

const options = workerOptions<RedisAnchorOptions>();
const signatureValid = createSignatureCheck(options.signing);
const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
await redis.connect();
let stored = 0;
let writes = 0;
let bytes = 0;
let failed = 0;

const push = createLoopTurnBatcher<Accepted>((accepted) => {
  const pipeline = redis.pipeline();
  const packed = packRecords(accepted.map((item) => item.record));
  const turnBytes = packed.length - 4 * accepted.length;
  forEachRecord(packed, (record) => pipeline.xadd(options.key, "*", "m", record));
  pipeline.exec().then(
    (results) => {
      const ok = results?.every(([error]) => error === null) === true;
      if (ok) {
        stored += accepted.length;
        writes++;
        bytes += turnBytes;
        for (const { res } of accepted) answerAccepted(res);
      } else {
        failed += accepted.length;
        for (const { res } of accepted) answerError(res, 503);
      }
    },
    () => {
      failed += accepted.length;
      for (const { res } of accepted) answerError(res, 503);
    },
  );
});

const server = http.createServer((req, res) => {
  readBody(req, (body) => {
    if (!signatureValid(req, body)) {
      answerError(res, 401);
      return;
    }
    push({ record: anchorRecord(req, body, "message"), res });
  });
});

serveWorker<AnchorApi>(
  {
    stats: () => ({ stored, writes, recordBytes: stored === 0 ? 0 : bytes / stored, failed }),
  },
  { url: await listenLocal(server) },
);
