/**
 * Group commit: every write made within one event-loop turn runs in ONE
 * transaction at setImmediate, and each caller's promise settles only after
 * that transaction committed (fsync'd with synchronous=FULL). Operations run
 * in their own savepoint, so a rejected operation (queue full, unknown
 * channel) leaves no trace while the others commit; publishes, which throw
 * only before their first write, skip the savepoint to keep ingest fast.
 *
 * Only a transaction holding a publish is fsync'd (synchronous=FULL): the
 * sender's 200 depends on it. Leases, acks, nacks and admin operations
 * commit with synchronous=NORMAL — in WAL mode still atomic and durable
 * across a crash of the process, while a power loss may roll back the last
 * of them, which at-least-once delivery absorbs as a redelivery. A later
 * FULL commit fsyncs the whole WAL, those commits included.
 */
import type Database from "better-sqlite3";
import { BufferUnavailableError, WebhookConnectError } from "../../errors.js";

/** What one group commit contained. */
export interface CommitInfo {
  /** Operations in the transaction. */
  readonly operations: number;
  /** Of those, publishes. */
  readonly publishes: number;
  /** Time spent in the transaction including the commit, ms. */
  readonly durationMs: number;
  /** FULL when the commit was fsync'd (it held a publish), else NORMAL. */
  readonly synchronous: "FULL" | "NORMAL";
}

/**
 * Kind of a batched operation. A `publish` must throw only before its first
 * write (it runs without a savepoint); `other` operations may throw anywhere.
 */
export type OperationKind = "publish" | "other";

/** Per-transaction scratch space shared by the operations of one batch. */
export class BatchScope {
  private readonly queued = new Map<string, number>();
  /** Channels whose waiting fetches should look again after the commit. */
  readonly touched = new Set<string>();

  /** Queue length of `channel` within this transaction, computed once. */
  queuedCount(channel: string, compute: () => number): number {
    let count = this.queued.get(channel);
    if (count === undefined) {
      count = compute();
      this.queued.set(channel, count);
    }
    return count;
  }

  /** Records that this transaction stored one more message in `channel`. */
  addQueued(channel: string): void {
    const count = this.queued.get(channel);
    if (count !== undefined) this.queued.set(channel, count + 1);
  }

  /** Forgets the cached queue length after messages were removed or re-added. */
  invalidate(channel: string): void {
    this.queued.delete(channel);
  }

  /** Marks `channel` so its waiting fetches are woken after the commit. */
  touch(channel: string): void {
    this.touched.add(channel);
  }
}

interface PendingOperation {
  readonly kind: OperationKind;
  readonly run: (scope: BatchScope) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Hooks called after each successful commit. */
export interface BatchHooks {
  /** Called once per commit with its numbers. */
  readonly onCommit: (info: CommitInfo) => void;
  /** Called for every channel an operation touched. */
  readonly onTouched: (channel: string) => void;
  /** Called when an operation's savepoint or the whole transaction was rolled back. */
  readonly onRollback?: () => void;
}

/** Runs writes in shared transactions, one per event-loop turn. */
export interface WriteBatcher {
  /** Queues `run` for the next group commit; resolves with its result after the commit. */
  run<T>(kind: OperationKind, run: (scope: BatchScope) => T): Promise<T>;
  /** Commits what is queued now, synchronously. */
  flush(): void;
  /** Commits what is queued, then refuses further work. */
  close(): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Creates the group-commit batcher for `db`. */
export function createWriteBatcher(db: Database.Database, hooks: BatchHooks): WriteBatcher {
  let queue: PendingOperation[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  let closed = false;
  // Called at top level it is BEGIN IMMEDIATE … COMMIT; nested it is a savepoint.
  const transaction = db.transaction((body: () => unknown) => body());
  let synchronous: "FULL" | "NORMAL" = "FULL";
  db.pragma("synchronous = FULL");

  function setSynchronous(mode: "FULL" | "NORMAL"): void {
    if (mode === synchronous) return;
    db.pragma(`synchronous = ${mode}`);
    synchronous = mode;
  }

  function flush(): void {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    const operations = queue;
    queue = [];
    if (operations.length === 0) return;
    const scope = new BatchScope();
    const outcomes: Outcome[] = [];
    const started = performance.now();
    try {
      setSynchronous(operations.some((op) => op.kind === "publish") ? "FULL" : "NORMAL");
      transaction.immediate(() => {
        for (const operation of operations) {
          try {
            const value =
              operation.kind === "publish"
                ? operation.run(scope)
                : transaction(() => operation.run(scope));
            outcomes.push({ ok: true, value });
          } catch (error) {
            // Domain errors reject one operation; anything else aborts the batch.
            if (!(error instanceof WebhookConnectError)) throw error;
            hooks.onRollback?.();
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      hooks.onRollback?.();
      const failure =
        error instanceof BufferUnavailableError
          ? error
          : new BufferUnavailableError(
              `SQLite buffer write failed: ${error instanceof Error ? error.message : String(error)}`,
              error,
            );
      for (const operation of operations) operation.reject(failure);
      return;
    }
    const durationMs = performance.now() - started;
    operations.forEach((operation, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok === true) operation.resolve(outcome.value);
      else operation.reject(outcome?.error);
    });
    for (const channel of scope.touched) hooks.onTouched(channel);
    hooks.onCommit({
      operations: operations.length,
      publishes: operations.filter((operation) => operation.kind === "publish").length,
      durationMs,
      synchronous,
    });
  }

  return {
    run<T>(kind: OperationKind, run: (scope: BatchScope) => T): Promise<T> {
      if (closed) return Promise.reject(new BufferUnavailableError("SQLite buffer is closed"));
      return new Promise<T>((resolve, reject) => {
        queue.push({ kind, run, resolve: resolve as (value: unknown) => void, reject });
        scheduled ??= setImmediate(flush);
      });
    },
    flush,
    close() {
      flush();
      closed = true;
    },
  };
}
