/**
 * A raw HTTP/1.1 client over net.Socket for hostile-input tests: it sends
 * exactly the bytes given and reports every byte answered and how the
 * connection ended.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";

/** What came back on a raw connection. */
export interface RawExchange {
  /** Every byte the server sent. */
  readonly bytes: Buffer;
  /** Status codes of every response status line in `bytes`. */
  readonly statuses: number[];
  /** ms from connect to close. */
  readonly durationMs: number;
}

/** Status codes of every `HTTP/1.x NNN` status line in `bytes`. */
export function statusesIn(bytes: Buffer): number[] {
  const text = bytes.toString("latin1");
  return [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
}

/** Opens a connection to 127.0.0.1:`port`. */
export async function openSocket(port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1" });
  socket.on("error", () => undefined);
  await once(socket, "connect");
  return socket;
}

/** Collects what `socket` receives until the server closes it. */
export function collectUntilClose(socket: Socket): Promise<RawExchange> {
  const started = performance.now();
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    socket.once("close", () => {
      const bytes = Buffer.concat(chunks);
      resolve({ bytes, statuses: statusesIn(bytes), durationMs: performance.now() - started });
    });
  });
}

/**
 * Sends `bytes` on a new connection and waits until the server closes it.
 * The client never half-closes (Node's server treats that as an abort).
 * `idleMs` is a safety net: a connection silent that long is destroyed.
 */
export async function exchange(
  port: number,
  bytes: Buffer | string,
  idleMs = 10_000,
): Promise<RawExchange & { readonly timedOut: boolean }> {
  const socket = await openSocket(port);
  let timedOut = false;
  socket.setTimeout(idleMs, () => {
    timedOut = true;
    socket.destroy();
  });
  const result = collectUntilClose(socket);
  socket.write(bytes);
  return { ...(await result), timedOut };
}
