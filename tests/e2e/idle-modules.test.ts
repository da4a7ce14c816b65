/**
 * The receiver loads only what its config needs (issue #19): started as a
 * new user starts it, on examples/webhooks.json and the embedded buffer,
 * it loads none of the broker clients (NATS, Redis, RabbitMQ) — their
 * buffers, rate-limit stores and outputs are imported when configured —
 * and neither jose nor Ajv, which only the JWT, OAuth 2.0 and JSON Schema
 * blocks use.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort, runProcess, tempDir } from "../helpers/processes.js";

const BIN = fileURLToPath(new URL("../../bin/webhook-connect.js", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../../examples/webhooks.json", import.meta.url));
const TRACE = fileURLToPath(new URL("../fixtures/module-trace/register.mjs", import.meta.url));

/** Packages of the broker clients, as they appear in a module URL. */
const BROKER_CLIENTS = /\/node_modules\/(@nats-io\/[^/]+|ioredis|amqplib)\//;
/** Packages only some verifier blocks use. */
const BLOCK_LIBRARIES = /\/node_modules\/(jose|ajv|ajv-formats)\//;

/** The module URLs a receiver on `config` loaded by the time it listened. */
async function modulesLoadedOn(config: string): Promise<string[]> {
  const dir = tempDir("wc-idle-modules-");
  const traceFile = join(dir, "modules.txt");
  const port = await freePort();
  const receiver = runProcess(
    process.execPath,
    [
      ...["--import", TRACE, BIN, "receiver", "--config", config],
      ...["--host", "127.0.0.1", "--port", String(port)],
      ...["--buffer", `sqlite:${join(dir, "buffer.db")}`],
    ],
    { MODULE_TRACE_FILE: traceFile },
  );
  try {
    await receiver.waitForOutput(/receiver listening/);
  } finally {
    await receiver.stop("SIGTERM");
  }
  expect(existsSync(traceFile)).toBe(true);
  const loaded = readFileSync(traceFile, "utf8").split("\n");
  // The trace works: the receiver's own modules and its SQLite driver are in it.
  expect(loaded.some((url) => url.endsWith("/dist/receiver/main.js"))).toBe(true);
  expect(loaded.some((url) => url.includes("/node_modules/better-sqlite3/"))).toBe(true);
  return loaded;
}

describe("idle receiver on the example config", () => {
  it("loads no NATS, Redis or RabbitMQ client module, and neither jose nor Ajv", async () => {
    const loaded = await modulesLoadedOn(EXAMPLE);
    expect(loaded.filter((url) => BROKER_CLIENTS.test(url))).toEqual([]);
    expect(loaded.filter((url) => BLOCK_LIBRARIES.test(url))).toEqual([]);
  });

  it("loads jose and Ajv when a webhook uses JWT and JSON Schema blocks", async () => {
    const config = join(tempDir("wc-idle-modules-"), "webhooks.json");
    writeFileSync(
      config,
      JSON.stringify({
        signed: {
          data_type: "json",
          module: "webhook_connect",
          "module-config": { channel: "signed", channel_token: "token-signed" },
          jwt: { secret: "a-secret-of-enough-length-for-hs256", algorithm: "HS256" },
          json_schema: { type: "object" },
        },
      }),
    );
    const loaded = await modulesLoadedOn(config);
    expect(loaded.some((url) => url.includes("/node_modules/jose/"))).toBe(true);
    expect(loaded.some((url) => url.includes("/node_modules/ajv/"))).toBe(true);
  });
});
