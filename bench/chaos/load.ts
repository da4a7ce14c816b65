/**
 * Steady ingest: `rate` webhooks a second, spread over the receivers like a
 * load balancer would (round robin; a receiver that refuses the connection
 * is skipped for that webhook, as a health-checking balancer would). Each
 * answer goes to the ledger; when `maxInFlight` requests already wait (a
 * receiver stuck on its buffer), the webhook is not sent at all.
 */
import { Agent, request } from "undici";
import type { Ledger } from "./ledger.js";

/** Options of startLoad. */
export interface LoadOptions {
  readonly ledger: Ledger;
  /** Ingest URLs (`…/webhook/<id>`) to spread over, read for every webhook. */
  readonly urls: () => readonly string[];
  /** Webhooks a second. @default 50 */
  readonly rate?: number;
  /** Most requests waiting for an answer. @default 200 */
  readonly maxInFlight?: number;
}

/** Running ingest. */
export interface Load {
  /** Webhooks sent so far. */
  sent(): number;
  /** Stops sending and waits for the answers still out. */
  stop(): Promise<void>;
}

const TICK_MS = 20;

/** Starts sending. */
export function startLoad(options: LoadOptions): Load {
  const rate = options.rate ?? 50;
  const maxInFlight = options.maxInFlight ?? 200;
  const agent = new Agent({ connections: 64, keepAliveTimeout: 4_000 });
  const started = Date.now();
  const pending = new Set<Promise<void>>();
  let scheduled = 0;
  let sent = 0;
  let next = 0;

  async function post(
    url: string,
    body: string,
  ): Promise<{ status: number; id?: string; retryAfter?: string }> {
    const response = await request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      dispatcher: agent,
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      const retryAfter = response.headers["retry-after"];
      return typeof retryAfter === "string"
        ? { status: response.statusCode, retryAfter }
        : { status: response.statusCode };
    }
    return { status: 200, id: (JSON.parse(text) as { message_id: string }).message_id };
  }

  async function send(n: number): Promise<void> {
    const urls = options.urls();
    const body = JSON.stringify({ chaos: n, sent_at: Date.now(), pad: "x".repeat(200) });
    const first = next++;
    for (let attempt = 0; attempt < urls.length; attempt++) {
      const url = urls[(first + attempt) % urls.length]!;
      try {
        const { status, id, retryAfter } = await post(url, body);
        options.ledger.answer(status, id, retryAfter);
        return;
      } catch {
        // No answer from this receiver (killed, restarting): the next one gets the webhook.
      }
    }
    options.ledger.answer("error");
  }

  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) * rate) / 1000);
    while (scheduled < due) {
      scheduled += 1;
      if (pending.size >= maxInFlight) continue;
      sent += 1;
      const task = send(sent).finally(() => pending.delete(task));
      pending.add(task);
    }
  }, TICK_MS);

  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      await agent.close();
    },
  };
}
