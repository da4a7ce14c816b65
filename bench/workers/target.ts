/**
 * The local app behind the connector (and the direct-POST baseline's
 * destination): reads each body, answers 200, counts distinct message ids
 * and records end-to-end latency from the body's `sent_at`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SampleBuffer, summarizeLatency } from "../lib/stats.js";
import type { TargetApi, TargetStats } from "./api.js";
import { serveWorker } from "./serve.js";
import { nowMs, parseWebhookBody } from "./webhook-body.js";

let received = 0;
let firstAt = 0;
let lastAt = 0;
const ids = new Set<string>();
const latencies = new SampleBuffer();
const waiters = new Set<() => void>();

function stats(): TargetStats {
  return { received, unique: ids.size, firstAt, lastAt };
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const now = nowMs();
    const parsed = parseWebhookBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    received++;
    if (firstAt === 0) firstAt = now;
    lastAt = now;
    if (parsed !== undefined && !ids.has(parsed.id)) {
      ids.add(parsed.id);
      latencies.push(now - parsed.sentAt);
    }
    res.writeHead(200, { "content-length": 0 });
    res.end();
    for (const waiter of waiters) waiter();
  });
});
server.keepAliveTimeout = 60_000;

serveWorker<TargetApi>(
  {
    stats,
    reset() {
      received = 0;
      firstAt = 0;
      lastAt = 0;
      ids.clear();
      latencies.clear();
      return null;
    },
    latency: () => summarizeLatency(latencies.values()),
    waitForUnique({ count, timeoutMs }) {
      return new Promise((resolve) => {
        const finish = (reached: boolean) => {
          waiters.delete(check);
          clearTimeout(timer);
          resolve({ ...stats(), reached });
        };
        const check = () => {
          if (ids.size >= count) finish(true);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        waiters.add(check);
        check();
      });
    },
  },
  await new Promise<{ url: string }>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}` });
    });
  }),
);
