/**
 * The sender examples of docs/auth/ run as written (bash, curl, openssl)
 * against a real receiver configured with the page's own JSON: each must
 * be accepted, so the docs cannot drift from the verifiers (issue 16).
 * Webhooks are `data_type: json`, so a curl without Content-Type fails.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { freePort, tempDir, writeJson } from "../helpers/processes.js";
import { runReceiver } from "../helpers/receiver-process.js";

const DOCS = fileURLToPath(new URL("../../docs/auth/", import.meta.url));
const run = promisify(execFile);

/** Secrets the examples read from the environment. */
const secrets = {
  HOOK_SECRET: "hook-secret-1",
  HOOK_TOKEN: "hook-token-1",
  HOOK_PASSWORD: "pass word:1",
  HOOK_KEY: "k+y/=1 &x",
  STRIPE_WEBHOOK_SECRET: "whsec_stripe_test",
  GITHUB_SECRET: "gh-secret",
  SHOPIFY_SECRET: "shop-secret",
  SLACK_SIGNING_SECRET: "slack-secret",
  SW_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  GITLAB_TOKEN: "gl-token",
  ZOOM_SECRET_TOKEN: "zoom-secret",
};

/** Webhooks a page's examples post to that its JSON block does not declare. */
const extraWebhooks: Record<string, Record<string, Record<string, unknown>>> = {
  "hmac-providers.md": {
    gh: { hmac: { provider: "github", secret: "{$GITHUB_SECRET}" } },
    shop: { hmac: { provider: "shopify", secret: "{$SHOPIFY_SECRET}" } },
    slack: { hmac: { provider: "slack", secret: "{$SLACK_SIGNING_SECRET}" } },
    sw: { hmac: { provider: "standard-webhooks", secret: "{$SW_SECRET}" } },
    gl: { hmac: { provider: "gitlab", secret: "{$GITLAB_TOKEN}" } },
    zoom: { hmac: { provider: "zoom", secret: "{$ZOOM_SECRET_TOKEN}" } },
  },
};

function blocks(text: string, language: string): string[] {
  const found: string[] = [];
  const pattern = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, "gm");
  for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found;
}

describe.each([
  "hmac.md",
  "hmac-providers.md",
  "authorization.md",
  "basic_auth.md",
  "header_auth.md",
  "query_auth.md",
])("docs/auth/%s sender examples", (page) => {
  it("are accepted by a receiver configured as the page shows", async () => {
    const text = readFileSync(join(DOCS, page), "utf8");
    const declared = JSON.parse(blocks(text, "json")[0]!) as Record<
      string,
      Record<string, unknown>
    >;
    const webhooks: Record<string, Record<string, unknown>> = {
      ...declared,
      ...(extraWebhooks[page] ?? {}),
    };
    const dir = tempDir("wc-docs-");
    const config = writeJson(
      dir,
      "webhooks.json",
      Object.fromEntries(
        Object.entries(webhooks).map(([id, entry]) => [
          id,
          {
            ...entry,
            data_type: "json",
            module: "webhook_connect",
            "module-config": { channel: "docs", channel_token: "docs-channel-token" },
          },
        ]),
      ),
    );
    const port = await freePort();
    const receiver = runReceiver(
      { config, port, buffer: `sqlite:${join(dir, "buffer.db")}` },
      secrets,
    );
    try {
      await receiver.waitForOutput(/receiver listening/);
      const script = blocks(text, "sh")
        .join("\n")
        .replaceAll("https://relay.example.com", `http://127.0.0.1:${port}`);
      const calls = (script.match(/^\s*curl /gm) ?? []).length;
      expect(calls).toBeGreaterThan(0);
      // Each curl prints only its status code.
      const { stdout } = await run(
        "bash",
        [
          "-c",
          `set -euo pipefail\ncurl() { command curl -sS -o /dev/null -w '%{http_code}\\n' "$@"; }\n${script}`,
        ],
        { env: { ...process.env, ...secrets } },
      );
      expect(stdout.trim().split("\n")).toEqual(Array.from({ length: calls }, () => "200"));
    } finally {
      await receiver.stop("SIGKILL");
    }
  }, 30_000);
});
