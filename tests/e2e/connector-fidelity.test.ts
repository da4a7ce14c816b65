/**
 * What the target sees of the original request, through a real receiver
 * (embedded buffer) and a real connector (SPEC §8): the query string
 * appended to the target URL, the sender's address and scheme in
 * X-Forwarded-*, the buffer's attempt and the connector's local retries
 * counted apart.
 */
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { headerOf, relayPerTest } from "./harness.js";

describe("connector fidelity e2e", () => {
  const startRelay = relayPerTest();

  it("forwards the query string and the sender's address and scheme", async () => {
    const { relay, target } = await startRelay();
    await relay.startReceiver();
    relay.startConnector(`${target.url}/webhooks?env=dev`);
    const response = await request(`${relay.url}/webhook/json_hook?x=1&y=%20z`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "198.51.100.7" },
      body: '{"q":1}',
    });
    await response.body.text();
    expect(response.statusCode).toBe(200);
    await target.waitForRequests(1);
    const got = target.requests[0]!;
    expect(got.url).toBe("/webhooks?env=dev&x=1&y=%20z");
    // The receiver trusts no proxy here, so the sender's own X-Forwarded-For is not its address.
    expect(headerOf(got.rawHeaders, "x-forwarded-for")).toBe("127.0.0.1");
    expect(headerOf(got.rawHeaders, "x-forwarded-proto")).toBe("http");
  }, 30_000);

  it("keeps X-Webhook-Attempt at the buffer's attempt across local retries", async () => {
    const { relay, target } = await startRelay();
    let calls = 0;
    target.reply(() => ({ status: ++calls <= 3 ? 500 : 200 }));
    await relay.startReceiver();
    relay.startConnector(target.url, {
      target: { retry_max_attempts: 3, retry_delay_seconds: 0 },
    });
    await expect(relay.send("json_hook", '{"n":1}')).resolves.toMatchObject({ status: 200 });
    // Three local attempts fail (buffer attempt 1), the redelivery succeeds (attempt 2).
    await target.waitForRequests(4, 20_000);
    const seen = target.requests.map((r) => [
      headerOf(r.rawHeaders, "x-webhook-attempt"),
      headerOf(r.rawHeaders, "x-webhook-local-retry"),
    ]);
    expect(seen).toEqual([
      ["1", "0"],
      ["1", "1"],
      ["1", "2"],
      ["2", "0"],
    ]);
  }, 30_000);
});
