/**
 * RabbitMQ ingest anchor: bare + HMAC + one persistent publish per webhook
 * (the record of anchor-record.ts with a message envelope, as large as the
 * receiver's stored message) on a confirm channel into a durable quorum
 * queue of its own, through the default exchange. The publishes of one
 * event-loop turn go out together, and their requests are answered once
 * the broker confirmed every one of them — 200 after the publisher
 * confirm, as the receiver's RabbitMQ buffer answers.
 */
import type http from "node:http";
import { connect } from "amqplib";
import { type AnchorRecord, forEachRecord, packRecords } from "./anchor-record.js";
import { serveAnchor } from "./anchor-server.js";
import type { AnchorOptions } from "./api.js";
import { createLoopTurnBatcher } from "./loop-turn.js";
import { workerOptions } from "./serve.js";
import { answerAccepted, answerError, createSignatureCheck } from "./signed-request.js";

/** Options of the RabbitMQ anchor. */
export interface RabbitMqAnchorOptions extends AnchorOptions {
  readonly amqpUrl: string;
  /** The queue (deleted by the scenario afterwards). */
  readonly queue: string;
}

interface Accepted {
  readonly record: AnchorRecord;
  readonly res: http.ServerResponse;
}

const options = workerOptions<RabbitMqAnchorOptions>();
const signatureValid = createSignatureCheck(options.signing);
const model = await connect(options.amqpUrl);
const channel = await model.createConfirmChannel();
await channel.assertQueue(options.queue, {
  durable: true,
  arguments: { "x-queue-type": "quorum" },
});
let stored = 0;
let writes = 0;
let bytes = 0;
let failed = 0;

const push = createLoopTurnBatcher<Accepted>((accepted) => {
  const packed = packRecords(accepted.map((item) => item.record));
  let remaining = accepted.length;
  let ok = true;
  const settle = (error: unknown) => {
    if (error !== null && error !== undefined) ok = false;
    if (--remaining > 0) return;
    if (ok) {
      stored += accepted.length;
      writes++;
      bytes += packed.length - 4 * accepted.length;
      for (const { res } of accepted) answerAccepted(res);
    } else {
      failed += accepted.length;
      for (const { res } of accepted) answerError(res, 503);
    }
  };
  forEachRecord(packed, (record) => {
    channel.sendToQueue(options.queue, record, { persistent: true }, settle);
  });
});

await serveAnchor({
  signatureValid,
  envelope: "message",
  push,
  counts: () => ({ stored, writes, bytes, failed }),
});
