/**
 * examples/webhooks.json as a new user runs it: its Stripe webhook uses
 * the `stripe` preset, so a request signed the way Stripe signs passes and
 * a forged one does not.
 */
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { freePort, tempDir } from "../helpers/processes.js";
import { runReceiver } from "../helpers/receiver-process.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/webhooks.json", import.meta.url));

describe("examples/webhooks.json", () => {
  it("accepts a real Stripe signature on stripe_relay and refuses a forged one", async () => {
    const secret = "whsec_example_test_secret";
    const port = await freePort();
    const receiver = runReceiver(
      { config: EXAMPLE, port, buffer: `sqlite:${join(tempDir("wc-example-"), "buffer.db")}` },
      { STRIPE_WEBHOOK_SECRET: secret },
    );
    try {
      await receiver.waitForOutput(/receiver listening/);
      const body = '{"id":"evt_1","type":"invoice.paid"}';
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
      const send = async (header: string) => {
        const response = await request(`http://127.0.0.1:${port}/webhook/stripe_relay`, {
          method: "POST",
          headers: { "content-type": "application/json", "stripe-signature": header },
          body,
        });
        await response.body.text();
        return response.statusCode;
      };
      expect(await send(`t=${timestamp},v1=${signature}`)).toBe(200);
      expect(await send(`t=${timestamp},v1=${"0".repeat(64)}`)).toBe(401);
    } finally {
      await receiver.stop("SIGKILL");
    }
  }, 30_000);
});
