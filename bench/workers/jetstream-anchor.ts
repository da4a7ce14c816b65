/**
 * JetStream ingest anchor: bare + HMAC + one JetStream publish per webhook
 * (the body behind a message envelope, see anchor-record.ts, ~1.3 KiB; no
 * NATS headers, so no `Nats-Msg-Id` de-duplication) into a file-storage
 * stream the scenario created. All publishes of one event-loop turn go out
 * in one socket write with one reply subject, and their requests are
 * answered once every PubAck of the turn arrived and none was an error.
 *
 * Built on core `nc.publish` with a reply inbox rather than
 * `js.publish()`: the latter is a request per message (an inbox mapping, a
 * timer and a promise each). Side by side on this machine, `js.publish()`
 * with the turn's promises awaited together measured 17–22k req/s, this
 * 25–28k. Per publish this leaves the record view and the client's
 * protocol line. `noAsyncTraces` keeps the client from building an Error
 * per operation for stack context.
 */
import type http from "node:http";
import { connect, createInbox, type Msg } from "@nats-io/transport-node";
import { type AnchorRecord, forEachRecord, packRecords } from "./anchor-record.js";
import { serveAnchor } from "./anchor-server.js";
import type { AnchorOptions } from "./api.js";
import { createLoopTurnBatcher } from "./loop-turn.js";
import { workerOptions } from "./serve.js";
import { answerAccepted, answerError, createSignatureCheck } from "./signed-request.js";

/** Options of the JetStream anchor. */
export interface JetStreamAnchorOptions extends AnchorOptions {
  readonly natsUrl: string;
  /** Subject of the bench stream. */
  readonly subject: string;
  /** A turn whose PubAcks have not all arrived by then is answered 503. @default 5000 */
  readonly ackTimeoutMs?: number;
}

interface Accepted {
  readonly record: AnchorRecord;
  readonly res: http.ServerResponse;
}

interface InFlight {
  readonly accepted: Accepted[];
  readonly bytes: number;
  remaining: number;
  ok: boolean;
  readonly timer: NodeJS.Timeout;
}

const options = workerOptions<JetStreamAnchorOptions>();
const signatureValid = createSignatureCheck(options.signing);
const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
const nc = await connect({
  servers: options.natsUrl,
  name: "bench-jetstream-anchor",
  noAsyncTraces: true,
});
const inbox = createInbox();
const inFlight = new Map<number, InFlight>();
let nextId = 0;
let stored = 0;
let writes = 0;
let bytes = 0;
let failed = 0;

function finish(id: number, turn: InFlight): void {
  inFlight.delete(id);
  clearTimeout(turn.timer);
  if (turn.ok) {
    stored += turn.accepted.length;
    writes++;
    bytes += turn.bytes;
    for (const { res } of turn.accepted) answerAccepted(res);
  } else {
    failed += turn.accepted.length;
    for (const { res } of turn.accepted) answerError(res, 503);
  }
}

/** A PubAck names the stream and sequence; an error or a 503 (no stream) is not one. */
function isPubAck(msg: Msg): boolean {
  if (msg.data.length === 0) return false;
  try {
    const ack = msg.json<{ stream?: string; seq?: number; error?: unknown }>();
    return ack.error === undefined && typeof ack.seq === "number";
  } catch {
    return false;
  }
}

nc.subscribe(`${inbox}.*`, {
  callback: (_error, msg) => {
    const id = Number(msg.subject.slice(inbox.length + 1));
    const turn = inFlight.get(id);
    if (turn === undefined) return;
    if (!isPubAck(msg)) turn.ok = false;
    if (--turn.remaining === 0) finish(id, turn);
  },
});

const push = createLoopTurnBatcher<Accepted>((accepted) => {
  const id = nextId++;
  const packed = packRecords(accepted.map((item) => item.record));
  const turn: InFlight = {
    accepted,
    bytes: packed.length - 4 * accepted.length,
    remaining: accepted.length,
    ok: true,
    timer: setTimeout(() => {
      turn.ok = false;
      finish(id, turn);
    }, ackTimeoutMs),
  };
  inFlight.set(id, turn);
  const publishOptions = { reply: `${inbox}.${id}` };
  try {
    forEachRecord(packed, (record) => nc.publish(options.subject, record, publishOptions));
  } catch {
    turn.ok = false;
    finish(id, turn);
  }
});

await serveAnchor({
  signatureValid,
  envelope: "message",
  push,
  counts: () => ({ stored, writes, bytes, failed }),
});
