import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BUSY_MESSAGES_PER_SECOND,
  QUIET_SECONDS,
  trackLoad,
} from "../../../receiver/startup/index.js";

/** Counts `n` messages within the current second. */
function move(tracker: ReturnType<typeof trackLoad>, n: number): void {
  for (let i = 0; i < n; i++) tracker.count();
}

describe("the heap is held or released by the message rate", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("releases it in a busy second and holds it again after the quiet seconds", () => {
    vi.useFakeTimers();
    const applied: boolean[] = [];
    const tracker = trackLoad((grow) => applied.push(grow));
    move(tracker, BUSY_MESSAGES_PER_SECOND - 1);
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual([]);
    move(tracker, BUSY_MESSAGES_PER_SECOND);
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual([true]);
    // Busy again: no second release.
    move(tracker, BUSY_MESSAGES_PER_SECOND * 3);
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual([true]);
    vi.advanceTimersByTime((QUIET_SECONDS - 1) * 1000);
    expect(applied).toEqual([true]);
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual([true, false]);
    tracker.stop();
    expect(applied).toEqual([true, false]);
  });

  it("counts a moderate rate as neither busy nor quiet", () => {
    vi.useFakeTimers();
    const applied: boolean[] = [];
    const tracker = trackLoad((grow) => applied.push(grow));
    move(tracker, BUSY_MESSAGES_PER_SECOND);
    vi.advanceTimersByTime(1000);
    for (let second = 0; second < QUIET_SECONDS * 2; second++) {
      move(tracker, BUSY_MESSAGES_PER_SECOND / 2);
      vi.advanceTimersByTime(1000);
    }
    expect(applied).toEqual([true]);
    tracker.stop();
    expect(applied).toEqual([true, false]);
  });
});
