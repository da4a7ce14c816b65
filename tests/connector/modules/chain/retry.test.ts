/**
 * How long chain items wait between local retries: the connector's
 * backoff policy (jittered, capped at `max_delay`), or the delay the
 * destination asked for with Retry-After, as in HTTP mode.
 */
import { describe, expect, it } from "vitest";
import type { ChainItemRetryEvent } from "../../../../connector/modules/index.js";
import { answer, closeAfterEach, closeLater, server } from "../closed-after-each.js";
import { deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

closeAfterEach();

async function chain(
  items: unknown[],
  chainConfig: Record<string, unknown>,
  random?: () => number,
): Promise<TestDeliverer> {
  const built = await deliverFrom(
    { hook: { chain: items, "chain-config": chainConfig } },
    undefined,
    {},
    random,
  );
  closeLater(built.close);
  return built;
}

const retryDelays = (built: TestDeliverer) =>
  built.events
    .filter((e): e is ChainItemRetryEvent => e.type === "chain_item_retry")
    .map((e) => e.delayMs);

describe("chain item retries", () => {
  it("wait by the jittered backoff: the injected random's end of the ±20 % spread", async () => {
    const failing = await server(answer(503));
    const item = {
      module: "http_webhook",
      "module-config": { url: `${failing.url}/in` },
      retry: { max_attempts: 3, initial_delay: 0.05, backoff_multiplier: 2 },
    };
    const low = await chain([item], { continue_on_error: false }, () => 0);
    expect((await low.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    expect(retryDelays(low)).toEqual([40, 80]);
    const high = await chain([item], { continue_on_error: false }, () => 0.999_999);
    await high.deliverer.deliver(jsonMessage({}), never);
    expect(retryDelays(high)).toEqual([60, 120]);
  });

  it("stay within the spread and under max_delay with Math.random", async () => {
    const failing = await server(answer(500));
    const built = await chain(
      [
        {
          module: "http_webhook",
          "module-config": { url: `${failing.url}/in` },
          retry: { max_attempts: 4, initial_delay: 0.04, backoff_multiplier: 2, max_delay: 0.1 },
        },
      ],
      { continue_on_error: false },
    );
    await built.deliverer.deliver(jsonMessage({}), never);
    const [first, second, third] = retryDelays(built);
    expect(first).toBeGreaterThanOrEqual(32);
    expect(first).toBeLessThanOrEqual(48);
    expect(second).toBeGreaterThanOrEqual(64);
    expect(second).toBeLessThanOrEqual(96);
    // Nominal 160 ms, capped at max_delay: 80–100 ms.
    expect(third).toBeGreaterThanOrEqual(80);
    expect(third).toBeLessThanOrEqual(100);
  });

  it("wait for a Retry-After instead of the backoff", async () => {
    const times: number[] = [];
    const flaky = await server((_req, res, index) => {
      times.push(performance.now());
      if (index === 0) res.writeHead(503, { "Retry-After": "1" }).end();
      else res.writeHead(200).end();
    });
    const built = await chain(
      [
        {
          module: "http_webhook",
          "module-config": { url: `${flaky.url}/in` },
          retry: { max_attempts: 2, initial_delay: 0 },
        },
      ],
      { continue_on_error: false },
    );
    expect(await built.deliverer.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(retryDelays(built)).toEqual([1_000]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
  });

  it("end when Retry-After exceeds max_delay, passing it on as the nack delay", async () => {
    const busy = await server(answer(503, { "Retry-After": "120" }));
    const built = await chain(
      [
        {
          module: "http_webhook",
          "module-config": { url: `${busy.url}/in` },
          retry: { max_attempts: 5, initial_delay: 0, max_delay: 10 },
        },
      ],
      { continue_on_error: false },
    );
    expect(await built.deliverer.deliver(jsonMessage({}), never)).toMatchObject({
      kind: "retry",
      delayMs: 120_000,
    });
    expect(busy.requests).toHaveLength(1);
  });

  it("a parallel chain asks for the longest delay any failed item asked for", async () => {
    const soon = await server(answer(503, { "Retry-After": "5" }));
    const later = await server(answer(429, { "Retry-After": "60" }));
    const built = await chain(
      [
        { module: "http_webhook", "module-config": { url: `${soon.url}/in` } },
        { module: "http_webhook", "module-config": { url: `${later.url}/in` } },
      ],
      { execution: "parallel", continue_on_error: false },
    );
    expect(await built.deliverer.deliver(jsonMessage({}), never)).toMatchObject({
      kind: "retry",
      delayMs: 60_000,
    });
  });
});
