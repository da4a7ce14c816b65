/**
 * One client (pool, broker connection) per named connection, shared by
 * every entry and chain item that names it. Clients are opened on first use
 * and closed together when the deliverer closes.
 */
import type { ModuleBuildContext } from "./module-definition.js";

interface Held {
  readonly resource: unknown;
  readonly close: () => Promise<void>;
}

/** Registry of shared clients, keyed by connection name. */
export class SharedConnections {
  readonly #held = new Map<string, Held>();
  #closed = false;

  /**
   * Returns the client stored under `key`, creating it with `open` the first
   * time. `close` releases it when {@link closeAll} runs.
   */
  acquire<T>(key: string, open: () => T, close: (resource: T) => Promise<void>): T {
    if (this.#closed) throw new Error("shared connections are closed");
    const held = this.#held.get(key);
    if (held !== undefined) return held.resource as T;
    const resource = open();
    this.#held.set(key, { resource, close: () => close(resource) });
    return resource;
  }

  /** Number of open clients (for tests and metrics). */
  get size(): number {
    return this.#held.size;
  }

  /** Closes every client; errors while closing are collected, not thrown one by one. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const held = [...this.#held.values()];
    this.#held.clear();
    const results = await Promise.allSettled(held.map((h) => h.close()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) {
      throw new AggregateError(
        failures.map((f) => f.reason),
        "closing shared connections failed",
      );
    }
  }
}

/**
 * The client of the entry's named connection, shared under `<kind>:<name>`
 * by every entry naming it. `open` runs on first use and gets a callback
 * that reports a failure of the connection as a `connection_error` event
 * (libraries don't log); `close` runs when the deliverer closes.
 */
export function sharedClient<T>(
  build: ModuleBuildContext,
  kind: string,
  open: (reportError: (reason: string) => void) => T,
  close: (client: T) => Promise<void>,
): () => T {
  const connection = build.connection!;
  const reportError = (reason: string) =>
    build.emit({ type: "connection_error", connection: connection.name, reason });
  return () => build.shared.acquire(`${kind}:${connection.name}`, () => open(reportError), close);
}
