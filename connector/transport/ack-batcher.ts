/**
 * Batches acks and nacks of the transports that settle over separate
 * requests (Connect Subscribe + Ack, SSE, long-poll): several requests in
 * flight at once (one request at a time made these transports wait a round
 * trip per batch, and the server's credit with them), each retried a few
 * times when it fails. Order between batches does not matter: a message is
 * settled once. An ack that never gets through is not lost either: the
 * lease expires, the message is redelivered and the runner acks the
 * duplicate without delivering it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { boundedNackReason, type NackOptions } from "./transport.js";

/** One nack in a batch. */
export interface BatchedNack extends NackOptions {
  /** The message. */
  readonly messageId: string;
}

/** What one request carries. */
export interface AckBatch {
  readonly acks: readonly string[];
  readonly nacks: readonly BatchedNack[];
}

/** Options of createAckBatcher. */
export interface AckBatcherOptions {
  /** Sends one batch; rejects when it did not get through. */
  readonly send: (batch: AckBatch) => Promise<void>;
  /** Called with the ids of every batch once it was sent (or given up). */
  readonly onSettled?: (messageIds: readonly string[]) => void;
  /** How long acks wait to be batched. @default 1 */
  readonly delayMs?: number;
  /** Most entries in one batch. @default 500 */
  readonly max?: number;
  /**
   * Most bytes of message ids and reasons in one batch, so an encoded
   * batch stays under the receiver's 64 KiB message cap. @default 49152
   */
  readonly maxBytes?: number;
  /** Attempts per batch. @default 3 */
  readonly attempts?: number;
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
}

/** The batcher. */
export interface AckBatcher {
  ack(messageId: string): void;
  nack(messageId: string, options: NackOptions): void;
  /** Sends everything queued; resolves when the queue is empty. */
  flush(): Promise<void>;
}

/** Creates an AckBatcher. */
export function createAckBatcher(options: AckBatcherOptions): AckBatcher {
  const delayMs = options.delayMs ?? 1;
  const max = options.max ?? 500;
  const maxBytes = options.maxBytes ?? 48 * 1024;
  const attempts = options.attempts ?? 3;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let acks: string[] = [];
  let nacks: BatchedNack[] = [];
  let timer: NodeJS.Timeout | undefined;
  const senders = new Set<Promise<void>>();

  const ackBytes = (id: string) => id.length + 4;
  // Field tags, lengths, retry and delay cost a few bytes on top of the text.
  const nackBytes = (n: BatchedNack) => n.messageId.length + Buffer.byteLength(n.reason) + 24;

  const take = (): AckBatch | undefined => {
    if (acks.length === 0 && nacks.length === 0) return undefined;
    let bytes = 0;
    let ackCount = 0;
    while (ackCount < acks.length && ackCount < max) {
      const cost = ackBytes(acks[ackCount]!);
      if (ackCount > 0 && bytes + cost > maxBytes) break;
      bytes += cost;
      ackCount++;
    }
    let nackCount = 0;
    if (ackCount === acks.length) {
      while (nackCount < nacks.length && ackCount + nackCount < max) {
        const cost = nackBytes(nacks[nackCount]!);
        if (ackCount + nackCount > 0 && bytes + cost > maxBytes) break;
        bytes += cost;
        nackCount++;
      }
    }
    const batch = { acks: acks.slice(0, ackCount), nacks: nacks.slice(0, nackCount) };
    acks = acks.slice(batch.acks.length);
    nacks = nacks.slice(batch.nacks.length);
    return batch;
  };

  const sendWithRetry = async (batch: AckBatch) => {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await options.send(batch);
        return;
      } catch {
        if (attempt < attempts) await sleep(100 * 2 ** attempt);
      }
    }
  };

  const drain = async () => {
    for (let batch = take(); batch !== undefined; batch = take()) {
      await sendWithRetry(batch);
      options.onSettled?.([...batch.acks, ...batch.nacks.map((n) => n.messageId)]);
    }
  };

  /** Starts senders up to the limit while there is something to send; resolves when they end. */
  const kick = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    // A new request for what waits now (not behind the ones in flight), and
    // one more per further full batch, up to the limit.
    const wanted = senders.size + Math.ceil((acks.length + nacks.length) / max);
    while (senders.size < concurrency && senders.size < wanted) {
      const sender: Promise<void> = drain().finally(() => {
        senders.delete(sender);
        if (senders.size === 0 && (acks.length > 0 || nacks.length > 0)) schedule();
      });
      senders.add(sender);
    }
    return Promise.all(senders).then(() => undefined);
  };

  const schedule = () => {
    // A full batch goes at once; a sender that is free takes the rest after the delay.
    if (acks.length + nacks.length >= max) void kick();
    else timer ??= setTimeout(() => void kick(), delayMs);
  };

  return {
    ack(messageId) {
      acks.push(messageId);
      schedule();
    },
    nack(messageId, nackOptions) {
      nacks.push({ messageId, ...nackOptions, reason: boundedNackReason(nackOptions.reason) });
      schedule();
    },
    async flush() {
      while (senders.size > 0 || acks.length > 0 || nacks.length > 0) await kick();
    },
  };
}
