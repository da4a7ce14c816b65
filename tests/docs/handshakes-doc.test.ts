/**
 * docs/handshakes.md: the example webhooks.json starts a receiver, every
 * curl command on the page is run against it with bash, and its output must
 * be exactly the answer the page shows (which the test also recomputes).
 */
import { execFile, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseReceiverConfig, substituteVariables } from "../../receiver/config/index.js";
import {
  type ReceiverFixture,
  startReceiverFixture,
} from "../receiver/hardening/receiver-fixture.js";

const run = promisify(execFile);
const DOC = readFileSync(new URL("../../docs/handshakes.md", import.meta.url), "utf8");
const ENV = {
  SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5",
  ZOOM_SECRET_TOKEN: "zoom-example-secret-token",
  DROPBOX_APP_SECRET: "dropbox-example-app-secret",
  X_CONSUMER_SECRET: "x-example-consumer-secret",
};

/** Fenced blocks of the page, in order. */
function blocks(): { lang: string; text: string }[] {
  return [...DOC.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((match) => ({
    lang: match[1]!,
    text: match[2]!,
  }));
}

/** Each `sh` block with the `text` block after it (the output it prints). */
function examples(): { script: string; output: string }[] {
  const all = blocks();
  const found: { script: string; output: string }[] = [];
  all.forEach((block, index) => {
    const next = all[index + 1];
    if (block.lang === "sh" && next?.lang === "text") {
      found.push({ script: block.text, output: next.text.trimEnd() });
    }
  });
  return found;
}

const jsonBlocks = () => blocks().filter((block) => block.lang === "json");

/**
 * The commands need bash, curl and openssl: missing under CI=true is a
 * failure; elsewhere the examples are skipped with what to install.
 */
function toolsAvailable(): boolean {
  const missing = ["bash", "curl", "openssl"].filter(
    (tool) => spawnSync("bash", ["-c", `command -v ${tool}`]).status !== 0,
  );
  if (missing.length === 0) return true;
  const message = `docs/handshakes.md examples need ${missing.join(", ")}; install them (apt-get install ${missing.join(" ")})`;
  if (process.env["CI"] === "true") throw new Error(message);
  console.warn(`skipping: ${message}`);
  return false;
}

const tools = toolsAvailable();
let fixture: ReceiverFixture;

beforeAll(async () => {
  const document = substituteVariables(JSON.parse(jsonBlocks()[0]!.text), ENV);
  fixture = await startReceiverFixture(document as Record<string, unknown>);
});

afterAll(async () => {
  await fixture?.close();
});

describe("docs/handshakes.md", () => {
  it("shows one curl example per provider", () => {
    const scripts = examples().map((example) => example.script);
    expect(scripts).toHaveLength(5);
    for (const webhook of [
      "slack_events",
      "zoom_events",
      "graph_mail",
      "dropbox_files",
      "x_activity",
    ]) {
      expect(scripts.some((script) => script.includes(`/webhook/${webhook}`))).toBe(true);
    }
  });

  it
    .skipIf(!tools)
    .each(examples().map((example) => [example.script.split("\n")[0]!.slice(0, 60), example]))(
    "runs %s… and prints the answer shown",
    async (_name, { script, output }) => {
      const { stdout } = await run(
        "bash",
        ["-euo", "pipefail", "-c", script.replaceAll("https://relay.example.com", fixture.url)],
        {
          env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...ENV },
        },
      );
      expect(stdout).toBe(output);
    },
  );

  it("shows the answers the providers expect for the example secrets", () => {
    const outputs = examples().map((example) => example.output);
    const zoomToken = createHmac("sha256", ENV.ZOOM_SECRET_TOKEN)
      .update("qgg8vlvZRS6UYooatFL8Aw")
      .digest("hex");
    expect(outputs).toContain(
      JSON.stringify({ plainToken: "qgg8vlvZRS6UYooatFL8Aw", encryptedToken: zoomToken }),
    );
    const crc = createHmac("sha256", ENV.X_CONSUMER_SECRET)
      .update("dGVzdC1jcmMtdG9rZW4")
      .digest("base64");
    expect(outputs).toContain(JSON.stringify({ response_token: `sha256=${crc}` }));
  });

  it("stores none of the handshakes", async () => {
    for (const channel of ["slack", "zoom", "graph", "dropbox", "x"]) {
      expect(await fixture.stored(channel), channel).toEqual([]);
    }
  });

  it("shows a response example that is a valid webhooks.json", () => {
    const text = jsonBlocks()[1]!.text;
    const config = parseReceiverConfig(text, "webhooks.json", { env: { CRM_CHANNEL_TOKEN: "t" } });
    expect(config.webhooks.get("legacy_crm")?.response?.status).toBe(200);
  });
});
