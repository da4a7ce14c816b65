import { describe, expect, it } from "vitest";
import { createRemainingCount } from "../../../connector/cli/remaining.js";

/** One call on the count: a session opened with its reported backlog, or a message settled (true: finished). */
type Step = readonly ["opened", number | undefined] | readonly ["settled", boolean];

/** A new count after `steps`, in order. */
function countAfter(steps: readonly Step[]) {
  const count = createRemainingCount();
  for (const step of steps) {
    if (step[0] === "opened") count.opened(step[1]);
    else count.settled(step[1]);
  }
  return count;
}

/** Call sequences and the count they must leave. */
const remainingCases: { name: string; steps: Step[]; remaining: number }[] = [
  {
    name: "keeps a message nacked for retry in the backlog",
    steps: [
      ["opened", 2],
      ["settled", false],
    ],
    remaining: 2,
  },
  {
    name: "never goes below zero (messages that arrived after the count)",
    steps: [
      ["opened", 1],
      ["settled", true],
      ["settled", true],
    ],
    remaining: 0,
  },
  {
    name: "starts again from each new session's backlog",
    steps: [
      ["opened", 10],
      ["settled", true],
      ["opened", 4],
    ],
    remaining: 4,
  },
];

describe("remaining count of the drain summary", () => {
  it("is unknown until a session reports a backlog", () => {
    const count = createRemainingCount();
    expect(count.value()).toBeUndefined();
    count.opened(undefined);
    count.settled(true);
    expect(count.value()).toBeUndefined();
  });

  it("counts the reported backlog down by the messages finished", () => {
    const count = countAfter([["opened", 5]]);
    expect(count.value()).toBe(5);
    count.settled(true);
    count.settled(true);
    expect(count.value()).toBe(3);
  });

  for (const { name, steps, remaining } of remainingCases) {
    it(name, () => {
      expect(countAfter(steps).value()).toBe(remaining);
    });
  }
});
