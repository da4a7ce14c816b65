import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runConnectorCli } from "../../connector/main.js";
import { connectorTestEnv } from "../helpers/processes.js";
import { type FakeRelay, startFakeRelay } from "./helpers/fake-relay.js";
import { makeMessage } from "./helpers/messages.js";
import { startTargetServer, type TargetServer } from "./helpers/target-server.js";

/** A stream that keeps what was written and can wait for a line. */
function capture() {
  let text = "";
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      for (const line of text.split("\n")) {
        for (const waiter of [...waiters]) {
          if (waiter.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
      callback();
    },
  });
  return {
    stream,
    get text() {
      return text;
    },
    line(test: (line: string) => boolean): Promise<string> {
      const found = text.split("\n").find(test);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "wc-connector-cli-"));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("runConnectorCli", () => {
  it("exits 2 with one line naming the source on a bad config, without a stack trace", async () => {
    const stderr = capture();
    const code = await runConnectorCli(
      ["--max-concurrent-requests", "lots"],
      {},
      {
        stderr: stderr.stream,
        stdout: capture().stream,
        handleSignals: false,
      },
    );
    expect(code).toBe(2);
    expect(stderr.text).toBe(
      "webhook-connect connector: flag --max-concurrent-requests: max_concurrent_requests: expected a number, got 'lots'\n",
    );
  });

  it("exits 2 naming a config file key", async () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ cloud_url: "not a url", channel: "c", token: "t" }));
    const stderr = capture();
    const code = await runConnectorCli(
      ["--config", path],
      {},
      {
        stderr: stderr.stream,
        handleSignals: false,
      },
    );
    expect(code).toBe(2);
    expect(stderr.text.startsWith(`webhook-connect connector: ${path}: cloud_url: `)).toBe(true);
    expect(stderr.text.trim().split("\n")).toHaveLength(1);
  });

  it("exits 2 when a TLS file cannot be read", async () => {
    const stderr = capture();
    const code = await runConnectorCli(
      [],
      {
        CONNECTOR_CLOUD_URL: "https://127.0.0.1:1",
        CONNECTOR_CHANNEL: "c",
        CONNECTOR_TOKEN: "t",
        CONNECTOR_TARGET_URL: "http://127.0.0.1:2/",
        CONNECTOR_CA_CERT_PATH: join(dir, "missing-ca.pem"),
      },
      { stderr: stderr.stream, stdout: capture().stream, handleSignals: false },
    );
    expect(code).toBe(2);
    expect(stderr.text).toContain("cannot read ca_cert_path");
  });

  it("prints usage on --help", async () => {
    const stdout = capture();
    expect(
      await runConnectorCli(["--help"], {}, { stdout: stdout.stream, handleSignals: false }),
    ).toBe(0);
    expect(stdout.text).toContain("--target-url");
    expect(stdout.text).toContain("CONNECTOR_CLOUD_URL");
  });

  describe("against a relay and a target", () => {
    let relay: FakeRelay;
    let target: TargetServer;

    async function startBoth() {
      relay = await startFakeRelay({ token: "tok-very-secret" });
      target = await startTargetServer((_req, res) => void res.writeHead(200).end());
      closers.push(
        () => relay.close(),
        () => target.close(),
      );
    }

    it("connects, delivers, logs JSON without the token and exits 0 on stop", async () => {
      await startBoth();
      const path = join(dir, "connector.json");
      writeFileSync(
        path,
        JSON.stringify({
          cloud_url: relay.url,
          channel: "test-channel",
          token: "{$RELAY_TOKEN}",
          protocol: "connect",
          log_level: "debug",
          default_target: { url: `${target.url}/in` },
        }),
      );
      const stdout = capture();
      const stop = new AbortController();
      const exit = runConnectorCli(
        ["--config", path, "--connector-id", "cli-test"],
        {
          RELAY_TOKEN: "tok-very-secret",
          ...connectorTestEnv(),
        },
        { stdout: stdout.stream, signal: stop.signal, handleSignals: false },
      );
      const session = await relay.session(1);
      expect(session.hello.connectorId).toBe("cli-test");
      const connected = JSON.parse(await stdout.line((l) => l.includes('"msg":"connected"')));
      expect(connected).toMatchObject({ transport: "connect", channel: "test-channel", level: 30 });
      session.sendMessage(makeMessage({ id: "cli-msg" }));
      await session.until(() => session.acks.includes("cli-msg"));
      await stdout.line((l) => l.includes('"msg":"delivered"') && l.includes("cli-msg"));
      stop.abort();
      expect(await exit).toBe(0);
      await stdout.line((l) => l.includes('"msg":"stopped"'));
      expect(stdout.text).not.toContain("tok-very-secret");
      expect(target.requests.map((r) => r.url)).toEqual(["/in"]);
    });

    it("runs in module mode with createModuleDeliverer", async () => {
      await startBoth();
      const webhooks = join(dir, "webhooks.json");
      writeFileSync(webhooks, JSON.stringify({ stripe: { module: "log" } }));
      const stdout = capture();
      const stop = new AbortController();
      const exit = runConnectorCli(
        [],
        {
          CONNECTOR_CLOUD_URL: relay.url,
          CONNECTOR_CHANNEL: "test-channel",
          CONNECTOR_TOKEN: "tok-very-secret",
          CONNECTOR_PROTOCOL: "grpc",
          CONNECTOR_WEBHOOKS_CONFIG: webhooks,
          ...connectorTestEnv(),
        },
        { stdout: stdout.stream, signal: stop.signal, handleSignals: false },
      );
      const session = await relay.session(1);
      session.sendMessage(makeMessage({ id: "module-msg", webhookId: "stripe" }));
      await session.until(() => session.acks.includes("module-msg"));
      stop.abort();
      expect(await exit).toBe(0);
      expect(target.requests).toHaveLength(0);
      // The log module writes through the CLI's stdout.
      const line = await stdout.line((l) => l.includes('"message_id":"module-msg"'));
      expect(JSON.parse(line)).toMatchObject({ webhook_id: "stripe", payload: { ok: true } });
    });
  });
});
