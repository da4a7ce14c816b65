/**
 * Redis ingest anchor: bare + HMAC + one `XADD` per webhook (the record of
 * anchor-record.ts with a message envelope, as large as the receiver's
 * stored message) into a stream of its own. The XADDs of one event-loop
 * turn go out as one pipeline (one socket write), and their requests are
 * answered once every reply of the turn arrived and none was an error —
 * 200 after XADD returned, as the receiver's Redis buffer answers.
 */
import type http from "node:http";
import { Redis } from "ioredis";
import { type AnchorRecord, forEachRecord, packRecords } from "./anchor-record.js";
import { serveAnchor } from "./anchor-server.js";
import type { AnchorOptions } from "./api.js";
import { createLoopTurnBatcher } from "./loop-turn.js";
import { workerOptions } from "./serve.js";
import { answerAccepted, answerError, createSignatureCheck } from "./signed-request.js";

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

await serveAnchor({
  signatureValid,
  envelope: "message",
  push,
  counts: () => ({ stored, writes, bytes, failed }),
});
