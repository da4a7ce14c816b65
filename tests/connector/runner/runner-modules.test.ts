/**
 * The runner with a module-mode deliverer: a delay asked for by an output
 * module's destination (an `http_webhook` target's Retry-After) reaches
 * the receiver as the nack's delay, as it does in HTTP mode.
 */
import { afterEach, expect, it } from "vitest";
import { makeMessage } from "../helpers/messages.js";
import { deliverFrom, type TestDeliverer } from "../modules/helpers.js";
import { type Harness, startHarness } from "./runner-harness.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it("nacks with the Retry-After an http_webhook target answered", async () => {
  let built: TestDeliverer | undefined;
  const h: Harness = await startHarness({
    target: (_req, res) => {
      res.writeHead(503, { "Retry-After": "7" }).end();
    },
    deliverer: async (targetUrl) => {
      built = await deliverFrom({
        stripe: { module: "http_webhook", "module-config": { url: `${targetUrl}/in` } },
      });
      return built.deliverer;
    },
  });
  // Reversed on clean-up: the runner stops before the deliverer's files go.
  cleanups.push(
    () => built?.close() ?? Promise.resolve(),
    () => h.stop(),
  );
  const session = await h.relay.session(1);
  session.sendMessage(makeMessage({ id: "busy-1", webhookId: "stripe" }));
  await session.until(() => session.nacks.length === 1);
  expect(session.nacks[0]).toMatchObject({
    messageId: "busy-1",
    retry: true,
    delay: { seconds: 7n, nanos: 0 },
  });
});
