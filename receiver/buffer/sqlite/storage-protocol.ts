/**
 * The messages between the embedded buffer (main thread) and its storage
 * worker, the thread that owns the SQLite file. Types only: the worker is
 * plain JavaScript (worker threads cannot load TypeScript) and imports these
 * through JSDoc, so both sides are checked against one definition.
 *
 * The main thread keeps every channel's consumer state in memory and sends
 * the worker one round at a time: a batch of writes committed in one
 * transaction (fsync'd when it holds appends), then reads of committed data.
 */
import type { MessagePort } from "node:worker_threads";

/** What the worker is started with (`workerData`). */
export interface StorageWorkerData {
  /** Database file, or `:memory:`. */
  readonly path: string;
  /** Int32 flag the worker sets to 1 once `port` holds the open result. */
  readonly ready: SharedArrayBuffer;
  /** Where the open result (`OpenResult`) is posted, read synchronously by the opener. */
  readonly port: MessagePort;
  /** How many recent message ids per channel to load for de-duplication. */
  readonly dedupTail: number;
}

/** One channel as stored. */
export interface StoredChannel {
  readonly id: number;
  readonly name: string;
  /** The ChannelSettings as JSON. */
  readonly settings: string;
  readonly delivered: number;
  readonly expired: number;
  readonly deadLettered: number;
  /** Highest sequence in the channel's log, 0 when empty. */
  readonly maxSeq: number;
  /** Lowest sequence in the channel's log, 0 when empty. */
  readonly minSeq: number;
  /** Messages published for one group only (replayed dead letters): sequence → group. */
  readonly targets: readonly (readonly [number, string])[];
  /** Ids of the newest messages, oldest first, with their sequences. */
  readonly recentIds: readonly (readonly [string, number])[];
  /** Dead letters stored for the channel. */
  readonly deadLetterCount: number;
}

/** One consumer group as stored. */
export interface StoredGroup {
  readonly channelId: number;
  readonly name: string;
  /** The group's consumer state (worker/group-state.js). */
  readonly state: Uint8Array;
}

/** The answer to opening the file. */
export type OpenResult =
  | {
      readonly ok: true;
      readonly channels: readonly StoredChannel[];
      readonly groups: readonly StoredGroup[];
      /** Schema version found before any migration ran. */
      readonly migratedFrom: number;
    }
  | { readonly ok: false; readonly message: string; readonly code: string | undefined };

/** Messages appended to one channel's log in one round, packed into one buffer. */
export interface AppendBatch {
  readonly channelId: number;
  /** Sequence of the first message; the others follow one by one. */
  readonly firstSeq: number;
  /** Expiry of each message, ms since epoch (transferred). */
  readonly expiresAt: Float64Array;
  /** Group each message is for (null: every group), or null when all are for every group. */
  readonly targets: readonly (string | null)[] | null;
  /** End offset of each message's bytes in `data` (transferred). */
  readonly ends: Uint32Array;
  /**
   * The encoded messages, one after the other (transferred). Each starts
   * with its `message_id` field, which the worker reads from there.
   */
  readonly data: ArrayBuffer;
}

/** A write of a round, applied in order inside the round's transaction. */
export type WriteOp =
  | {
      readonly op: "channel";
      readonly id: number;
      readonly name: string;
      readonly settings: string;
      readonly createdAt: number;
    }
  | {
      readonly op: "group";
      readonly channelId: number;
      readonly name: string;
      readonly state: Uint8Array;
      readonly createdAt: number;
    }
  | {
      readonly op: "groupState";
      readonly channelId: number;
      readonly name: string;
      readonly state: Uint8Array;
    }
  | {
      readonly op: "counters";
      readonly channelId: number;
      readonly delivered: number;
      readonly expired: number;
      readonly deadLettered: number;
    }
  | {
      readonly op: "deadLetter";
      readonly channelId: number;
      readonly channel: string;
      readonly group: string;
      readonly seq: number;
      readonly reason: string;
      readonly attempts: number;
      readonly firstFailedAt: number;
      readonly deadLetteredAt: number;
    }
  | {
      readonly op: "deleteDeadLetters";
      readonly ids: readonly number[];
      /** Only together with the round's appends (a replay): skipped when they fail. */
      readonly withAppends: true;
    }
  | {
      readonly op: "purgeDeadLetters";
      readonly channel: string;
      readonly filter: DeadLetterQuery;
    }
  | {
      readonly op: "retain";
      readonly channelId: number;
      readonly upTo: number;
      readonly limit: number;
    }
  | { readonly op: "setState"; readonly key: string; readonly value: string };

/** Which dead letters a read or purge applies to (null: no restriction). */
export interface DeadLetterQuery {
  readonly ids: readonly string[] | null;
  readonly group: string | null;
  readonly from: number | null;
  readonly to: number | null;
}

/** A read of a round, run after its transaction committed. */
export type ReadOp =
  | { readonly op: "messages"; readonly channelId: number; readonly seqs: readonly number[] }
  | {
      readonly op: "expiryScan";
      readonly channelId: number;
      readonly after: number;
      readonly limit: number;
    }
  | {
      readonly op: "deadLetters";
      readonly channel: string;
      readonly filter: DeadLetterQuery;
      readonly limit: number;
      readonly offset: number;
    }
  | { readonly op: "getState"; readonly key: string }
  | { readonly op: "ping" };

/** One round: writes in one transaction, then reads. */
export interface Round {
  readonly id: number;
  readonly appends: readonly AppendBatch[];
  readonly writes: readonly WriteOp[];
  readonly reads: readonly ReadOp[];
}

/** Stored messages read for leases, packed like an AppendBatch. */
export interface MessageRows {
  readonly seqs: readonly number[];
  readonly messageIds: readonly string[];
  readonly expiresAt: readonly number[];
  readonly targets: readonly (string | null)[];
  readonly ends: readonly number[];
  readonly data: ArrayBuffer;
}

/** One stored dead letter. */
export interface DeadLetterRow {
  readonly id: number;
  readonly grp: string;
  readonly message_id: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly reason: string;
  readonly attempts: number;
  readonly first_failed_at: number;
  readonly dead_lettered_at: number;
}

/** What a read returns, by op. */
export type ReadResult =
  | MessageRows
  | { readonly seqs: readonly number[]; readonly expiresAt: readonly number[] }
  | readonly DeadLetterRow[]
  | string
  | null
  | undefined;

/** A failed read or write, as the main thread sees it. */
export interface StorageFailure {
  readonly message: string;
  readonly code: string | undefined;
}

/** The worker's answer to a round. */
export interface RoundResult {
  readonly id: number;
  /** Null when the transaction committed; else why it did not (nothing of it was written). */
  readonly writeError: StorageFailure | null;
  /**
   * Set when the appends alone failed (e.g. the disk is full) and the
   * round's other writes were committed without them.
   */
  readonly appendError: StorageFailure | null;
  /** Per write op: its result (e.g. rows deleted), in order; -1 for one skipped with the appends. */
  readonly writeResults: readonly number[];
  /** Per read op: its result, or a failure. */
  readonly readResults: readonly (
    | { readonly ok: true; readonly value: ReadResult }
    | { readonly ok: false; readonly error: StorageFailure }
  )[];
  /** Time from BEGIN to the end of COMMIT, ms. */
  readonly commitMs: number;
  /** Whether the commit was fsync'd (synchronous=FULL). */
  readonly synced: boolean;
  /** Bytes of free pages inside the database file (reused before the file grows). */
  readonly freeBytes: number;
}
