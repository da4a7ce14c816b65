/**
 * The NATS connection of one buffer: reconnects forever in the background
 * and tracks whether it is connected right now, so writes fail fast with
 * BufferUnavailableError instead of queueing in the client's reconnect
 * buffer (a write that waits there could be stored after we told the sender
 * it was not).
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { BufferUnavailableError } from "../../errors.js";

/** A tracked NATS connection. */
export interface TrackedConnection {
  /** The connection. */
  readonly nc: NatsConnection;
  /** true while the connection is up. */
  connected(): boolean;
  /** Throws BufferUnavailableError while the connection is down. */
  assertConnected(): void;
  /** Registers a callback run when the connection goes down or comes back. */
  onChange(listener: (connected: boolean) => void): void;
}

/** Options of openConnection. */
export interface ConnectionOptions {
  /** Server URLs. */
  readonly servers: string | readonly string[];
  /** Connection name shown by the server. */
  readonly name: string;
  /** Timeout of the first connect. */
  readonly connectTimeoutMs: number;
}

/** Connects; rejects with BufferUnavailableError when no server answers. */
export async function openConnection(options: ConnectionOptions): Promise<TrackedConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: typeof options.servers === "string" ? options.servers : [...options.servers],
      name: options.name,
      timeout: options.connectTimeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
      maxPingOut: 2,
      // No Error object per operation for async stack traces: the client
      // made one for every publish and request (a tenth of ingest's CPU).
      noAsyncTraces: true,
    });
  } catch (error) {
    const servers =
      typeof options.servers === "string" ? options.servers : options.servers.join(",");
    throw new BufferUnavailableError(`cannot connect to NATS at ${servers}`, error);
  }
  let up = true;
  const listeners: ((connected: boolean) => void)[] = [];
  const set = (connected: boolean) => {
    if (up === connected) return;
    up = connected;
    for (const listener of listeners) listener(connected);
  };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "reconnect") set(true);
      else if (["disconnect", "staleConnection", "close"].includes(status.type)) set(false);
    }
  })();
  return {
    nc,
    connected: () => up && !nc.isClosed(),
    assertConnected() {
      if (!up || nc.isClosed()) {
        throw new BufferUnavailableError("NATS is not connected (reconnecting in the background)");
      }
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
