import type { ServerResponse } from "node:http";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import type { TargetConfig } from "../../../connector/config/schema.js";
import type { HttpTargetDelivererOptions } from "../../../connector/delivery/http-target.js";
import { createHttpTargetDeliverer } from "../../../connector/delivery/http-target.js";
import {
  answer,
  closeAfterEach,
  never,
  setup,
  target,
  track,
} from "../helpers/http-target-fixture.js";
import { makeMessage } from "../helpers/messages.js";
import { setupDelivererAgainst } from "./deliverer-against.js";

closeAfterEach();

/** setup() with a target that notes when (by `clock`) each request arrives before `respond` answers it. */
async function setupTimed(
  respond: (res: ServerResponse, index: number) => void,
  overrides: Partial<TargetConfig>,
  options: Omit<HttpTargetDelivererOptions, "defaultTarget"> = {},
  clock: () => number = () => performance.now(),
) {
  const times: number[] = [];
  const { deliverer } = await setup(
    (_req, res, index) => {
      times.push(clock());
      respond(res, index);
    },
    overrides,
    options,
  );
  return { deliverer, times };
}

describe("HTTP target decision table", () => {
  it.each([200, 201, 204, 299])("acks a %i after one attempt", async (status) => {
    const { server, deliverer } = await setup(answer(status));
    expect(await deliverer.deliver(makeMessage(), never)).toEqual({
      kind: "ack",
      status,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it.each([408, 429, 500, 502, 503])(
    "retries a %i locally up to retry_max_attempts, then returns retry",
    async (status) => {
      const { server, deliverer } = await setup(answer(status), { retry_max_attempts: 3 });
      const outcome = await deliverer.deliver(makeMessage(), never);
      expect(outcome).toEqual({
        kind: "retry",
        reason: `target answered HTTP ${status}`,
        status,
        attempts: 3,
      });
      expect(server.requests).toHaveLength(3);
    },
  );

  it.each([400, 401, 403, 404, 410, 422])("rejects a %i after one attempt", async (status) => {
    const { server, deliverer } = await setup(answer(status));
    expect(await deliverer.deliver(makeMessage(), never)).toEqual({
      kind: "reject",
      reason: `target answered HTTP ${status}`,
      status,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it("acks when a retry succeeds", async () => {
    const { server, deliverer } = await setup((_req, res, index) => {
      res.writeHead(index < 2 ? 503 : 200).end();
    });
    expect(await deliverer.deliver(makeMessage(), never)).toEqual({
      kind: "ack",
      status: 200,
      attempts: 3,
    });
    expect(server.requests).toHaveLength(3);
  });

  it("makes exactly one attempt when retry_enabled is false", async () => {
    const { server, deliverer } = await setup(answer(500), {
      retry_enabled: false,
      retry_max_attempts: 5,
    });
    expect(await deliverer.deliver(makeMessage(), never)).toMatchObject({ kind: "retry" });
    expect(server.requests).toHaveLength(1);
  });

  it("returns retry on a timeout, per attempt", async () => {
    const { server, deliverer } = await setup(
      (_req, res, index) => {
        // The first attempt never answers in time; the second answers at once.
        if (index === 0) setTimeout(() => res.writeHead(200).end(), 2_000);
        else res.writeHead(200).end();
      },
      { timeout_seconds: 0.2, retry_max_attempts: 1 },
    );
    const started = performance.now();
    const outcome = await deliverer.deliver(makeMessage(), never);
    expect(outcome).toEqual({
      kind: "retry",
      reason: "target timed out after 0.2 s",
      attempts: 1,
    });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(server.requests).toHaveLength(1);
  });

  it("returns retry on a network error after the configured attempts", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as import("node:net").AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const deliverer = createHttpTargetDeliverer({
      defaultTarget: target(`http://127.0.0.1:${port}/`, { retry_max_attempts: 2 }),
    });
    track(() => deliverer.close());
    const outcome = await deliverer.deliver(makeMessage(), never);
    expect(outcome.kind).toBe("retry");
    expect(outcome.kind === "retry" && outcome.reason).toMatch(
      /^target unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    );
  });

  it("waits retry_delay_seconds × retry_backoff_multiplier between attempts", async () => {
    const { deliverer, times } = await setupTimed(
      (res) => res.writeHead(500).end(),
      { retry_delay_seconds: 0.1, retry_backoff_multiplier: 3, retry_max_attempts: 3 },
      // random() = 0.5 puts the jitter at the middle: the nominal delays exactly.
      { random: () => 0.5 },
    );
    await deliverer.deliver(makeMessage(), never);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(95);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(295);
  });

  it("spreads the waits between attempts by the backoff's jitter", async () => {
    const { deliverer, times } = await setupTimed(
      (res) => res.writeHead(500).end(),
      { retry_delay_seconds: 0.2, retry_max_attempts: 2 },
      // The top of the ±20 % spread: 240 ms, well past the nominal 200 ms.
      { random: () => 0.999 },
    );
    await deliverer.deliver(makeMessage(), never);
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(235);
  });

  it("caps the wait between attempts at maxLocalRetryWaitMs", async () => {
    const { server, deliverer } = await setupDelivererAgainst(answer(500), (url) => ({
      // Uncapped, the wait would be a minute and the test would time out.
      defaultTarget: target(url, { retry_delay_seconds: 60, retry_max_attempts: 2 }),
      maxLocalRetryWaitMs: 200,
      random: () => 0.5,
    }));
    expect(await deliverer.deliver(makeMessage(), never)).toMatchObject({
      kind: "retry",
      attempts: 2,
    });
    expect(server.requests).toHaveLength(2);
  });

  for (const { name, status, retryAfter, clock } of [
    {
      name: "honours Retry-After in seconds between local attempts",
      status: 429,
      retryAfter: () => "1",
      clock: () => performance.now(),
    },
    {
      name: "honours Retry-After as an HTTP-date",
      status: 503,
      // Two seconds ahead at one-second resolution: at least one second away.
      retryAfter: () => new Date(Date.now() + 2_000).toUTCString(),
      clock: () => Date.now(),
    },
  ]) {
    it(name, async () => {
      const { deliverer, times } = await setupTimed(
        (res, index) => {
          if (index === 0) res.writeHead(status, { "Retry-After": retryAfter() }).end();
          else res.writeHead(200).end();
        },
        { retry_delay_seconds: 0 },
        {},
        clock,
      );
      expect(await deliverer.deliver(makeMessage(), never)).toEqual({
        kind: "ack",
        status: 200,
        attempts: 2,
      });
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
    });
  }

  it("passes the last Retry-After as the nack delay when attempts run out", async () => {
    const { deliverer } = await setup(answer(503, { "Retry-After": "120" }), {
      retry_max_attempts: 1,
    });
    expect(await deliverer.deliver(makeMessage(), never)).toEqual({
      kind: "retry",
      reason: "target answered HTTP 503",
      status: 503,
      attempts: 1,
      delayMs: 120_000,
    });
  });

  it("stops local retries when Retry-After exceeds the local wait limit", async () => {
    const { server, deliverer } = await setupDelivererAgainst(
      answer(429, { "Retry-After": "3600" }),
      (url) => ({
        defaultTarget: target(url, { retry_max_attempts: 5 }),
        maxLocalRetryWaitMs: 1_000,
      }),
    );
    expect(await deliverer.deliver(makeMessage(), never)).toMatchObject({
      kind: "retry",
      delayMs: 3_600_000,
    });
    expect(server.requests).toHaveLength(1);
  });

  it("aborting one delivery's signal gives up only that delivery's request", async () => {
    const held: (() => void)[] = [];
    const { server, deliverer } = await setup((_req, res) => {
      held.push(() => res.writeHead(200).end());
    });
    const first = new AbortController();
    const aborted = deliverer.deliver(makeMessage(), first.signal);
    const other = deliverer.deliver(makeMessage(), new AbortController().signal);
    await server.waitForRequests(2);
    first.abort();
    expect(await aborted).toEqual({ kind: "retry", reason: "connector shutting down" });
    for (const release of held) release();
    expect(await other).toEqual({ kind: "ack", status: 200, attempts: 1 });
  });

  it("returns retry at once when aborted during a retry wait", async () => {
    const { server, deliverer } = await setup(answer(500), {
      retry_delay_seconds: 60,
      retry_max_attempts: 3,
    });
    const controller = new AbortController();
    const pending = deliverer.deliver(makeMessage(), controller.signal);
    await server.waitForRequests(1);
    controller.abort();
    expect(await pending).toEqual({ kind: "retry", reason: "connector shutting down" });
  });
});
