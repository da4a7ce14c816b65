/**
 * Worker side of the IPC calls: dispatches `{id, method, arg}` messages to
 * handlers and answers `{id, result}` or `{id, error}`. A worker whose
 * parent is gone exits, so no load generator outlives a killed benchmark.
 */
import type { ReadyMessage } from "./api.js";

type Handlers<Api> = {
  [K in keyof Api]: Api[K] extends (arg: infer A) => infer R ? (arg: A) => R | Promise<R> : never;
};

interface CallMessage {
  readonly id: number;
  readonly method: string;
  readonly arg: unknown;
}

/** Serves `handlers` over the IPC channel and announces readiness. */
export function serveWorker<Api>(handlers: Handlers<Api>, ready: Omit<ReadyMessage, "type">): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("a bench worker must be started with an IPC channel");
  process.on("message", (message: CallMessage) => {
    const handler = (handlers as Record<string, (arg: unknown) => unknown>)[message.method];
    if (handler === undefined) {
      send({ id: message.id, error: `unknown method ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.arg))
      .then(
        (result) => send({ id: message.id, result: result ?? null }),
        (error: unknown) =>
          send({ id: message.id, error: (error as Error).stack ?? String(error) }),
      );
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", ...ready } satisfies ReadyMessage);
}

/** The JSON options the parent passed as the first script argument. */
export function workerOptions<T>(): T {
  const raw = process.argv[2];
  return (raw === undefined ? {} : JSON.parse(raw)) as T;
}
