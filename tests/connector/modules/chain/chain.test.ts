import { readdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { deliverFrom, jsonMessage, never, type TestDeliverer, tempDir } from "../helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** An HTTP target whose status the test controls; counts requests. */
async function target(initial: number) {
  const state = { status: initial, hits: 0, delayMs: 0, failFirst: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      state.hits++;
      setTimeout(() => {
        res.statusCode = state.hits <= state.failFirst ? 503 : state.status;
        res.end();
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, state };
}

/** An http_webhook chain item posting to `to`; `item` adds item keys (retry), `moduleConfig` module-config keys. */
function httpItem(
  to: { url: string },
  item: Record<string, unknown> = {},
  moduleConfig: Record<string, unknown> = {},
) {
  return { module: "http_webhook", "module-config": { url: to.url, ...moduleConfig }, ...item };
}

/** Asserts that the chain reported an event with (at least) `fields`. */
function expectEvent(built: TestDeliverer, fields: Record<string, unknown>): void {
  expect(built.events).toContainEqual(expect.objectContaining(fields));
}

async function chain(
  items: unknown[],
  chainConfig: Record<string, unknown>,
): Promise<TestDeliverer> {
  const built = await deliverFrom({ hook: { chain: items, "chain-config": chainConfig } });
  cleanups.unshift(built.close);
  return built;
}

async function disk() {
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  return {
    item: {
      module: "save_to_disk",
      "module-config": { path: dir.path, filename_pattern: "{message_id}" },
    },
    files: async () => (await readdir(dir.path)).length,
  };
}

describe("chain", () => {
  it("sequential without continue_on_error stops at the failed item and asks for a retry", async () => {
    const first = await disk();
    const failing = await target(503);
    const last = await target(200);
    const built = await chain([first.item, httpItem(failing), httpItem(last)], {
      execution: "sequential",
      continue_on_error: false,
    });
    const outcome = await built.deliverer.deliver(jsonMessage({}), never);
    expect(outcome.kind).toBe("retry");
    expect(await first.files()).toBe(1);
    expect(failing.state.hits).toBe(1);
    expect(last.state.hits).toBe(0);
    expectEvent(built, {
      type: "chain_item_failed",
      item: 1,
      blocking: true,
      retryable: true,
    });
  });

  it("a permanent item failure without continue_on_error rejects", async () => {
    const failing = await target(400);
    const built = await chain([httpItem(failing), "log"], {
      continue_on_error: false,
    });
    expect((await built.deliverer.deliver(jsonMessage({}), never)).kind).toBe("reject");
    expect(built.output.text).toBe("");
  });

  it("a redelivered message skips items that already succeeded", async () => {
    const first = await target(200);
    const second = await target(503);
    const built = await chain([httpItem(first), httpItem(second)], { continue_on_error: false });
    const message = jsonMessage({ id: 1 });
    expect((await built.deliverer.deliver(message, never)).kind).toBe("retry");
    second.state.status = 200;
    expect(await built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(first.state.hits).toBe(1);
    expect(second.state.hits).toBe(2);
    expectEvent(built, {
      type: "chain_item_skipped",
      item: 0,
      messageId: message.messageId,
    });
    // A different message runs every item again.
    await built.deliverer.deliver(jsonMessage({ id: 2 }), never);
    expect(first.state.hits).toBe(2);
  });

  it("with continue_on_error a failed item is reported but does not block the ack", async () => {
    const failing = await target(500);
    const after = await disk();
    const built = await chain([httpItem(failing), after.item], {
      execution: "sequential",
      continue_on_error: true,
    });
    expect(await built.deliverer.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(await after.files()).toBe(1);
    expectEvent(built, { type: "chain_item_failed", item: 0, blocking: false });
  });

  it("continue_on_error defaults to true, as in the seed", async () => {
    const failing = await target(500);
    const built = await chain([httpItem(failing), "log"], {});
    expect(await built.deliverer.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(built.output.text).toContain("webhook");
  });

  it("parallel runs every item; one failure makes it retry without continue_on_error", async () => {
    const ok = await target(200);
    const failing = await target(503);
    const built = await chain([httpItem(failing), httpItem(ok)], {
      execution: "parallel",
      continue_on_error: false,
    });
    const message = jsonMessage({});
    expect((await built.deliverer.deliver(message, never)).kind).toBe("retry");
    expect(ok.state.hits).toBe(1);
    expect(failing.state.hits).toBe(1);
    failing.state.status = 200;
    expect(await built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(ok.state.hits).toBe(1);
    expect(failing.state.hits).toBe(2);
  });

  it("per-item retry retries a retryable failure locally", async () => {
    const flaky = await target(200);
    flaky.state.failFirst = 2;
    const built = await chain(
      [httpItem(flaky, { retry: { enabled: true, max_attempts: 3, initial_delay: 0.01 } })],
      { continue_on_error: false },
    );
    expect(await built.deliverer.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(flaky.state.hits).toBe(3);
    expect(built.events.some((e) => e.type === "chain_item_retry")).toBe(true);
  });

  it("per-item retry gives up after max_attempts", async () => {
    const failing = await target(503);
    const built = await chain(
      [httpItem(failing, { retry: { max_attempts: 2, initial_delay: 0 } })],
      { continue_on_error: false },
    );
    expect((await built.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    expect(failing.state.hits).toBe(2);
  });

  it("an item slower than the chain timeout fails as retryable", async () => {
    const slow = await target(200);
    slow.state.delayMs = 2_000;
    const built = await chain([httpItem(slow, {}, { timeout: 0.5 })], {
      continue_on_error: false,
      timeout: 0.2,
    });
    expect((await built.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });

  it("an aborted delivery returns retry", async () => {
    const slow = await target(200);
    slow.state.delayMs = 2_000;
    const built = await chain([httpItem(slow, {}, { timeout: 0.5 })], {
      continue_on_error: false,
    });
    const controller = new AbortController();
    const run = built.deliverer.deliver(jsonMessage({}), controller.signal);
    await expect.poll(() => slow.state.hits).toBe(1);
    controller.abort();
    expect((await run).kind).toBe("retry");
  });

  it("reports config errors inside chain items with their index", async () => {
    const error = await deliverFrom({ hook: { chain: ["log", { module: "nope" }] } }).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toContain("hook.chain[1].module");
  });

  it("rejects bad chain-config values", async () => {
    const error = await deliverFrom({
      hook: { chain: ["log"], "chain-config": { execution: "random" } },
    }).catch((e: unknown) => e);
    expect(String(error)).toContain("hook.chain-config.execution");
  });
});
