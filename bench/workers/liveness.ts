/**
 * Liveness of idle connections for the memory scenario: each connection
 * records when the receiver last showed it is alive (a heartbeat frame, or
 * for long-poll a poll that came back), and `check` waits until every
 * open connection did so after the check began.
 */

/** How often `check` looks again. */
const CHECK_EVERY_MS = 100;

/** Last sign of life per connection index. */
export class Liveness {
  private readonly lastBeatAt = new Map<number, number>();

  /** Connection `index` heard from the receiver now. */
  beat(index: number): void {
    this.lastBeatAt.set(index, performance.now());
  }

  /** Forgets every connection. */
  clear(): void {
    this.lastBeatAt.clear();
  }

  /**
   * Waits until each connection in `indexes` heard from the receiver
   * after this call, at most `timeoutMs`; resolves with how many did.
   */
  async check(indexes: readonly number[], timeoutMs: number): Promise<number> {
    const since = performance.now();
    const alive = () => indexes.filter((index) => (this.lastBeatAt.get(index) ?? 0) > since).length;
    while (performance.now() - since < timeoutMs) {
      if (alive() === indexes.length) break;
      await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
    }
    return alive();
  }
}
