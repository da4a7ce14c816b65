/**
 * What the chaos suite knows about every webhook: when the sender got an
 * answer (and which), which ids were accepted with a 200, and every time
 * the target answered 200 to a delivery of an id. Each webhook belongs to
 * the row (fault) that was current when it was sent; a row's numbers come
 * from its own webhooks once the channel is drained.
 */

/** One answer the sender got: an HTTP status, or `error` when none came (connection refused). */
export interface Answer {
  readonly at: number;
  readonly row: string;
  readonly status: number | "error";
  /** A 503 without `Retry-After` (a defect: the sender cannot know when to come back). */
  readonly bare503?: boolean;
}

/** An injected fault. */
export interface Fault {
  readonly row: string;
  /** When it was injected. */
  readonly at: number;
  /**
   * From when recovery is timed: the injection for a kill (the system must
   * recover with the process or node still gone), the end of the fault for
   * an outage of fixed length (nothing can recover before).
   */
  recoverFrom: number;
}

/** One line of the final table. */
export interface ChaosRow {
  readonly fault: string;
  readonly accepted: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly unavailable: number;
  readonly other: number;
  /**
   * Seconds until ingest answered 200 again and new webhooks reached the
   * target, the longest over the row's faults; undefined: never.
   */
  readonly recoverySeconds: number | undefined;
  readonly note: string;
}

/** The record of one scenario. */
export class Ledger {
  /** The row new webhooks belong to. */
  row = "";
  readonly answers: Answer[] = [];
  readonly faults: Fault[] = [];
  /** Accepted id → row and time of the 200. */
  readonly accepted = new Map<string, { row: string; at: number }>();
  /** Id → times the target answered 200 to it. */
  readonly deliveries = new Map<string, number[]>();
  private readonly notes = new Map<string, string>();

  /** Records the answer to one webhook; `retryAfter` is its `Retry-After` header, if any. */
  answer(status: number | "error", messageId?: string, retryAfter?: string): void {
    const at = Date.now();
    const bare503 = status === 503 && !/^\d+$/.test(retryAfter ?? "");
    this.answers.push({ at, row: this.row, status, ...(bare503 ? { bare503 } : {}) });
    if (status === 200 && messageId !== undefined) {
      this.accepted.set(messageId, { row: this.row, at });
    }
  }

  /** Records a delivery the target answered with 200. */
  delivered(messageId: string): void {
    const times = this.deliveries.get(messageId);
    if (times === undefined) this.deliveries.set(messageId, [Date.now()]);
    else times.push(Date.now());
  }

  /** Records a fault of the current row; set `recoverFrom` later for an outage of fixed length. */
  fault(): Fault {
    const fault: Fault = { row: this.row, at: Date.now(), recoverFrom: Date.now() };
    this.faults.push(fault);
    return fault;
  }

  /** Adds a remark to a row (shown in the table). */
  note(row: string, text: string): void {
    this.notes.set(row, text);
  }

  /** Accepted ids not delivered yet. */
  missing(): string[] {
    return [...this.accepted.keys()].filter((id) => !this.deliveries.has(id));
  }

  /** Resolves once every accepted webhook was delivered, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.missing().length === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return this.missing().length === 0;
  }

  /** Recovery of one fault (see Fault.recoverFrom), in seconds; undefined when it never recovered. */
  private recovery(fault: Fault, until: number): number | undefined {
    let lastFailure = fault.recoverFrom;
    for (const answer of this.answers) {
      if (answer.at >= fault.at && answer.at < until && answer.status !== 200) {
        lastFailure = Math.max(lastFailure, answer.at);
      }
    }
    let firstDelivery = Number.POSITIVE_INFINITY;
    for (const [id, { at }] of this.accepted) {
      if (at < lastFailure) continue;
      const first = this.deliveries.get(id)?.[0];
      if (first !== undefined) firstDelivery = Math.min(firstDelivery, first);
    }
    if (!Number.isFinite(firstDelivery)) return undefined;
    return (Math.max(lastFailure, firstDelivery) - fault.recoverFrom) / 1000;
  }

  /** Per fault: when failed answers came, as seconds after it, and its recovery (for the progress log). */
  failureWindows(): string[] {
    return this.faults.map((fault, index) => {
      const until = this.faults[index + 1]?.at ?? Number.POSITIVE_INFINITY;
      const offsets = this.answers
        .filter((a) => a.at >= fault.at && a.at < until && a.status !== 200)
        .map((a) => (a.at - fault.at) / 1000);
      const window =
        offsets.length === 0
          ? "no failed answers"
          : `${offsets.length} failed answers from +${Math.min(...offsets).toFixed(1)} s to +${Math.max(...offsets).toFixed(1)} s`;
      const recovery = this.recovery(fault, until);
      return `${fault.row}: ${window}, recovered ${recovery === undefined ? "never" : `in ${recovery.toFixed(1)} s`}`;
    });
  }

  /** The table rows of `rows`, in that order. */
  rows(rows: readonly string[]): ChaosRow[] {
    return rows.map((fault) => {
      let accepted = 0;
      let delivered = 0;
      let duplicated = 0;
      for (const [id, entry] of this.accepted) {
        if (entry.row !== fault) continue;
        accepted += 1;
        const times = this.deliveries.get(id);
        if (times !== undefined) {
          delivered += 1;
          duplicated += times.length - 1;
        }
      }
      const answers = this.answers.filter((answer) => answer.row === fault);
      const faults = this.faults.filter((f) => f.row === fault);
      const seconds = faults.map((f, index) =>
        this.recovery(f, faults[index + 1]?.at ?? Number.POSITIVE_INFINITY),
      );
      const recovered = seconds.filter((value): value is number => value !== undefined);
      const recoverySeconds =
        recovered.length < seconds.length || recovered.length === 0
          ? undefined
          : Math.max(...recovered);
      const sorted = [...recovered].sort((x, y) => x - y);
      const median = sorted[Math.floor(sorted.length / 2)];
      const notes = [this.notes.get(fault) ?? ""];
      const bare503 = answers.filter((answer) => answer.bare503 === true).length;
      if (bare503 > 0) notes.push(`failed: ${bare503} 503s without Retry-After`);
      if (faults.length > 1 && median !== undefined) {
        notes.push(`recovery median ${median.toFixed(1)} s over ${faults.length} faults`);
      }
      return {
        fault,
        accepted,
        delivered,
        lost: accepted - delivered,
        duplicated,
        unavailable: answers.filter((answer) => answer.status === 503).length,
        other: answers.filter((answer) => answer.status !== 200 && answer.status !== 503).length,
        recoverySeconds,
        note: notes.filter((text) => text !== "").join("; "),
      };
    });
  }
}
