/**
 * A session's credit: the deliveries its client has not settled yet
 * (each with its lease expiry), the credit the stream pump asked for in
 * fetches still out, and one waiter woken when either changes.
 */
export class CreditWindow {
  /** Unsettled deliveries: message id → lease expiry (ms since epoch). */
  readonly inFlight = new Map<string, number>();
  /** Credit asked for by fetches still out. */
  reserved = 0;
  private waiter: (() => void) | undefined;

  /** @param max the session's in-flight limit */
  constructor(readonly max: number) {}

  /**
   * Credit left. A delivery counts against the credit until the client
   * settles it, even after its lease expired and the buffer handed it to
   * another connection: a connection that stops acknowledging stops
   * receiving, and its messages flow to healthy connections.
   */
  free(): number {
    return this.max - this.inFlight.size;
  }

  /** Credit not yet asked for by a fetch. */
  available(): number {
    return this.free() - this.reserved;
  }

  /** Records a delivery as in flight until `leaseExpiresAt`. */
  add(messageId: string, leaseExpiresAt: number): void {
    this.inFlight.set(messageId, leaseExpiresAt);
  }

  /** The client is done with a delivery: its credit is free again. */
  remove(messageId: string): void {
    this.inFlight.delete(messageId);
    this.wake();
  }

  /** Wakes the waiter of `changed` (credit freed, a fetch back, the session closed). */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Resolves at the next `wake()`, or after `ms` when given. */
  changed(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (ms === undefined) {
        this.waiter = resolve;
        return;
      }
      const timer = setTimeout(resolve, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
