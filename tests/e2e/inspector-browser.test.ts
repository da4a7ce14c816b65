/**
 * The inspector page in a real browser (headless Chromium from Debian):
 * it opens the page, sees a webhook arrive live, opens it, replays it and
 * sees the new attempt — with every request the page makes going to the
 * connector itself. UPDATE_SCREENSHOTS=1 writes docs/inspector.png.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type Browser, chromiumPath, launchChromium } from "../helpers/chromium.js";
import { runCli } from "../helpers/processes.js";
import { relayPerTest } from "./harness.js";

const executable = chromiumPath();
if (executable === undefined && process.env["CI"] === "true") {
  throw new Error("Chromium is missing: install Debian's chromium package (.ci/run does)");
}
if (executable === undefined) {
  console.warn("inspector browser test skipped: install Debian's `chromium` package to run it");
}

describe.skipIf(executable === undefined)("inspector page in Chromium", () => {
  const startRelay = relayPerTest();
  let browser: Browser | undefined;

  // Registered after relayPerTest's, so it runs first: the browser closes before the relay.
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });

  it("shows a webhook arriving live, opens it, replays it and shows the new attempt", async () => {
    const { relay, target } = await startRelay();
    target.reply(() => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"received":true}',
    }));
    await relay.startReceiver();
    const connector = runCli(
      relay.connectorFlags(
        `${target.url.replace("http://", "")}/webhooks`,
        "--protocol",
        "grpc",
        "--log-format",
        "json",
      ),
    );
    relay.processes.push(connector);
    const start = JSON.parse(await connector.waitForOutput(/\{.*"connector starting".*\}/)) as {
      inspector: string;
    };
    await connector.waitForOutput(/"msg":"connected"/);

    browser = await launchChromium(executable!);
    const page = await browser.newPage(1280, 760);
    await page.navigate(`${start.inspector}/`);
    await page.waitFor(`document.getElementById("live").textContent === "live"`, "live updates");
    expect(await page.evaluate<number>(`document.querySelectorAll("#list tbody tr").length`)).toBe(
      0,
    );

    // Arrives without a reload.
    const sent = await relay.send(
      "json_hook",
      '{"type":"invoice.paid","data":{"amount":4200,"currency":"eur","customer":"cus_42"}}',
      {
        "content-type": "application/json",
        "Stripe-Signature":
          "t=1733580000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
      },
    );
    const id = sent.json!["message_id"]!;
    const row = `#list tbody tr[data-id="${id}"]`;
    await page.waitFor(`document.querySelector('${row}')`, "the new delivery in the list");
    expect(await page.evaluate<string>(`document.querySelector('${row}').textContent`)).toContain(
      "POST /webhook/json_hook?source=e2e",
    );

    await page.click(row);
    await page.waitFor(`!document.getElementById("detail").hidden`, "the detail view");
    expect(await page.evaluate<string>(`document.getElementById("d-body").textContent`)).toContain(
      '"amount": 4200',
    );
    expect(
      await page.evaluate<string>(`document.getElementById("d-headers").textContent`),
    ).toContain("Stripe-Signature");
    expect(
      await page.evaluate<number>(`document.querySelectorAll("#d-attempts details").length`),
    ).toBe(1);

    await page.click("#d-replay");
    await page.waitFor(
      `document.querySelectorAll("#d-attempts details").length === 2`,
      "the replay's attempt",
    );
    expect(
      await page.evaluate<string>(
        `document.querySelector("#d-attempts details:last-child").dataset.replay`,
      ),
    ).toBe("true");
    expect(await page.evaluate<string>(`document.getElementById("d-note").textContent`)).toContain(
      "replayed to",
    );
    await target.waitForRequests(2);
    expect(target.requests[1]!.body.equals(target.requests[0]!.body)).toBe(true);

    // Copy as curl gives a command with the exact body.
    await page.click("#d-curl");
    await page.waitFor(`!document.getElementById("d-curl-text").hidden`, "the curl command");
    const curl = await page.evaluate<string>(`document.getElementById("d-curl-text").value`);
    expect(curl).toContain(`curl -X POST '${target.url}/webhooks?source=e2e'`);
    expect(curl).toContain(`--data-binary '{"type":"invoice.paid"`);

    // Everything the page loaded came from the connector.
    expect(page.requests.length).toBeGreaterThan(0);
    for (const url of page.requests) expect(url.startsWith(start.inspector)).toBe(true);
    expect(page.errors).toEqual([]);

    if (process.env["UPDATE_SCREENSHOTS"] === "1") {
      await page.evaluate(`document.getElementById("d-curl-text").hidden = true`);
      const png = await page.screenshot();
      writeFileSync(fileURLToPath(new URL("../../docs/inspector.png", import.meta.url)), png);
    }
  }, 60_000);
});
