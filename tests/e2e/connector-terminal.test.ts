/**
 * What a person sees running the connector (issue 16): a flags-only start
 * with `--forward-to` and no config file, one line per delivery in the
 * pretty format (coloured by outcome), a summary while a backlog drains,
 * JSON lines when stdout is not a terminal, pretty lines when it is.
 */

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { connectorTestEnv, runCli, runProcess } from "../helpers/processes.js";
import { mapLimit, type Relay, relayPerTest } from "./harness.js";

/** Flags of a config-free connector of `relay` forwarding to `forwardTo`. */
function flags(relay: Relay, forwardTo: string, extra: string[] = []): string[] {
  return relay.connectorFlags(
    forwardTo,
    "--protocol",
    "grpc",
    "--reconnect-delay",
    "0.2",
    "--target-retry-enabled",
    "false",
    ...extra,
  );
}

describe("connector terminal e2e", () => {
  const startRelay = relayPerTest();

  /** A running receiver with `count` webhooks waiting and a target that answers 200 after `delayMs`. */
  async function relayWithBacklog(count: number, delayMs: number) {
    const started = await startRelay();
    started.target.reply(async () => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { status: 200 };
    });
    await started.relay.startReceiver();
    await mapLimit(
      Array.from({ length: count }, (_, i) => i),
      16,
      async (i) => expect((await started.relay.send("json_hook", `{"n":${i}}`)).status).toBe(200),
    );
    return started;
  }

  it("starts from flags alone and prints one coloured line per delivery", async () => {
    const { relay, target } = await startRelay();
    target.reply((request) => ({ status: request.body.toString().includes("gone") ? 404 : 200 }));
    await relay.startReceiver();
    const hostPort = target.url.replace("http://", "");
    const connector = runCli(flags(relay, `${hostPort}/hooks`, ["--log-format", "pretty"]), {
      FORCE_COLOR: "1",
    });
    relay.processes.push(connector);
    await connector.waitForOutput(new RegExp(`forward {3}.*http://${hostPort}/hooks`));
    const ok = await relay.send("json_hook", '{"fine":1}');
    const okLine = await connector.waitForOutput(
      new RegExp(
        `\\d\\d:\\d\\d:\\d\\d.*POST  /webhook/json_hook\\?source=e2e.*→ 200.*ms.*${ok.json!["message_id"]}`,
      ),
    );
    expect(okLine).toContain("\u001b[32m"); // green: delivered
    expect(target.requests[0]!.url).toBe("/hooks?source=e2e");
    const gone = await relay.send("json_hook", '{"gone":1}');
    const goneLine = await connector.waitForOutput(
      new RegExp(`→ 404.*${gone.json!["message_id"]}.*dead-lettered: target answered HTTP 404`),
    );
    expect(goneLine).toContain("\u001b[31m"); // red: dead-lettered
    // Nothing in the pretty format is a JSON record.
    expect(connector.output()).not.toMatch(/^\{"level"/m);
  }, 30_000);

  it("prints a summary line while a backlog drains", async () => {
    const { relay, target } = await relayWithBacklog(120, 20);
    const connector = runCli(
      flags(relay, target.url, ["--log-format", "pretty", "--max-concurrent-requests", "2"]),
    );
    relay.processes.push(connector);
    const summary = await connector.waitForOutput(
      /⋯ \d+ delivered · \d+ remaining · \d+ in flight · \d+ msg\/s/,
    );
    const delivered = Number(/⋯ (\d+) delivered/.exec(summary)![1]);
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(120);
    await target.waitForRequests(120, 20_000);
  }, 30_000);

  it.each(["grpc", "sse", "long_poll"])(
    "counts down what remains of a waiting backlog (%s)",
    async (protocol) => {
      const waiting = 120;
      // A slow target makes the drain last a few summary intervals.
      const { relay, target } = await relayWithBacklog(waiting, 40);
      const connector = runCli(
        flags(relay, target.url, ["--log-format", "pretty", "--max-concurrent-requests", "2"]).map(
          (arg) => (arg === "grpc" ? protocol : arg),
        ),
      );
      relay.processes.push(connector);
      await connector.waitForOutput(/(⋯[^\n]* remaining [^\n]*\n[\s\S]*){2}/, 30_000);
      const counts = [...connector.output().matchAll(/⋯ (\d+) delivered · (\d+) remaining/g)].map(
        (match) => ({ delivered: Number(match[1]), remaining: Number(match[2]) }),
      );
      expect(counts.length).toBeGreaterThanOrEqual(2);
      // One session, no failures, nothing new: what remains is what was waiting less what was delivered.
      for (const count of counts) expect(count.delivered + count.remaining).toBe(waiting);
      const remaining = counts.map((count) => count.remaining);
      expect(remaining).toEqual([...remaining].sort((a, b) => b - a));
      expect(remaining[0]!).toBeGreaterThan(remaining.at(-1)!);
      await target.waitForRequests(waiting, 30_000);
    },
    60_000,
  );

  it("writes JSON lines when stdout is not a terminal", async () => {
    const { relay, target } = await startRelay();
    await relay.startReceiver();
    const connector = runCli(flags(relay, target.url, ["--log-level", "debug"]));
    relay.processes.push(connector);
    const start = JSON.parse(await connector.waitForOutput(/\{.*"connector starting".*\}/)) as {
      forward_to: Record<string, string>;
    };
    expect(start.forward_to).toEqual({ "*": `${target.url}/` });
    await connector.waitForOutput(/"msg":"connected"/);
    const sent = await relay.send("json_hook", '{"json":1}');
    const line = JSON.parse(
      await connector.waitForOutput(
        new RegExp(`\\{[^\\n]*"${sent.json!["message_id"]}"[^\\n]*"delivered"[^\\n]*\\}`),
      ),
    ) as Record<string, unknown>;
    expect(line).toMatchObject({ status: 200, method: "POST", path: "/webhook/json_hook" });
  }, 30_000);

  it("prints pretty lines when stdout is a terminal", async () => {
    const { relay, target } = await startRelay();
    await relay.startReceiver();
    // script(1) gives the connector a pseudo-terminal as stdout.
    const command = ["node", "bin/webhook-connect.js", ...flags(relay, target.url)]
      .map((arg) => `'${arg}'`)
      .join(" ");
    const connector = runScript(command);
    relay.processes.push(connector);
    await connector.waitForOutput(/forward {3}.*http:\/\/127\.0\.0\.1/);
    const sent = await relay.send("json_hook", '{"tty":1}');
    await connector.waitForOutput(new RegExp(`→ 200.*${sent.json!["message_id"]}`));
    expect(connector.output()).not.toContain('"level":');
  }, 30_000);
});

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs `command` under script(1), which gives it a pseudo-terminal. */
function runScript(command: string) {
  return runProcess("script", ["-qfec", command, "/dev/null"], connectorTestEnv(), ROOT);
}
