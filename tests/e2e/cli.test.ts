/**
 * The executable's start-up contract (SPEC §2): a bad config, flag or URL
 * stops start-up with one clear line naming the file, the key and the
 * problem, and a non-zero exit; no stack traces.
 */
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, runCli, tempDir, writeJson } from "../helpers/processes.js";
import { runReceiver } from "../helpers/receiver-process.js";

const valid = {
  hook: {
    module: "webhook_connect",
    "module-config": { channel: "cli-test", channel_token: "secret-token-value" },
  },
};

async function failStart(args: string[], env: Record<string, string> = {}) {
  const run = runCli(args, env);
  const code = await run.exited;
  const lines = run
    .output()
    .split("\n")
    .filter((line) => line.trim() !== "");
  return { code, lines, output: run.output() };
}

/** A start-up error exits 2 with exactly one line; returns that line and the whole output. */
async function failOneLine(args: string[]) {
  const { code, lines, output } = await failStart(args);
  expect(code).toBe(2);
  expect(lines).toHaveLength(1);
  return { line: lines[0]!, output };
}

/** `receiver` on any free port with this config file. */
const receiverArgs = (config: string) => ["receiver", "--config", config, "--port", "0"];

/** A config file whose one webhook, `hook`, has this module-config. */
const hookConfig = (dir: string, name: string, moduleConfig: Record<string, unknown>) =>
  writeJson(dir, name, { hook: { module: "webhook_connect", "module-config": moduleConfig } });

/** A connector.json with a valid channel, token and target around `cloudUrl`. */
const connectorConfig = (dir: string, name: string, cloudUrl: string) =>
  writeJson(dir, name, {
    cloud_url: cloudUrl,
    channel: "c",
    token: "t",
    default_target: { url: "http://127.0.0.1:1/x" },
  });

describe("receiver start-up errors", () => {
  const dir = tempDir("wc-cli-");

  it("names the file, key and problem for an invalid module-config value", async () => {
    const config = hookConfig(dir, "bad-ttl.json", {
      channel: "cli-test",
      channel_token: "x",
      ttl_seconds: "soon",
    });
    const { line, output } = await failOneLine(receiverArgs(config));
    expect(line).toContain(config);
    expect(line).toContain("hook.module-config.ttl_seconds");
    expect(output).not.toMatch(/\n\s+at /);
  });

  it("reports invalid JSON with its position", async () => {
    const config = join(dir, "broken.json");
    writeFileSync(config, '{\n  "hook": {\n    "module": "webhook_connect",,\n  }\n}\n');
    const { line } = await failOneLine(receiverArgs(config));
    expect(line).toMatch(/line 3/);
  });

  it("names a missing environment variable", async () => {
    const config = hookConfig(dir, "missing-var.json", {
      channel: "cli-test",
      channel_token: "{$WC_TEST_UNSET_TOKEN}",
    });
    const { line } = await failOneLine(receiverArgs(config));
    expect(line).toContain("WC_TEST_UNSET_TOKEN");
    expect(line).toContain("hook.module-config.channel_token");
  });

  it("rejects an unknown buffer URL scheme", async () => {
    const config = writeJson(dir, "ok.json", valid);
    const { line } = await failOneLine([
      "receiver",
      "--config",
      config,
      "--buffer",
      "mongodb://localhost",
    ]);
    expect(line).toMatch(/--buffer.*unsupported buffer URL scheme 'mongodb:'/);
  });

  it("rejects an unknown flag and a bad port", async () => {
    const config = writeJson(dir, "ok2.json", valid);
    const unknown = await failOneLine(["receiver", "--config", config, "--prot", "1"]);
    expect(unknown.line).toMatch(/--prot/);
    const port = await failStart(["receiver", "--config", config, "--port", "70000"]);
    expect(port.code).toBe(2);
    expect(port.lines[0]).toMatch(/--port/);
  });

  it("reports a config file that does not exist", async () => {
    const missing = join(dir, "nope.json");
    const { code, lines } = await failStart(["receiver", "--config", missing]);
    expect(code).toBe(2);
    expect(lines).toEqual([expect.stringContaining(`${missing}: file not found`)]);
  });

  it("rejects two webhooks that disagree about one channel's settings", async () => {
    const config = writeJson(dir, "conflict.json", {
      a: { module: "webhook_connect", "module-config": { channel: "shared", channel_token: "t1" } },
      b: {
        module: "webhook_connect",
        "module-config": { channel: "shared", channel_token: "t1", max_queue_size: 5 },
      },
    });
    const { line } = await failOneLine(receiverArgs(config));
    expect(line).toMatch(/\ba\b.*\bb\b|\bb\b.*\ba\b/);
    expect(line).toContain("max_queue_size");
  });
});

describe("connector start-up errors", () => {
  const dir = tempDir("wc-cli-connector-");

  it("names the key of an invalid connector.json value", async () => {
    const config = connectorConfig(dir, "connector.json", "not a url");
    const { line, output } = await failOneLine(["connector", "--config", config]);
    expect(line).toContain("cloud_url");
    expect(output).not.toMatch(/\n\s+at /);
  });

  it("lets a flag override the file and reports a bad flag value by name", async () => {
    const config = connectorConfig(dir, "connector2.json", "http://127.0.0.1:1");
    const { line } = await failOneLine([
      "connector",
      "--config",
      config,
      "--protocol",
      "carrier-pigeon",
    ]);
    expect(line).toMatch(/--protocol/);
  });
});

describe("receiver shutdown", () => {
  it("exits promptly on SIGTERM after a client connected and left without sending", async () => {
    const dir = tempDir("wc-cli-stop-");
    const config = writeJson(dir, "ok.json", valid);
    const port = await freePort();
    const receiver = runReceiver({ config, port, buffer: `sqlite:${join(dir, "b.db")}` });
    await receiver.waitForOutput(/receiver listening/);
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.destroy();
    await once(socket, "close");
    const started = Date.now();
    receiver.child.kill("SIGTERM");
    expect(await receiver.exited, receiver.output()).toBe(0);
    // The connection sniffer's 10 s header timeout must not hold the process.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
