import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  loadReceiverConfig,
  parseReceiverConfig,
  type ReceiverConfig,
} from "../../../receiver/config/index.js";

const FILE = "webhooks.json";

/** The one valid fixture every failure case breaks in exactly one place. */
function validEntry(): Record<string, unknown> {
  return {
    data_type: "json",
    module: "webhook_connect",
    "module-config": { channel: "stripe-payments", channel_token: "ch_tok_abc123secret" },
    hmac: { secret: "whsec", header: "X-Stripe-Signature", algorithm: "sha256" },
  };
}

function parse(document: unknown, env: Record<string, string | undefined> = {}): ReceiverConfig {
  return parseReceiverConfig(JSON.stringify(document), FILE, { env });
}

/** Parses, expecting a ConfigError, and checks it is one line naming the file. */
function failure(document: unknown, env: Record<string, string | undefined> = {}): ConfigError {
  return failureOfText(JSON.stringify(document), env);
}

function failureOfText(text: string, env: Record<string, string | undefined> = {}): ConfigError {
  let caught: unknown;
  try {
    parseReceiverConfig(text, FILE, { env });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.message).not.toContain("\n");
  expect(error.message.startsWith(`${FILE}: `)).toBe(true);
  expect(error.code).toBe("WC_ERR_CONFIG_INVALID");
  if (error.keyPath !== "") expect(error.message).toContain(`${FILE}: ${error.keyPath}: `);
  return error;
}

function withModuleConfig(changes: Record<string, unknown>): Record<string, unknown> {
  const entry = validEntry();
  return {
    ...entry,
    "module-config": { ...(entry["module-config"] as Record<string, unknown>), ...changes },
  };
}

describe("parseReceiverConfig: the valid fixture", () => {
  it("applies every documented default", () => {
    const config = parse({ stripe_relay: validEntry() });
    expect(config.channels.get("stripe-payments")).toEqual({
      name: "stripe-payments",
      token: "ch_tok_abc123secret",
      ttlSeconds: 86_400,
      maxQueueSize: 10_000,
      maxConnections: 10,
      maxInFlight: 100,
      ackTimeoutSeconds: 30,
      maxDeliveryAttempts: 10,
      maxMessageBytes: 10_485_760,
      ordered: false,
      webhookIds: ["stripe_relay"],
    });
  });

  it("describes the entry, keeping auth blocks raw", () => {
    const entry = parse({ stripe_relay: validEntry() }).webhooks.get("stripe_relay");
    expect(entry).toMatchObject({
      id: "stripe_relay",
      dataType: "json",
      module: "webhook_connect",
      relayed: true,
      channel: "stripe-payments",
    });
    expect(entry?.raw["hmac"]).toEqual(validEntry()["hmac"]);
  });

  it("defaults data_type to json and accepts blob", () => {
    const { data_type: _omitted, ...withoutType } = validEntry();
    const config = parse({ a: withoutType, b: { ...validEntry(), data_type: "blob" } });
    expect(config.webhooks.get("a")?.dataType).toBe("json");
    expect(config.webhooks.get("b")?.dataType).toBe("blob");
  });

  it("accepts numbers as numeric strings and fractional seconds", () => {
    const config = parse({
      a: withModuleConfig({
        ttl_seconds: "90.5",
        max_queue_size: "20",
        max_connections: "3",
        max_in_flight: "7",
        ack_timeout_seconds: 0.25,
        max_delivery_attempts: "4",
        max_message_bytes: "2048",
        ordered: "true",
      }),
    });
    expect(config.channels.get("stripe-payments")).toMatchObject({
      ttlSeconds: 90.5,
      maxQueueSize: 20,
      maxConnections: 3,
      maxInFlight: 7,
      ackTimeoutSeconds: 0.25,
      maxDeliveryAttempts: 4,
      maxMessageBytes: 2048,
      ordered: true,
    });
  });

  it("keeps entries of other modules as not relayed, without validating their module-config", () => {
    const config = parse({
      a: validEntry(),
      logged: { module: "log", "module-config": { pretty_print: true } },
      chained: { chain: ["s3", "log"], "chain-config": { execution: "sequential" } },
    });
    expect(config.webhooks.get("logged")).toMatchObject({
      module: "log",
      relayed: false,
      channel: undefined,
    });
    expect(config.webhooks.get("chained")).toMatchObject({ module: undefined, relayed: false });
    expect([...config.channels.keys()]).toEqual(["stripe-payments"]);
  });

  it("lets several webhooks feed one channel when their settings agree", () => {
    const explicitDefault = withModuleConfig({ ttl_seconds: 86_400 });
    const config = parse({ first: validEntry(), second: explicitDefault });
    expect(config.channels.get("stripe-payments")?.webhookIds).toEqual(["first", "second"]);
  });

  it("accepts 64-character names with dots, dashes and underscores", () => {
    const id = `A${"b.-_".repeat(15)}xyz`;
    expect(id).toHaveLength(64);
    const config = parse({ [id]: withModuleConfig({ channel: id }) });
    expect(config.channels.has(id)).toBe(true);
  });

  it("strips a UTF-8 byte order mark", () => {
    const config = parseReceiverConfig(`\uFEFF${JSON.stringify({ a: validEntry() })}`, FILE, {
      env: {},
    });
    expect(config.webhooks.has("a")).toBe(true);
  });

  it("is frozen all the way down", () => {
    const config = parse({ a: validEntry() });
    const webhooks = config.webhooks as Map<string, unknown>;
    expect(() => webhooks.set("b", {})).toThrow(TypeError);
    expect(() => webhooks.delete("a")).toThrow(TypeError);
    expect(Object.isFrozen(config.channels.get("stripe-payments"))).toBe(true);
    expect(Object.isFrozen(config.webhooks.get("a")?.raw["hmac"])).toBe(true);
  });
});

describe("parseReceiverConfig: variable substitution", () => {
  it("substitutes whole values exactly as set", () => {
    const entry = withModuleConfig({ channel_token: "{$TOKEN}" });
    const config = parse({ a: entry }, { TOKEN: ' tok en\\"$ ' });
    expect(config.channels.get("stripe-payments")?.token).toBe(' tok en\\"$ ');
  });

  it("substitutes embedded placeholders and uses defaults", () => {
    const entry = withModuleConfig({ channel: "pay-{$ENV:dev}-{$REGION}" });
    const config = parse({ a: entry }, { REGION: "eu" });
    expect(config.channels.has("pay-dev-eu")).toBe(true);
  });

  it("substitutes numeric settings given as placeholders", () => {
    const entry = withModuleConfig({ max_queue_size: "{$QUEUE:500}", ttl_seconds: "{$TTL}" });
    const channel = parse({ a: entry }, { TTL: "60" }).channels.get("stripe-payments");
    expect(channel).toMatchObject({ maxQueueSize: 500, ttlSeconds: 60 });
  });

  it("substitutes into raw auth blocks", () => {
    const entry = { ...validEntry(), hmac: { secret: "{$STRIPE_WEBHOOK_SECRET}" } };
    const config = parse({ a: entry }, { STRIPE_WEBHOOK_SECRET: "whsec_x" });
    expect(config.webhooks.get("a")?.raw["hmac"]).toEqual({ secret: "whsec_x" });
  });

  it("names a missing variable and where it is used", () => {
    const entry = { ...validEntry(), hmac: { secret: "{$STRIPE_WEBHOOK_SECRET}" } };
    const error = failure({ stripe_relay: entry });
    expect(error.keyPath).toBe("stripe_relay.hmac.secret");
    expect(error.message).toContain("STRIPE_WEBHOOK_SECRET");
    expect(error.message).toContain("stripe_relay.hmac.secret");
  });
});

describe("parseReceiverConfig: failures", () => {
  it("names both webhooks and the key when channel settings differ", () => {
    const error = failure({ first: validEntry(), second: withModuleConfig({ ttl_seconds: 60 }) });
    expect(error.keyPath).toBe("second.module-config.ttl_seconds");
    expect(error.message).toContain("'first'");
    expect(error.message).toContain("second");
    expect(error.message).toContain("stripe-payments");
  });

  it("refuses differing tokens without echoing either", () => {
    const error = failure({
      first: validEntry(),
      second: withModuleConfig({ channel_token: "other-secret" }),
    });
    expect(error.keyPath).toBe("second.module-config.channel_token");
    expect(error.message).not.toContain("other-secret");
    expect(error.message).not.toContain("ch_tok_abc123secret");
  });

  it.each([
    ["starts with a dot", ".hidden"],
    ["starts with a dash", "-a"],
    ["contains ..", "a..b"],
    ["contains a slash", "a/b"],
    ["is too long", "a".repeat(65)],
    ["is empty", ""],
  ])("refuses a webhook id that %s", (_what, id) => {
    expect(failure({ [id]: validEntry() }).keyPath).toBe(id);
  });

  it.each([
    ["contains ..", "pay..ments"],
    ["contains a space", "pay ments"],
    ["is not a string", 5],
  ])("refuses a channel name that %s", (_what, channel) => {
    const error = failure({ a: withModuleConfig({ channel }) });
    expect(error.keyPath).toBe("a.module-config.channel");
  });

  it("requires the channel", () => {
    const entry = validEntry();
    entry["module-config"] = { channel_token: "t" };
    const error = failure({ a: entry });
    expect(error.keyPath).toBe("a.module-config.channel");
    expect(error.problem).toBe("is required");
  });

  it("requires a non-empty channel_token", () => {
    const error = failure({ a: withModuleConfig({ channel_token: "" }) });
    expect(error.keyPath).toBe("a.module-config.channel_token");
  });

  it("requires module-config for webhook_connect", () => {
    const { "module-config": _omitted, ...entry } = validEntry();
    expect(failure({ a: entry }).keyPath).toBe("a.module-config");
  });

  it("requires a module", () => {
    const { module: _omitted, ...entry } = validEntry();
    expect(failure({ a: entry }).keyPath).toBe("a.module");
  });

  it.each([
    ["zero", "max_queue_size", 0],
    ["negative", "ttl_seconds", -1],
    ["fractional count", "max_connections", 1.5],
    ["fractional count as string", "max_in_flight", "2.5"],
    ["non-numeric string", "max_delivery_attempts", "ten"],
    ["padded numeric string", "max_queue_size", " 5"],
    ["exponent string", "max_message_bytes", "1e6"],
    ["boolean", "ack_timeout_seconds", true],
    ["over 1 GiB", "max_message_bytes", 2 ** 31],
  ])("refuses a %s setting", (_what, key, value) => {
    const error = failure({ a: withModuleConfig({ [key]: value }) });
    expect(error.keyPath).toBe(`a.module-config.${key}`);
  });

  it("refuses a non-boolean ordered", () => {
    const error = failure({ a: withModuleConfig({ ordered: "yes" }) });
    expect(error.keyPath).toBe("a.module-config.ordered");
    expect(error.problem).toBe("expected true or false");
  });

  it("refuses an unknown data_type", () => {
    expect(failure({ a: { ...validEntry(), data_type: "xml" } }).keyPath).toBe("a.data_type");
  });

  it("refuses an unknown entry key, naming it", () => {
    const error = failure({ a: { ...validEntry(), hmca: {} } });
    expect(error.keyPath).toBe("a.hmca");
    expect(error.problem).toContain("unknown key");
  });

  it("refuses an unknown module-config key, naming it", () => {
    const error = failure({ a: withModuleConfig({ max_queue: 5 }) });
    expect(error.keyPath).toBe("a.module-config.max_queue");
    expect(error.problem).toContain("max_queue_size");
  });

  it("refuses an entry that is not an object", () => {
    expect(failure({ a: "webhook_connect" }).keyPath).toBe("a");
  });

  it("refuses a top level that is not an object", () => {
    expect(failure([validEntry()]).keyPath).toBe("");
  });

  it("reports a JSON syntax error with its line and column, without quoting the file", () => {
    const text = '{\n  "a": {\n    "channel_token": "secret-value",\n  }\n}';
    const error = failureOfText(text);
    expect(error.keyPath).toBe("");
    expect(error.message).toMatch(/line 4, column 3/);
    expect(error.message).not.toContain("secret-value");
  });
});

describe("loadReceiverConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wc-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads and validates the file, naming it in the result", async () => {
    const file = join(dir, "webhooks.json");
    await writeFile(file, JSON.stringify({ a: validEntry() }));
    const config = await loadReceiverConfig(file, { env: {} });
    expect(config.file).toBe(file);
    expect(config.channels.has("stripe-payments")).toBe(true);
  });

  it("names the file and the key in validation errors", async () => {
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ a: withModuleConfig({ max_queue_size: 0 }) }));
    await expect(loadReceiverConfig(file, { env: {} })).rejects.toThrow(
      `${file}: a.module-config.max_queue_size: `,
    );
  });

  it("reports a missing file as a ConfigError", async () => {
    const file = join(dir, "missing.json");
    const error = await loadReceiverConfig(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${file}: file not found`);
  });
});
