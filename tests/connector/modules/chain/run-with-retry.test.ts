/** runWithRetry and failureOutcome in memory: the retry-after delay of a ModuleDeliveryError. */
import { describe, expect, it } from "vitest";
import { runWithRetry } from "../../../../connector/modules/chain/retry.js";
import { chainRetrySchema } from "../../../../connector/modules/config/webhooks-schema.js";
import { failureOutcome } from "../../../../connector/modules/outcome.js";
import { ModuleDeliveryError } from "../../../../connector/modules/output-module.js";
import { never } from "../helpers.js";

/** An attempt failing with `failures` in turn, then succeeding; counts its calls. */
function attempts(...failures: ModuleDeliveryError[]) {
  const state = { calls: 0 };
  const attempt = async () => {
    const failure = failures[state.calls++];
    if (failure !== undefined) throw failure;
  };
  return { attempt, state };
}

const busy = (retryAfterMs?: number) =>
  new ModuleDeliveryError("busy", { retryable: true, retryAfterMs });

function run(attempt: () => Promise<void>, retry: Record<string, unknown>, delays: number[]) {
  return runWithRetry(attempt, {
    retry: chainRetrySchema.parse(retry),
    timeoutMs: 5_000,
    signal: never,
    what: "item",
    onRetry: (_n, delayMs) => delays.push(delayMs),
    random: () => 0,
  });
}

describe("runWithRetry", () => {
  it("waits by the jittered backoff policy (injected random: the low end)", async () => {
    const { attempt, state } = attempts(busy(), busy());
    const delays: number[] = [];
    await run(attempt, { max_attempts: 3, initial_delay: 0.05 }, delays);
    expect(delays).toEqual([40, 80]);
    expect(state.calls).toBe(3);
  });

  it("waits for the delay the failure asked for instead", async () => {
    const { attempt, state } = attempts(busy(30));
    const delays: number[] = [];
    await run(attempt, { max_attempts: 2, initial_delay: 5 }, delays);
    expect(delays).toEqual([30]);
    expect(state.calls).toBe(2);
  });

  it("gives up at once when the asked delay exceeds max_delay, keeping it", async () => {
    const { attempt, state } = attempts(busy(120_000));
    const error = await run(attempt, { max_attempts: 5, max_delay: 10 }, []).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModuleDeliveryError);
    expect((error as ModuleDeliveryError).retryAfterMs).toBe(120_000);
    expect(state.calls).toBe(1);
  });
});

describe("failureOutcome", () => {
  it("turns a retryable failure's retry-after into the nack delay", () => {
    expect(failureOutcome(busy(7_000))).toEqual({ kind: "retry", reason: "busy", delayMs: 7_000 });
    expect(failureOutcome(busy())).toEqual({ kind: "retry", reason: "busy" });
  });

  it("ignores a retry-after on a permanent failure", () => {
    const gone = new ModuleDeliveryError("gone", { retryable: false, retryAfterMs: 7_000 });
    expect(gone.retryAfterMs).toBeUndefined();
    expect(failureOutcome(gone)).toEqual({ kind: "reject", reason: "gone" });
  });
});
