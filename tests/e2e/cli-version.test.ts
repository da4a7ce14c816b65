/** `webhook-connect --version` and "did you mean" for a mistyped command (issue 16). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/processes.js";
import { e2eBackends, Relay } from "./harness.js";

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

async function run(args: string[]) {
  const process = runCli(args);
  const code = await process.exited;
  return { code, output: process.output() };
}

describe("webhook-connect command line", () => {
  it("prints the version", async () => {
    expect(await run(["--version"])).toEqual({ code: 0, output: `webhook-connect ${version}\n` });
    expect(await run(["connector", "--version"])).toEqual({
      code: 0,
      output: `webhook-connect ${version}\n`,
    });
  });

  it.each([
    ["conector", "connector"],
    ["recieve", "receiver"],
    ["stauts", "status"],
  ])("suggests the command meant by '%s'", async (typed, meant) => {
    const { code, output } = await run([typed]);
    expect(code).toBe(2);
    expect(output.split("\n")[0]).toBe(
      `webhook-connect: unknown command '${typed}' (did you mean '${meant}'?)`,
    );
  });

  it("suggests nothing for an unrelated word", async () => {
    const { code, output } = await run(["frobnicate"]);
    expect(code).toBe(2);
    expect(output.split("\n")[0]).toBe("webhook-connect: unknown command 'frobnicate'");
  });

  it("shows placeholders and an example in --help", async () => {
    const { code, output } = await run(["connector", "--help"]);
    expect(code).toBe(0);
    expect(output).toContain("--forward-to [http://]HOST:PORT/PATH");
    expect(output).toContain("--cloud-url URL");
    expect(output).toContain("Examples:");
  });
});

describe("receiver start-up hint", () => {
  it("prints the connector command for the real URL and each channel", async () => {
    const relay = new Relay(e2eBackends.find((backend) => backend.name === "sqlite")!);
    try {
      const receiver = await relay.startReceiver();
      await receiver.waitForOutput(/examples\/connector\.json/);
      expect(receiver.output()).toContain(
        `connect a connector: npx webhook-connect connector --cloud-url ${relay.url} --channel ${relay.channel} --token TOKEN --forward-to localhost:3000/webhooks`,
      );
      expect(receiver.output()).not.toContain(relay.token);
    } finally {
      await relay.close();
    }
  });
});
