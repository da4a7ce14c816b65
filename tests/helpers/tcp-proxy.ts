/**
 * A TCP proxy to a local broker port that can be taken down and brought
 * back on its own port: a broker outage for a client without touching the
 * shared broker.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** A TCP proxy to a local port that can be taken down and brought back on its own port. */
export interface TcpProxy {
  /** The proxy's port (the same after every restart). */
  readonly port: number;
  /** Closes the listener and cuts every connection. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Starts a TcpProxy to 127.0.0.1:`upstreamPort` on a free port. */
export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = tcpConnect(upstreamPort, "127.0.0.1");
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        const address = server?.address();
        port = typeof address === "object" && address ? address.port : port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (server === undefined) resolve();
      else server.close(() => resolve());
      server = undefined;
    });
  await start();
  return {
    get port() {
      return port;
    },
    stop,
    start,
  };
}
