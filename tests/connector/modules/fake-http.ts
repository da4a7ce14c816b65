/**
 * A recording HTTP server on 127.0.0.1 port 0 for destinations reached
 * over HTTP (S3, SQS, ClickHouse, Pub/Sub). Each test sets how it answers.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

/** What the handler answers. */
export interface FakeReply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** The running fake. */
export interface FakeHttp {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the handler. */
  reply(handler: (request: RecordedRequest) => FakeReply | Promise<FakeReply>): void;
  close(): Promise<void>;
}

/** Starts a fake that answers 200 with an empty body until told otherwise. */
export async function startFakeHttp(): Promise<FakeHttp> {
  const requests: RecordedRequest[] = [];
  let handler: (request: RecordedRequest) => FakeReply | Promise<FakeReply> = () => ({});
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      const reply = await handler(recorded);
      res.writeHead(reply.status ?? 200, reply.headers ?? {});
      res.end(reply.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    reply(next) {
      handler = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
