/**
 * A local HTTP target that records every request exactly as received
 * (method, url, raw headers, body bytes) and answers with a programmable
 * status. Stands in for the developer's app behind a connector.
 */
import { once } from "node:events";
import http, { type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the target saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
  readonly receivedAt: number;
}

/** What the target answers. */
export interface TargetReply {
  /** @default 200 */
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A running target. */
export interface Target {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the reply function. */
  reply(fn: (request: RecordedRequest) => TargetReply | Promise<TargetReply>): void;
  /** Resolves once `count` requests arrived (checks on every request). */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a target on 127.0.0.1 and a free port. */
export async function startTarget(): Promise<Target> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let replyFn: (request: RecordedRequest) => TargetReply | Promise<TargetReply> = () => ({});
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      requests.push(recorded);
      for (const waiter of [...waiters]) {
        if (requests.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      const reply = await replyFn(recorded);
      res.writeHead(reply.status ?? 200, reply.headers);
      res.end(reply.body ?? "");
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(fn) {
      replyFn = fn;
    },
    waitForRequests(count, timeoutMs = 30_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`target got ${requests.length} of ${count} requests in time`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
