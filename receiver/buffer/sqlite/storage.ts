/**
 * The main thread's side of the storage worker: starts it (waiting for the
 * file to be open, so opening stays synchronous and a locked or broken file
 * is refused at once), and runs rounds. Everything asked for within one
 * event-loop turn goes into one round, sent at the end of the turn; rounds
 * are pipelined (the next turn's round does not wait for the last one's
 * commit, so the event loop and the disk work at the same time), and the
 * worker commits the rounds that queued up meanwhile together. Group commit
 * without a timer: a commit's size follows the load.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { BufferUnavailableError } from "../../errors.js";
import type {
  AppendBatch,
  OpenResult,
  ReadOp,
  ReadResult,
  Round,
  RoundResult,
  StorageFailure,
  StorageWorkerData,
  WriteOp,
} from "./storage-protocol.js";
import { Engine, failureOf, open as openStorage, roundRunner } from "./worker/storage-worker.js";

/** Longest wait for the worker to open the file. */
const OPEN_TIMEOUT_MS = 30_000;

/** Where the storage engine runs: the receiver's main thread, or a worker thread of its own. */
export type StorageThread = "main" | "worker";

/** What the file held when it was opened. */
type OpenedSnapshot = Extract<OpenResult, { ok: true }>;

/** The round channel to the engine, on this thread or a worker's. */
interface EnginePort {
  post(round: Round): void;
  /**
   * Runs what is queued, then closes the file; after a fatal failure
   * (`graceful` false) it only lets go of the engine.
   */
  close(graceful: boolean): Promise<void>;
}
/** Appends that make a round go before the end of the event-loop turn. */
const APPENDS_PER_ROUND = 16;
/** Rounds at the worker at once; more waits (bounds memory when the disk stalls). */
const MAX_ROUNDS_IN_FLIGHT = 16;

/** What one committed round did. */
export interface RoundInfo {
  /** Messages appended. */
  readonly appended: number;
  /** Writes besides appends. */
  readonly writes: number;
  /** Reads. */
  readonly reads: number;
  /** Time from BEGIN to the end of COMMIT in the worker, ms. */
  readonly commitMs: number;
  /** Whether the commit was fsync'd (it held appends). */
  readonly synced: boolean;
  /** Bytes of free pages inside the database file. */
  readonly freeBytes: number;
}

/** What the buffer adds to a round as it is sent, and who to tell how it went. */
export interface RoundContribution {
  /** Appends per channel. */
  readonly appends: AppendBatch[];
  /** State writes (dirty groups, counters, retention), after the queued writes. */
  readonly writes: WriteOp[];
  /** Called with the round's result (or the failure of the whole round). */
  readonly onResult: (result: RoundResult | StorageFailure) => void;
}

/** Hooks of the storage client. */
export interface StorageHooks {
  /**
   * Called when a round is about to be sent: the buffer hands over its
   * queued appends and the state that changed since the last round.
   */
  readonly beforeSend: () => RoundContribution;
  /** Called after every round with its numbers. */
  readonly onRound: (info: RoundInfo) => void;
  /** The worker died or could not be reached; every later call fails. */
  readonly onFatal: (error: BufferUnavailableError) => void;
}

function failure(message: string, code?: string): StorageFailure {
  return { message, code };
}

/** Converts a failure from the worker into the error callers see. */
export function unavailable(what: string, cause: StorageFailure): BufferUnavailableError {
  return new BufferUnavailableError(`SQLite buffer ${what} failed: ${cause.message}`, cause);
}

/** A started storage worker. */
export class Storage {
  private readonly engine: EnginePort;
  private writes: WriteOp[] = [];
  private writeWaiters: Array<{
    resolve: (value: number) => void;
    reject: (error: unknown) => void;
  }> = [];
  private reads: ReadOp[] = [];
  private readWaiters: Array<{
    resolve: (value: ReadResult) => void;
    reject: (error: unknown) => void;
  }> = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly inFlight = new Map<
    number,
    {
      round: Round;
      contribution: RoundContribution;
      waiters: RoundWaiters;
      /** Messages appended (counted before the batches are transferred away). */
      appended: number;
    }
  >();
  private nextId = 1;
  private fatal: BufferUnavailableError | undefined;
  private closing: Promise<void> | undefined;
  private wantRound = false;
  private appendsQueued = 0;
  private barriers: Array<{ resolve: (value: number) => void; reject: (error: unknown) => void }> =
    [];

  /** What the file held when it was opened. */
  readonly opened: OpenedSnapshot;

  /**
   * Starts the worker on `path` and waits (blocking, at start-up only)
   * until the file is open; throws BufferUnavailableError when it is not.
   */
  constructor(
    readonly path: string,
    private readonly hooks: StorageHooks,
    dedupTail: number,
    thread: StorageThread = "worker",
  ) {
    try {
      if (path !== ":memory:" && path !== "") makeDirectories(dirname(resolve(path)));
    } catch (error) {
      throw new BufferUnavailableError(
        `cannot open SQLite buffer at '${path}': ${(error as Error).message}`,
        error,
      );
    }
    const opened = thread === "worker" ? this.startWorker(dedupTail) : this.startHere(dedupTail);
    this.opened = opened.snapshot;
    this.engine = opened.engine;
  }

  /** The engine on this thread: its commits block the event loop for their fsync. */
  private startHere(dedupTail: number): { snapshot: OpenedSnapshot; engine: EnginePort } {
    let opened: ReturnType<typeof openStorage>;
    try {
      opened = openStorage(this.path, dedupTail);
    } catch (error) {
      const failed = failureOf(error);
      throw new BufferUnavailableError(
        `cannot open SQLite buffer at '${this.path}': ${reasonOf({ ok: false, ...failed })}`,
        failed,
      );
    }
    const engine = new Engine(opened.db);
    const runner = roundRunner(
      engine,
      (result) => this.finish(result),
      (error) => this.die(error),
    );
    return {
      snapshot: opened.snapshot as OpenedSnapshot,
      engine: {
        post: (round) => runner.post(round),
        close: async (graceful) => {
          if (graceful) runner.close();
          else if (engine.db.open) engine.db.close();
        },
      },
    };
  }

  /**
   * The engine on a worker thread of its own; waits (blocking, at start-up
   * only) until the file is open there.
   */
  private startWorker(dedupTail: number): { snapshot: OpenedSnapshot; engine: EnginePort } {
    const path = this.path;
    const ready = new SharedArrayBuffer(4);
    const channel = new MessageChannel();
    const data: StorageWorkerData = { path, ready, port: channel.port2, dedupTail };
    const worker = new Worker(new URL("./worker/storage-worker.js", import.meta.url), {
      workerData: data,
      transferList: [channel.port2],
    });
    const flag = new Int32Array(ready);
    const waited = Atomics.wait(flag, 0, 0, OPEN_TIMEOUT_MS);
    const received = receiveMessageOnPort(channel.port1);
    channel.port1.close();
    const result = received?.message as OpenResult | undefined;
    if (waited === "timed-out" || result === undefined) {
      void worker.terminate();
      throw new BufferUnavailableError(
        `cannot open SQLite buffer at '${path}': the storage thread did not start`,
      );
    }
    if (!result.ok) {
      void worker.terminate();
      throw new BufferUnavailableError(
        `cannot open SQLite buffer at '${path}': ${reasonOf(result)}`,
        result,
      );
    }
    worker.on("message", (message: RoundResult | { closed: true }) => {
      if ("closed" in message) return;
      this.finish(message);
    });
    worker.on("error", (error) => this.die(error));
    worker.on("exit", (code) => {
      if (this.closing === undefined) this.die(new Error(`storage thread exited with ${code}`));
    });
    return {
      snapshot: result,
      engine: {
        post: (round) => worker.postMessage(round, transferablesOf(round)),
        close: async (graceful) => {
          if (graceful) {
            const closed = new Promise<void>((resolve) => {
              worker.once("message", () => resolve());
              worker.once("exit", () => resolve());
            });
            worker.postMessage({ close: true });
            await closed;
          }
          await worker.terminate();
        },
      },
    };
  }

  /** Queues a write for the next round; resolves with its result after the commit. */
  write(op: WriteOp): Promise<number> {
    if (this.fatal !== undefined) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      this.writes.push(op);
      this.writeWaiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Queues a read for the next round (it runs after the round's commit). */
  read<T extends ReadResult>(op: ReadOp): Promise<T> {
    if (this.fatal !== undefined) return Promise.reject(this.fatal);
    return new Promise<T>((resolve, reject) => {
      this.reads.push(op);
      this.readWaiters.push({ resolve: resolve as (value: ReadResult) => void, reject });
      this.schedule();
    });
  }

  /** Asks for a round soon: the buffer has something to hand over (`beforeSend`). */
  requestRound(): void {
    if (this.fatal !== undefined) return;
    this.wantRound = true;
    this.schedule();
  }

  /**
   * Counts one append for the next round. After `APPENDS_PER_ROUND` of
   * them the round goes at once instead of at the end of the turn: a burst
   * of requests read in one turn then reaches the disk in several rounds,
   * the first committing while the rest are still being parsed, instead of
   * all waiting for one commit after the whole burst (with closed-loop
   * senders that lockstep repeats forever).
   */
  appended(): void {
    if (++this.appendsQueued >= APPENDS_PER_ROUND) this.flush();
    else this.requestRound();
  }

  /**
   * Resolves once the next round committed (the state the caller changed
   * before calling is then on disk); rejects when its writes failed.
   */
  barrier(): Promise<void> {
    if (this.fatal !== undefined) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      this.barriers.push({ resolve: () => resolve(), reject });
      this.wantRound = true;
      this.schedule();
    });
  }

  /** The failure that stopped the worker, if it stopped. */
  get failed(): BufferUnavailableError | undefined {
    return this.fatal;
  }

  /** Sends what is queued now if no round is at the worker. */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.inFlight.size >= MAX_ROUNDS_IN_FLIGHT || this.fatal !== undefined) return;
    if (!this.wantRound && this.writes.length === 0 && this.reads.length === 0) return;
    this.wantRound = false;
    this.appendsQueued = 0;
    const contribution = this.hooks.beforeSend();
    const round: Round = {
      id: this.nextId++,
      appends: contribution.appends,
      writes: [...this.writes, ...contribution.writes],
      reads: this.reads,
    };
    const waiters: RoundWaiters = {
      writes: this.writeWaiters,
      barriers: this.barriers,
      reads: this.readWaiters,
    };
    this.writes = [];
    this.writeWaiters = [];
    this.barriers = [];
    this.reads = [];
    this.readWaiters = [];
    const appended = round.appends.reduce((sum, batch) => sum + batch.ends.length, 0);
    this.inFlight.set(round.id, { round, contribution, waiters, appended });
    try {
      this.engine.post(round);
    } catch (error) {
      this.die(error);
    }
  }

  /** Whether a round is at the worker or queued. */
  get busy(): boolean {
    return (
      this.inFlight.size > 0 || this.wantRound || this.writes.length > 0 || this.reads.length > 0
    );
  }

  /** Resolves once everything queued so far was committed (or failed). */
  async drain(): Promise<void> {
    while (this.busy && this.fatal === undefined) {
      await new Promise<void>((resolve) => {
        this.read({ op: "ping" }).then(
          () => resolve(),
          () => resolve(),
        );
      });
    }
  }

  /** Commits what is queued, then closes the file (and stops the worker thread, if any). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drain();
      const graceful = this.fatal === undefined;
      this.fatal ??= new BufferUnavailableError("SQLite buffer is closed");
      await this.engine.close(graceful);
    })();
    return this.closing;
  }

  private schedule(): void {
    if (this.scheduled !== undefined) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  private finish(result: RoundResult): void {
    const current = this.inFlight.get(result.id);
    if (current === undefined) return;
    this.inFlight.delete(result.id);
    const { waiters, contribution } = current;
    if (result.writeError !== null) {
      const error = unavailable("write", result.writeError);
      for (const waiter of waiters.writes) waiter.reject(error);
      for (const waiter of waiters.barriers) waiter.reject(error);
    } else {
      waiters.writes.forEach((waiter, index) => {
        const value = result.writeResults[index] ?? 0;
        if (value < 0 && result.appendError !== null) {
          waiter.reject(unavailable("write", result.appendError));
        } else {
          waiter.resolve(value);
        }
      });
      for (const waiter of waiters.barriers) waiter.resolve(0);
    }
    result.readResults.forEach((read, index) => {
      const waiter = waiters.reads[index];
      if (waiter === undefined) return;
      if (read.ok) waiter.resolve(read.value);
      else waiter.reject(unavailable("read", read.error));
    });
    contribution.onResult(result);
    this.hooks.onRound({
      appended: current.appended,
      writes: current.round.writes.length,
      reads: current.round.reads.length,
      commitMs: result.commitMs,
      synced: result.synced,
      freeBytes: result.freeBytes,
    });
    // What waited for a free slot goes at once.
    if (this.inFlight.size === MAX_ROUNDS_IN_FLIGHT - 1 && this.busy) this.flush();
  }

  private die(error: unknown): void {
    if (this.fatal !== undefined && this.closing !== undefined) return;
    const fatal =
      this.fatal ??
      new BufferUnavailableError(
        `SQLite buffer storage failed: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    this.fatal = fatal;
    const lost = failure(fatal.message);
    for (const current of this.inFlight.values()) {
      for (const waiter of current.waiters.writes) waiter.reject(fatal);
      for (const waiter of current.waiters.reads) waiter.reject(fatal);
      for (const waiter of current.waiters.barriers) waiter.reject(fatal);
      current.contribution.onResult(lost);
    }
    this.inFlight.clear();
    for (const waiter of this.writeWaiters) waiter.reject(fatal);
    for (const waiter of this.readWaiters) waiter.reject(fatal);
    for (const waiter of this.barriers) waiter.reject(fatal);
    this.barriers = [];
    if (this.wantRound) this.hooks.beforeSend().onResult(lost);
    this.writeWaiters = [];
    this.readWaiters = [];
    this.writes = [];
    this.reads = [];
    this.wantRound = false;
    if (this.closing === undefined) this.hooks.onFatal(fatal);
  }
}

interface RoundWaiters {
  readonly writes: Array<{ resolve: (value: number) => void; reject: (error: unknown) => void }>;
  readonly barriers: Array<{ resolve: (value: number) => void; reject: (error: unknown) => void }>;
  readonly reads: Array<{
    resolve: (value: ReadResult) => void;
    reject: (error: unknown) => void;
  }>;
}

/**
 * The buffers a round hands over instead of copying: the packed appends
 * and the group states, each made for this round alone.
 */
function transferablesOf(round: Round): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const batch of round.appends) {
    list.push(batch.data, batch.ends.buffer as ArrayBuffer, batch.expiresAt.buffer as ArrayBuffer);
  }
  for (const write of round.writes) {
    if ((write.op === "group" || write.op === "groupState") && write.state.byteOffset === 0) {
      list.push(write.state.buffer as ArrayBuffer);
    }
  }
  return list;
}

/**
 * `mkdir -p` by hand: walks up to the deepest existing directory, then
 * creates each level below it once. (Node 20's recursive mkdirSync never
 * returns for a path under /proc, where mkdir fails with ENOENT forever.)
 */
function makeDirectories(directory: string): void {
  const missing: string[] = [];
  let current = directory;
  while (!existsSync(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing.reverse()) mkdirSync(level);
}

function reasonOf(result: Extract<OpenResult, { ok: false }>): string {
  if (result.code === "SQLITE_BUSY") {
    return "the file is in use by another receiver process (the embedded buffer serves one process)";
  }
  return result.message;
}
