/**
 * A test HTTP/1.1 reverse proxy with the habits of corporate proxies:
 * it cannot speak HTTP/2 (an h2c preface is answered 400 by its HTTP/1.1
 * parser), refuses WebSocket upgrades with 403, and can buffer whole responses
 * before passing them on (everything, or everything but event streams).
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the proxy does with responses. */
export type ProxyBuffering = "none" | "all" | "all-but-event-stream";

/** Options of startTestProxy. */
export interface TestProxyOptions {
  /** Base URL of the receiver. */
  readonly upstream: string;
  /** Response buffering. @default "none" */
  readonly buffering?: ProxyBuffering;
}

/** A running proxy. */
export interface TestProxy {
  readonly url: string;
  /** Upgrade requests refused so far. */
  readonly refusedUpgrades: number;
  /** Requests forwarded so far, by method and path (query stripped). */
  readonly forwarded: string[];
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 and a free port. */
export async function startTestProxy(options: TestProxyOptions): Promise<TestProxy> {
  const upstream = new URL(options.upstream);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const forwarded: string[] = [];
  let refusedUpgrades = 0;
  const server = http.createServer((req, res) => {
    forwarded.push(`${req.method} ${(req.url ?? "").split("?")[0]}`);
    const headers = { ...req.headers, host: upstream.host };
    const upstreamReq = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (upstreamRes) => {
        const type = String(upstreamRes.headers["content-type"] ?? "");
        const buffer =
          options.buffering === "all" ||
          (options.buffering === "all-but-event-stream" && !type.startsWith("text/event-stream"));
        if (!buffer) {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upstreamRes.on("data", (chunk: Buffer) => chunks.push(chunk));
        upstreamRes.on("end", () => {
          const body = Buffer.concat(chunks);
          const { "transfer-encoding": _te, ...rest } = upstreamRes.headers;
          res.writeHead(upstreamRes.statusCode ?? 502, { ...rest, "content-length": body.length });
          res.end(body);
        });
        upstreamRes.on("error", () => res.destroy());
      },
    );
    upstreamReq.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on("close", () => upstreamReq.destroy());
    req.pipe(upstreamReq);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (_req, socket: Socket) => {
    refusedUpgrades += 1;
    socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get refusedUpgrades() {
      return refusedUpgrades;
    },
    forwarded,
    async close() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
