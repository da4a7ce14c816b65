/**
 * Group commit per event-loop turn: every item pushed while the loop
 * handles one round of I/O is handed over together in `setImmediate`, so
 * the batch is as large as what arrived at once and never waits on a
 * timer (PERF-NOTES: a 2 ms timer batch capped itself at the number of
 * open connections).
 */

/** Returns `push`; items pushed in one turn reach `flush` together, in order. */
export function createLoopTurnBatcher<T>(flush: (items: T[]) => void): (item: T) => void {
  let items: T[] = [];
  let scheduled = false;
  const run = () => {
    scheduled = false;
    const batch = items;
    items = [];
    flush(batch);
  };
  return (item) => {
    items.push(item);
    if (!scheduled) {
      scheduled = true;
      setImmediate(run);
    }
  };
}
