import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConfigError } from "../../../config-file/config-error.js";
import { loadConnectorConfig } from "../../../connector/config/load.js";
import type { ConnectorConfig } from "../../../connector/config/schema.js";
import { configErrorOf } from "./config-error-of.js";

const dir = mkdtempSync(join(tmpdir(), "wc-connector-config-"));
let counter = 0;

function writeConfig(value: unknown): string {
  const path = join(dir, `connector-${++counter}.json`);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

const base = {
  cloud_url: "https://relay.example.com",
  channel: "stripe-payments",
  token: "ch_tok_secret",
  default_target: { url: "http://localhost:3000/webhooks" },
};

function load(argv: string[], env: Record<string, string> = {}): ConnectorConfig {
  const loaded = loadConnectorConfig({ argv, env });
  if (loaded.help) throw new Error("unexpected --help");
  return loaded.config;
}

function loadError(argv: string[], env: Record<string, string> = {}): ConfigError {
  return configErrorOf(() => load(argv, env));
}

describe("loadConnectorConfig", () => {
  it("applies documented defaults to a minimal file", () => {
    const config = load(["--config", writeConfig(base)]);
    expect(config.protocol).toBe("auto");
    expect(config.max_concurrent_requests).toBe(10);
    expect(config.reconnect_delay).toBe(1);
    expect(config.max_reconnect_delay).toBe(60);
    expect(config.reconnect_backoff_multiplier).toBe(2);
    expect(config.verify_ssl).toBe(true);
    expect(config.log_level).toBe("info");
    expect(config.group).toBe("");
    expect(config.default_target).toEqual({
      url: "http://localhost:3000/webhooks",
      headers: {},
      timeout_seconds: 30,
      retry_enabled: true,
      retry_max_attempts: 3,
      retry_delay_seconds: 1,
      retry_backoff_multiplier: 2,
      forward_query: true,
      forwarded_headers: true,
    });
  });

  it("returns a deeply frozen object", () => {
    const config = load(["--config", writeConfig(base)]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.default_target)).toBe(true);
    expect(Object.isFrozen(config.default_target?.headers)).toBe(true);
  });

  it("keeps the file's value when the flag is not given (no CLI default overrides it)", () => {
    const path = writeConfig({ ...base, max_concurrent_requests: 4, protocol: "connect" });
    const config = load(["--config", path]);
    expect(config.max_concurrent_requests).toBe(4);
    expect(config.protocol).toBe("connect");
  });

  it("lets an env var beat the file", () => {
    const path = writeConfig({ ...base, max_concurrent_requests: 4, channel: "from-file" });
    const config = load(["--config", path], {
      CONNECTOR_MAX_CONCURRENT_REQUESTS: "7",
      CONNECTOR_CHANNEL: "from-env",
    });
    expect(config.max_concurrent_requests).toBe(7);
    expect(config.channel).toBe("from-env");
  });

  it("lets a given flag beat env and file", () => {
    const path = writeConfig({ ...base, max_concurrent_requests: 4 });
    const config = load(["--config", path, "--max-concurrent-requests", "9", "--channel=flagged"], {
      CONNECTOR_MAX_CONCURRENT_REQUESTS: "7",
      CONNECTOR_CHANNEL: "from-env",
    });
    expect(config.max_concurrent_requests).toBe(9);
    expect(config.channel).toBe("flagged");
  });

  it("sets default_target.url from CONNECTOR_TARGET_URL and --target-url, keeping other target keys", () => {
    const path = writeConfig({
      ...base,
      default_target: { url: "http://file/", timeout_seconds: 5 },
    });
    expect(
      load(["--config", path], { CONNECTOR_TARGET_URL: "http://env/" }).default_target,
    ).toMatchObject({ url: "http://env/", timeout_seconds: 5 });
    expect(
      load(["--config", path, "--target-url", "http://flag/"], {
        CONNECTOR_TARGET_URL: "http://env/",
      }).default_target?.url,
    ).toBe("http://flag/");
  });

  it("runs without a file when env vars carry everything", () => {
    const config = load([], {
      CONNECTOR_CLOUD_URL: "http://127.0.0.1:8000",
      CONNECTOR_CHANNEL: "dev",
      CONNECTOR_TOKEN: "t",
      CONNECTOR_TARGET_URL: "http://127.0.0.1:3000/hook",
      CONNECTOR_PROTOCOL: "grpc",
      CONNECTOR_GROUP: "alice",
      CONNECTOR_ID: "laptop-1",
      CONNECTOR_VERIFY_SSL: "false",
    });
    expect(config).toMatchObject({
      cloud_url: "http://127.0.0.1:8000",
      channel: "dev",
      protocol: "grpc",
      group: "alice",
      connector_id: "laptop-1",
      verify_ssl: false,
    });
  });

  it("treats an empty env var as unset", () => {
    const path = writeConfig({ ...base, group: "team" });
    expect(load(["--config", path], { CONNECTOR_GROUP: "" }).group).toBe("team");
  });

  it("substitutes {$VAR} and {$VAR:default} in the file, values exactly as set", () => {
    const path = writeConfig({
      ...base,
      token: "{$RELAY_TOKEN}",
      default_target: {
        url: "http://localhost:{$TARGET_PORT:3000}/hooks",
        headers: { "X-Api-Key": "{$API_KEY}" },
      },
    });
    const config = load(["--config", path], {
      RELAY_TOKEN: " tok=with$odd\\chars ",
      API_KEY: "k:1",
    });
    expect(config.token).toBe(" tok=with$odd\\chars ");
    expect(config.default_target?.url).toBe("http://localhost:3000/hooks");
    expect(config.default_target?.headers).toEqual({ "X-Api-Key": "k:1" });
  });

  it("resolves relative paths from the file against the file's folder", () => {
    const path = writeConfig({
      ...base,
      default_target: undefined,
      webhooks_config: "webhooks.json",
      connections_config: "./conf/connections.json",
    });
    const config = load(["--config", path]);
    expect(config.webhooks_config).toBe(join(dir, "webhooks.json"));
    expect(config.connections_config).toBe(join(dir, "conf/connections.json"));
  });

  it("returns help without loading anything", () => {
    expect(loadConnectorConfig({ argv: ["--help"], env: {} })).toEqual({ help: true });
  });
});

describe("loadConnectorConfig errors (one line naming source, key and problem)", () => {
  it("names a missing variable with file and key", () => {
    const path = writeConfig({ ...base, token: "{$MISSING_TOKEN}" });
    const error = loadError(["--config", path]);
    expect(error.message).toBe(
      `${path}: token: environment variable MISSING_TOKEN is not set and has no default`,
    );
  });

  it("names the file and key of a bad file value", () => {
    const path = writeConfig({ ...base, max_concurrent_requests: "ten" });
    const error = loadError(["--config", path]);
    expect(error.file).toBe(path);
    expect(error.keyPath).toBe("max_concurrent_requests");
    expect(error.message).not.toContain("\n");
  });

  it("names the env var of a bad env value", () => {
    const error = loadError(["--config", writeConfig(base)], {
      CONNECTOR_MAX_CONCURRENT_REQUESTS: "many",
    });
    expect(error.message).toBe(
      "env CONNECTOR_MAX_CONCURRENT_REQUESTS: max_concurrent_requests: expected a number, got 'many'",
    );
  });

  it("names the flag of a value the schema rejects", () => {
    const error = loadError(["--config", writeConfig(base), "--protocol", "carrier-pigeon"]);
    expect(error.file).toBe("flag --protocol");
    expect(error.keyPath).toBe("protocol");
  });

  it("names the env var of a nested target value", () => {
    const error = loadError(["--config", writeConfig(base)], { CONNECTOR_TARGET_URL: "ftp://x" });
    expect(error.file).toBe("env CONNECTOR_TARGET_URL");
    expect(error.keyPath).toBe("default_target.url");
  });

  it("rejects unknown keys", () => {
    const error = loadError(["--config", writeConfig({ ...base, tokne: "x" })]);
    expect(error.message).toContain("unknown key 'tokne'");
  });

  it("rejects unknown flags in one line", () => {
    const error = loadError(["--frobnicate", "1"]);
    expect(error.file).toBe("command line");
    expect(error.message).toContain("--frobnicate");
    expect(error.message).not.toContain("\n");
  });

  it("rejects both delivery modes at once", () => {
    const error = loadError(["--config", writeConfig({ ...base, webhooks_config: "w.json" })]);
    expect(error.keyPath).toBe("webhooks_config");
    expect(error.problem).toContain("choose one delivery mode");
  });

  it("rejects a config with no delivery mode", () => {
    const { default_target: _unused, ...noMode } = base;
    const error = loadError(["--config", writeConfig(noMode)]);
    expect(error.problem).toContain("no delivery mode");
  });

  it("requires cloud_url", () => {
    const { cloud_url: _unused, ...rest } = base;
    const error = loadError(["--config", writeConfig(rest)]);
    expect(error.keyPath).toBe("cloud_url");
  });

  it("reports invalid JSON with the file name", () => {
    const path = writeConfig("{ not json");
    const error = loadError(["--config", path]);
    expect(error.file).toBe(path);
    expect(error.problem).toMatch(/^invalid JSON/);
  });

  it("reports a missing file", () => {
    const error = loadError(["--config", join(dir, "nope.json")]);
    expect(error.problem).toBe("cannot read the file (ENOENT)");
  });

  it("requires client cert and key together", () => {
    const error = loadError(["--config", writeConfig({ ...base, client_cert_path: "c.pem" })]);
    expect(error.keyPath).toBe("client_key_path");
  });
});

describe("connector config: forward proxy", () => {
  it("sets proxy_url from --proxy over CONNECTOR_PROXY_URL and the file", () => {
    const path = writeConfig({ ...base, proxy_url: "http://file:1", no_proxy: "a.example" });
    expect(load(["--config", path])).toMatchObject({
      proxy_url: "http://file:1",
      no_proxy: "a.example",
    });
    const fromEnv = load(["--config", path], { CONNECTOR_PROXY_URL: "http://env:2" });
    expect(fromEnv.proxy_url).toBe("http://env:2");
    const fromFlag = load(["--config", path, "--proxy", "http://flag:3", "--no-proxy", "b"], {
      CONNECTOR_PROXY_URL: "http://env:2",
    });
    expect(fromFlag).toMatchObject({ proxy_url: "http://flag:3", no_proxy: "b" });
  });

  it("refuses an unusable proxy_url naming the source, without echoing credentials", () => {
    const path = writeConfig(base);
    const error = loadError(["--config", path, "--proxy", "https://alice:hunter2@proxy:3128"]);
    expect(error.message).toBe(
      "flag --proxy: proxy_url: unsupported proxy scheme 'https' (expected http://host:port)",
    );
  });
});
