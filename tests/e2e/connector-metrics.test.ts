/**
 * The connector's Prometheus metrics (`--metrics-port`), scraped after
 * real traffic through a receiver: deliveries by target and outcome,
 * redeliveries, latency and the transport in use.
 */
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { freePort } from "../helpers/processes.js";
import { relayPerTest } from "./harness.js";

function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("connector metrics", () => {
  const startRelay = relayPerTest();

  it("counts deliveries by outcome, redeliveries and the transport in use", async () => {
    const { relay, target } = await startRelay();
    let failedOnce = false;
    target.reply((req) => {
      if (req.body.toString().includes("flaky") && !failedOnce) {
        failedOnce = true;
        return { status: 503 };
      }
      return { status: 200 };
    });
    await relay.startReceiver();
    const port = await freePort();
    const connector = relay.startConnector(target.url, {
      target: { retry_enabled: false },
      args: ["--metrics-port", String(port)],
    });
    await connector.waitForOutput(/metrics listening/);
    for (const body of ['{"n":1}', '{"n":2}', '{"flaky":true}']) {
      expect((await relay.send("json_hook", body)).status).toBe(200);
    }
    // Two plain deliveries, the flaky one failing once and then succeeding.
    await target.waitForRequests(4, 20_000);
    let text = "";
    await expect
      .poll(
        async () => {
          const res = await request(`http://127.0.0.1:${port}/metrics`);
          text = await res.body.text();
          return sample(
            text,
            "webhook_connect_connector_deliveries_total",
            '{target="default",outcome="ack"}',
          );
        },
        { timeout: 10_000 },
      )
      .toBe(3);
    expect(
      sample(
        text,
        "webhook_connect_connector_deliveries_total",
        '{target="default",outcome="retry"}',
      ),
    ).toBe(1);
    expect(sample(text, "webhook_connect_connector_redeliveries_total")).toBe(1);
    expect(sample(text, "webhook_connect_connector_connected", '{transport="grpc"}')).toBe(1);
    expect(
      sample(
        text,
        "webhook_connect_connector_delivery_duration_seconds_count",
        '{target="default"}',
      ),
    ).toBe(3);
    const missing = await request(`http://127.0.0.1:${port}/other`);
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  }, 60_000);
});
