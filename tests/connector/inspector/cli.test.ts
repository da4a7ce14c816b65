import { Writable } from "node:stream";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { runConnectorCli } from "../../../connector/main.js";
import { tempDir } from "../../helpers/processes.js";

function capture() {
  const state = { text: "", listeners: [] as (() => void)[] };
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      state.text += String(chunk);
      for (const listener of state.listeners.splice(0)) listener();
      callback();
    },
  });
  return {
    stream,
    get text() {
      return state.text;
    },
    async until(pattern: RegExp) {
      while (!pattern.test(state.text)) await new Promise<void>((r) => state.listeners.push(r));
    },
  };
}

const base = [
  "--cloud-url",
  "http://127.0.0.1:1",
  "--channel",
  "c",
  "--token",
  "t",
  "--forward-to",
  "127.0.0.1:2/x",
  "--state-dir",
];

describe("inspector binding", () => {
  it("refuses a non-loopback address without --inspect-allow-remote", async () => {
    const stderr = capture();
    const code = await runConnectorCli(
      [...base, tempDir(), "--inspect", "0.0.0.0:0"],
      {},
      {
        stderr: stderr.stream,
        stdout: capture().stream,
        handleSignals: false,
      },
    );
    expect(code).toBe(2);
    expect(stderr.text).toContain("--inspect 0.0.0.0:0: the inspector shows webhook bodies");
    expect(stderr.text).toContain("--inspect-allow-remote true");
  });

  it("binds elsewhere with --inspect-allow-remote and warns", async () => {
    const stdout = capture();
    const stop = new AbortController();
    const exit = runConnectorCli(
      [
        ...base,
        tempDir(),
        "--inspect",
        "0.0.0.0:0",
        "--inspect-allow-remote",
        "true",
        "--log-format",
        "json",
      ],
      {},
      { stdout: stdout.stream, signal: stop.signal, handleSignals: false },
    );
    await stdout.until(/the inspector listens beyond this machine/);
    const start = JSON.parse(
      stdout.text.split("\n").find((l) => l.includes("connector starting"))!,
    ) as {
      inspector: string;
    };
    const port = new URL(start.inspector).port;
    // Reached by a name the connector cannot know: answered, not refused as misdirected.
    const response = await request(`http://127.0.0.1:${port}/api/deliveries`, {
      headers: { host: `workstation.lan:${port}` },
    });
    expect(response.statusCode).toBe(200);
    await response.body.text();
    stop.abort();
    expect(await exit).toBe(0);
    expect(stdout.text).toMatch(/"level":40[^\n]*the inspector listens beyond this machine/);
  });

  it("starts no inspector with --inspect off", async () => {
    const stdout = capture();
    const stop = new AbortController();
    const exit = runConnectorCli(
      [...base, tempDir(), "--inspect", "off", "--log-format", "json"],
      {},
      {
        stdout: stdout.stream,
        signal: stop.signal,
        handleSignals: false,
      },
    );
    await stdout.until(/"connector starting"/);
    stop.abort();
    expect(await exit).toBe(0);
    expect(stdout.text).toMatch(/"inspector":"off"/);
  });
});
