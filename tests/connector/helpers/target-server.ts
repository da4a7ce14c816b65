/**
 * A real node:http target on 127.0.0.1:0 that records every request
 * (raw headers in order, body bytes) and answers through a test handler.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One recorded request. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  /** Raw headers as [name, value] pairs in wire order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** Answers one request; `index` counts from 0. */
export type TargetHandler = (
  request: RecordedRequest,
  response: ServerResponse,
  index: number,
) => void | Promise<void>;

/** A running target. */
export interface TargetServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Resolves when `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

function header(request: RecordedRequest, name: string): string[] {
  return request.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/** All values of a header (case-insensitive) in order. */
export { header as headerValues };

/** Starts a target answering with `handler`. */
export async function startTargetServer(handler: TargetHandler): Promise<TargetServer> {
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const pairs: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: pairs,
      body: Buffer.concat(chunks),
    };
    const index = requests.push(recorded) - 1;
    for (const waiter of [...waiters]) {
      if (requests.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    await handler(recorded, res, index);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
