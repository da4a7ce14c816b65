/**
 * Parent side of the worker processes (load generator, target, bare
 * server, idle clients): starts `bench/workers/<name>.ts` under tsx with
 * an IPC channel and turns calls into promises.
 */
import { fileURLToPath } from "node:url";
import type { ReadyMessage } from "../workers/api.js";
import { type BenchChild, spawnNode, tail } from "./children.js";
import { spawnWithOpenFiles } from "./relay.js";

/** Scripts under bench/workers/ that can be started. */
export type WorkerName =
  | "loadgen"
  | "target"
  | "bare-server"
  | "idle-clients"
  | "hmac-server"
  | "sqlite-anchor"
  | "jetstream-anchor"
  | "redis-anchor"
  | "rabbitmq-anchor";

/** A running worker. */
export interface Worker<Api> {
  readonly child: BenchChild;
  readonly pid: number;
  /** Base URL of a listening worker. */
  readonly url: string;
  /** Calls `method` in the worker. */
  call<K extends keyof Api & string>(
    method: K,
    arg: Api[K] extends (arg: infer A) => unknown ? A : never,
  ): Promise<Api[K] extends (arg: never) => infer R ? R : never>;
  /** Stops the worker. */
  stop(): Promise<void>;
}

interface Reply {
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: string;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Starts a worker and waits until it reported ready. */
export async function startWorker<Api>(
  name: WorkerName,
  options: object = {},
  /** Open-file limit (`ulimit -n`, capped at the hard limit) for many connections. */
  openFiles?: number,
): Promise<Worker<Api>> {
  const script = fileURLToPath(new URL(`../workers/${name}.ts`, import.meta.url));
  const args = ["--import", "tsx", script, JSON.stringify(options)];
  const child =
    openFiles === undefined
      ? spawnNode(name, { args, ipc: true, cwd: ROOT })
      : spawnWithOpenFiles(name, openFiles, args, { ipc: true, cwd: ROOT });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const ready = new Promise<ReadyMessage>((resolve, reject) => {
    child.process.on("message", (message: ReadyMessage | Reply) => {
      if ("type" in message && message.type === "ready") {
        resolve(message);
        return;
      }
      const reply = message as Reply;
      const call = reply.id === undefined ? undefined : pending.get(reply.id);
      if (call === undefined) return;
      pending.delete(reply.id!);
      if (reply.error !== undefined) call.reject(new Error(`${name}: ${reply.error}`));
      else call.resolve(reply.result);
    });
    void child.exited.then((code) => {
      const error = new Error(`${name} worker exited (${code}):\n${tail(child.output())}`);
      reject(error);
      for (const call of pending.values()) call.reject(error);
      pending.clear();
    });
  });
  const announced = await ready;
  return {
    child,
    pid: child.pid,
    url: announced.url ?? "",
    call(method, arg) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.process.send({ id, method, arg });
      });
    },
    async stop() {
      await child.stop("SIGTERM", 2_000);
    },
  };
}
