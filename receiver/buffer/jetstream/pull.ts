/**
 * One JetStream pull request over core NATS (`$JS.API.CONSUMER.MSG.NEXT`).
 * `no_wait` is only safe on consumers without an ack-pending limit:
 * nats-server 2.9 answers a `no_wait` pull on a consumer at its
 * `max_ack_pending` by redelivering messages still leased (measured on
 * 2.9.10), so ordered consumers (limit 1) use a short `expires` instead.
 * Ending early (abort, client timeout) unsubscribes the reply
 * inbox; the server drops pull requests whose inbox has no interest, so an
 * abandoned request cannot swallow a message published later.
 */
import { createInbox, type Msg, type Subscription } from "@nats-io/transport-node";
import { BufferUnavailableError } from "../../errors.js";
import type { TrackedConnection } from "./connection.js";

/** A pull request. */
export interface PullRequest {
  /** Stream name. */
  readonly stream: string;
  /** Durable consumer name. */
  readonly consumer: string;
  /** Most messages. */
  readonly batch: number;
  /** How long the server holds the request open. */
  readonly expiresMs: number;
  /** Answer with what is ready now, without waiting (see the module comment). */
  readonly noWait?: boolean;
  /** Ends the request early. */
  readonly signal?: AbortSignal | undefined;
}

/** Extra time past `expiresMs` before the client gives up on the server's answer. */
const CLIENT_GRACE_MS = 2_000;

/** Sends one pull request; resolves with the messages delivered for it. */
export function pull(conn: TrackedConnection, request: PullRequest): Promise<Msg[]> {
  conn.assertConnected();
  const { nc } = conn;
  const inbox = createInbox();
  const received: Msg[] = [];
  return new Promise<Msg[]>((resolve, reject) => {
    let sub: Subscription | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: Error) => {
      if (sub === undefined) return;
      sub.unsubscribe();
      sub = undefined;
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      if (error !== undefined) reject(error);
      else resolve(received);
    };
    const onAbort = () => finish();
    sub = nc.subscribe(inbox, {
      callback: (_error, msg) => {
        const status = msg.headers?.code ?? 0;
        if (msg.reply?.startsWith("$JS.ACK.") && status === 0) {
          received.push(msg);
          if (received.length >= request.batch) finish();
          return;
        }
        if (status === 503) {
          finish(new BufferUnavailableError("NATS JetStream is not available (no responders)"));
          return;
        }
        // 404 no messages, 408 request expired, 409 consumer limits: the request is over.
        if (status >= 400) finish();
      },
    });
    if (request.signal?.aborted === true) {
      finish();
      return;
    }
    request.signal?.addEventListener("abort", onAbort, { once: true });
    timer = setTimeout(() => finish(), request.expiresMs + CLIENT_GRACE_MS);
    try {
      nc.publish(
        `$JS.API.CONSUMER.MSG.NEXT.${request.stream}.${request.consumer}`,
        JSON.stringify(
          request.noWait === true
            ? { batch: request.batch, no_wait: true }
            : {
                batch: request.batch,
                expires: Math.max(1, Math.round(request.expiresMs)) * 1_000_000,
              },
        ),
        { reply: inbox },
      );
    } catch (error) {
      finish(new BufferUnavailableError("NATS refused the pull request", error));
    }
  });
}

/** Delivery count and stream sequence from a JetStream ack subject. */
export function parseAckSubject(subject: string): { deliveryCount: number; streamSeq: number } {
  const tokens = subject.split(".");
  // v1: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
  // v2: $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>.<token>
  const base = tokens.length === 9 ? 4 : 6;
  return {
    deliveryCount: Number(tokens[base]),
    streamSeq: Number(tokens[base + 1]),
  };
}
