/**
 * Upkeep of the embedded buffer: TTL expiry by sequence range (the log is
 * in ingest order, so what expired is a prefix of what is left, read in
 * pages of the log without any expiry index), and the disk guard that
 * refuses new messages before the disk is full, so leases, acks and reads
 * keep working while ingest answers 503.
 */
import { statfsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { BufferUnavailableError } from "../../errors.js";
import type { LogChannel } from "./log-channel.js";
import { expireThrough, type LogContext, returnExpiredLeases } from "./log-context.js";

/** Rows read per expiry page; a sweep reads at most EXPIRY_PAGES pages. */
const EXPIRY_PAGE = 1_000;
const EXPIRY_PAGES = 20;

const sweeping = new WeakMap<LogChannel, Promise<void>>();

/**
 * Drops the expired prefix of the channel's log for every group and
 * returns run-out leases, so the numbers that follow are exact. One sweep
 * per channel at a time; callers arriving meanwhile share it.
 */
export function settleChannel(ctx: LogContext, channel: LogChannel): Promise<void> {
  for (const group of channel.groups.values()) returnExpiredLeases(ctx, channel, group);
  const running = sweeping.get(channel);
  if (running !== undefined) return running;
  if (ctx.now() < channel.expiryBound) return Promise.resolve();
  const sweep = sweepExpired(ctx, channel).finally(() => sweeping.delete(channel));
  sweeping.set(channel, sweep);
  return sweep;
}

async function sweepExpired(ctx: LogContext, channel: LogChannel): Promise<void> {
  const expiredBefore = channel.expired;
  await sweepPages(ctx, channel);
  // What expired is on disk (counters, group cursors) before the sweep is done.
  if (channel.expired !== expiredBefore) await ctx.storage.barrier();
}

async function sweepPages(ctx: LogContext, channel: LogChannel): Promise<void> {
  for (let page = 0; page < EXPIRY_PAGES; page++) {
    const after = channel.minFloor();
    const rows = await ctx.storage.read<{ seqs: number[]; expiresAt: number[] }>({
      op: "expiryScan",
      channelId: channel.id,
      after,
      limit: EXPIRY_PAGE,
    });
    const now = ctx.now();
    // The floor may have moved while reading: start from where it is now.
    const from = Math.max(after, channel.minFloor());
    let through = from;
    let next = Number.POSITIVE_INFINITY;
    for (let index = 0; index < rows.seqs.length; index++) {
      const seq = rows.seqs[index]!;
      const expiresAt = rows.expiresAt[index]!;
      if (expiresAt > now) {
        next = expiresAt;
        break;
      }
      if (seq > through) through = seq;
    }
    if (through > from) {
      expireThrough(channel, from, through);
      ctx.notifier.notify(channel.settings.name);
    }
    const wholePage = rows.seqs.length === EXPIRY_PAGE && next === Number.POSITIVE_INFINITY;
    if (!wholePage) {
      // Nothing in the prefix expires before `next`; appends lower the bound.
      channel.expiryBound = Math.min(next, pendingExpiry(channel));
      return;
    }
  }
}

function pendingExpiry(channel: LogChannel): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const entry of channel.queue) lowest = Math.min(lowest, entry.expiresAt);
  return lowest;
}

/** Limits that keep the disk from filling up. */
export interface DiskLimits {
  /** Most bytes the database file and its WAL may take; undefined: no budget. */
  readonly maxBufferBytes: number | undefined;
  /** Free bytes to leave on the file system for leases, acks and dead letters. */
  readonly minFreeBytes: number;
}

/** How often the file sizes and free space are looked at while far from the limits. */
const GUARD_INTERVAL_MS = 500;

/**
 * Refuses new messages when the buffer's files exceed their budget, the
 * space left for them (free space on the file system plus free pages
 * inside the file, less what the next checkpoint may add to the file)
 * falls below the reserve, or the last appends failed to
 * be written (until a later check passes). Near a limit it looks at every
 * publish, so a burst cannot run past the reserve between two checks.
 */
export class DiskGuard {
  private nextCheckAt = 0;
  /** Bytes that may be accepted before the next look, whatever the time. */
  private allowance = 0;
  /** Bytes accepted and not yet written (or failed): not in any measurement yet. */
  private unwritten = 0;
  private refusal: BufferUnavailableError | undefined;
  private readonly directory: string | undefined;
  /** Free pages inside the database file, as the storage worker last reported. */
  private fileFreeBytes = 0;

  constructor(
    private readonly path: string,
    private readonly limits: DiskLimits,
  ) {
    this.directory = path === ":memory:" || path === "" ? undefined : dirname(resolve(path));
  }

  /**
   * Why a new message of `bytes` is refused now, if it is. The files are
   * looked at again after the interval, or sooner once the messages
   * accepted since the last look could have used a third of the room that
   * was left (each is written to the WAL, then copied into the file).
   */
  check(now: number, bytes: number): BufferUnavailableError | undefined {
    this.allowance -= bytes;
    if (now >= this.nextCheckAt || this.allowance <= 0) {
      const { refusal, near, room } = this.measure();
      this.refusal = refusal;
      this.allowance = room / 3 - this.unwritten;
      this.nextCheckAt = near ? now : now + GUARD_INTERVAL_MS;
      if (refusal === undefined && this.allowance <= 0) {
        this.refusal = new BufferUnavailableError(
          "the disk of the SQLite buffer is nearly full (waiting for accepted messages to be written)",
        );
        // Look again as soon as something was written.
        this.nextCheckAt = now;
      }
    }
    if (this.refusal === undefined) this.unwritten += bytes;
    return this.refusal;
  }

  /** Bytes accepted by `check` were written (or failed to be). */
  written(bytes: number): void {
    this.unwritten = Math.max(0, this.unwritten - bytes);
  }

  /** The storage worker reported the free pages inside the file. */
  fileFree(bytes: number): void {
    this.fileFreeBytes = bytes;
  }

  /** Appends failed to be written: refuse until the next check passes. */
  appendFailed(now: number, error: BufferUnavailableError): void {
    this.refusal = error;
    this.nextCheckAt = now + GUARD_INTERVAL_MS;
  }

  private measure(): {
    refusal: BufferUnavailableError | undefined;
    near: boolean;
    /** Bytes left before a limit. */
    room: number;
  } {
    if (this.directory === undefined) {
      return { refusal: undefined, near: false, room: Number.POSITIVE_INFINITY };
    }
    const { maxBufferBytes, minFreeBytes } = this.limits;
    let near = false;
    let room = Number.POSITIVE_INFINITY;
    try {
      if (maxBufferBytes !== undefined) {
        const used = fileSize(this.path) + fileSize(`${this.path}-wal`) - this.fileFreeBytes;
        if (used >= maxBufferBytes) {
          return {
            refusal: new BufferUnavailableError(
              `SQLite buffer is at its size limit (${used} bytes of max_buffer_bytes ${maxBufferBytes})`,
            ),
            near: true,
            room: 0,
          };
        }
        near = used >= maxBufferBytes * 0.75;
        room = maxBufferBytes - used;
      }
      const stats = statfsSync(this.directory);
      // The next checkpoint may copy the whole WAL into the file, growing it by as much.
      const free = stats.bavail * stats.bsize + this.fileFreeBytes - fileSize(`${this.path}-wal`);
      if (free < minFreeBytes) {
        return {
          refusal: new BufferUnavailableError(
            `the disk of the SQLite buffer is nearly full (${free} bytes left, min_free_bytes ${minFreeBytes})`,
          ),
          near: true,
          room: 0,
        };
      }
      near ||= free < minFreeBytes * 4;
      room = Math.min(room, free - minFreeBytes);
    } catch (error) {
      return {
        refusal: new BufferUnavailableError(
          `cannot check the disk of the SQLite buffer: ${(error as Error).message}`,
          error,
        ),
        near: false,
        room: 0,
      };
    }
    return { refusal: undefined, near, room };
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
