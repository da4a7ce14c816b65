/**
 * A TCP proxy on 127.0.0.1: each client connection is piped to one of the
 * upstream ports (round robin; an upstream refusing the connection is
 * skipped, like a load balancer's health check). `cut()` closes the
 * listener and every piped connection, as a network cut would look to both
 * sides; `restore()` listens again on the same port.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** A running proxy. */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy towards `upstreams` (ports on 127.0.0.1). */
export async function startTcpProxy(upstreams: readonly number[]): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let next = 0;
  let port = 0;
  let server: Server | undefined;

  function pipeTo(client: Socket, attempt: number, first: number): void {
    if (attempt >= upstreams.length) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect({
      host: "127.0.0.1",
      port: upstreams[(first + attempt) % upstreams.length]!,
    });
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.on("error", () => {
      if (!connected) pipeTo(client, attempt + 1, first);
      else client.destroy();
    });
    client.once("close", () => upstream.destroy());
  }

  function listen(): Promise<void> {
    const created = createServer({ pauseOnConnect: true }, (client) => {
      sockets.add(client);
      client.once("close", () => sockets.delete(client));
      client.on("error", () => client.destroy());
      pipeTo(client, 0, next++);
    });
    server = created;
    return new Promise((resolve, reject) => {
      created.once("error", reject);
      created.listen(port, "127.0.0.1", () => {
        port = (created.address() as { port: number }).port;
        resolve();
      });
    });
  }

  async function cut(): Promise<void> {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()));
  }

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    cut,
    restore: () => (server === undefined ? listen() : Promise.resolve()),
    close: cut,
  };
}
