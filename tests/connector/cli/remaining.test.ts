import { describe, expect, it } from "vitest";
import { createRemainingCount } from "../../../connector/cli/remaining.js";

describe("remaining count of the drain summary", () => {
  it("is unknown until a session reports a backlog", () => {
    const count = createRemainingCount();
    expect(count.value()).toBeUndefined();
    count.opened(undefined);
    count.settled(true);
    expect(count.value()).toBeUndefined();
  });

  it("counts the reported backlog down by the messages finished", () => {
    const count = createRemainingCount();
    count.opened(5);
    expect(count.value()).toBe(5);
    count.settled(true);
    count.settled(true);
    expect(count.value()).toBe(3);
  });

  it("keeps a message nacked for retry in the backlog", () => {
    const count = createRemainingCount();
    count.opened(2);
    count.settled(false);
    expect(count.value()).toBe(2);
  });

  it("never goes below zero (messages that arrived after the count)", () => {
    const count = createRemainingCount();
    count.opened(1);
    count.settled(true);
    count.settled(true);
    expect(count.value()).toBe(0);
  });

  it("starts again from each new session's backlog", () => {
    const count = createRemainingCount();
    count.opened(10);
    count.settled(true);
    count.opened(4);
    expect(count.value()).toBe(4);
  });
});
