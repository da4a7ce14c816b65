/**
 * A connector the receiver refuses (issue 16): at start-up it exits with
 * one line and exit code 3, whatever transport `auto` was trying, naming
 * the refusal's own code; once it had been connected, a refusal is logged
 * at error and retried with backoff.
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/processes.js";
import type { Target } from "../helpers/target.js";
import { type Relay, relayPerTest } from "./harness.js";

function connector(relay: Relay, target: Target, overrides: Record<string, string> = {}) {
  const flags: Record<string, string> = {
    "--cloud-url": relay.url,
    "--channel": relay.channel,
    "--token": relay.token,
    "--forward-to": target.url,
    "--protocol": "auto",
    "--reconnect-delay": "0.1",
    "--max-reconnect-delay": "0.5",
    "--log-format": "json",
    ...overrides,
  };
  const run = runCli(["connector", ...Object.entries(flags).flat()]);
  relay.processes.push(run);
  return run;
}

describe("connector refused e2e", () => {
  const startRelay = relayPerTest();

  it.each(["auto", "sse"])(
    "exits 3 with one line for a wrong token (protocol %s)",
    async (protocol) => {
      const { relay, target } = await startRelay();
      await relay.startReceiver();
      const run = connector(relay, target, { "--token": "tok_wrong", "--protocol": protocol });
      expect(await run.exited).toBe(3);
      const errors = run
        .output()
        .split("\n")
        .filter((line) => line.startsWith("webhook-connect connector:"));
      expect(errors).toEqual([
        `webhook-connect connector: ${relay.url}/ refused channel '${relay.channel}' (WC_ERR_CONNECTOR_UNAUTHENTICATED): the token is not valid for this channel; check --token (CONNECTOR_TOKEN)`,
      ]);
      expect(run.output()).not.toMatch(/fatal|"level":60/);
    },
    20_000,
  );

  it("logs a refusal after it was connected at error and keeps retrying", async () => {
    const { relay, target } = await startRelay();
    await relay.startReceiver();
    const run = connector(relay, target);
    await run.waitForOutput(/"msg":"connected"/);
    // The receiver comes back with a rotated token.
    await relay.receiver!.stop("SIGTERM");
    const config = JSON.parse(
      (await import("node:fs")).readFileSync(relay.configPath, "utf8"),
    ) as Record<string, { "module-config": Record<string, unknown> }>;
    for (const hook of Object.values(config))
      hook["module-config"]["channel_token"] = "tok_rotated";
    writeFileSync(relay.configPath, JSON.stringify(config));
    await relay.startReceiver();
    const refused = await run.waitForOutput(
      /\{[^\n]*"code":"WC_ERR_CONNECTOR_UNAUTHENTICATED"[^\n]*\}/,
    );
    expect(JSON.parse(refused)).toMatchObject({ level: 50 });
    await run.waitForOutput(/"fatal":true,"msg":"reconnecting"/);
    // Still running: it waits for a valid token rather than exiting.
    expect(run.child.exitCode).toBeNull();
  }, 30_000);
});
