/** The config-free start of issue 16: --forward-to, ./connector.json, required keys. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConfigError } from "../../../config-file/config-error.js";
import { loadConnectorConfig } from "../../../connector/config/load.js";
import { configErrorOf } from "./config-error-of.js";

const required = ["--cloud-url", "https://relay.example.com", "--channel", "demo", "--token", "t"];
const empty = mkdtempSync(join(tmpdir(), "wc-one-line-"));

function load(argv: string[], cwd = empty, env: Record<string, string> = {}) {
  const loaded = loadConnectorConfig({ argv, env, cwd });
  if (loaded.help) throw new Error("unexpected --help");
  return loaded;
}

function problem(argv: string[], cwd = empty): ConfigError {
  return configErrorOf(() => load(argv, cwd));
}

describe("one-line connector start", () => {
  it.each([
    ["localhost:3000/webhooks", "http://localhost:3000/webhooks"],
    ["127.0.0.1:8080", "http://127.0.0.1:8080/"],
    ["3000", "http://localhost:3000/"],
    ["3000/webhooks", "http://localhost:3000/webhooks"],
    [":3000/hooks", "http://localhost:3000/hooks"],
    ["https://app.internal/hooks?x=1", "https://app.internal/hooks?x=1"],
  ])("--forward-to %s targets %s", (given, url) => {
    const { config } = load([...required, "--forward-to", given]);
    expect(new URL(config.default_target!.url).href).toBe(url);
  });

  it("takes CONNECTOR_FORWARD_TO from the environment", () => {
    const { config } = load(required, empty, { CONNECTOR_FORWARD_TO: "localhost:4000/x" });
    expect(config.default_target?.url).toBe("http://localhost:4000/x");
  });

  it("rejects a --forward-to that is no http URL, naming the flag", () => {
    const error = problem([...required, "--forward-to", "ftp://files.example.com"]);
    expect(error.message).toContain("flag --forward-to");
    expect(error.keyPath).toBe("default_target.url");
  });

  it("reads ./connector.json when present and no --config is given", () => {
    const cwd = mkdtempSync(join(tmpdir(), "wc-cwd-"));
    writeFileSync(
      join(cwd, "connector.json"),
      JSON.stringify({
        cloud_url: "https://relay.example.com",
        channel: "from-file",
        token: "t",
        default_target: { url: "http://localhost:3000/webhooks" },
      }),
    );
    const loaded = load([], cwd);
    expect(loaded.config.channel).toBe("from-file");
    expect(loaded.configFile).toBe(join(cwd, "connector.json"));
    // A flag still beats the file.
    expect(load(["--channel", "flagged"], cwd).config.channel).toBe("flagged");
  });

  it("says how to give a missing cloud_url", () => {
    const error = problem(["--channel", "demo", "--token", "t", "--forward-to", "3000"]);
    expect(error.keyPath).toBe("cloud_url");
    expect(error.problem).toBe(
      'is required: give --cloud-url URL, set CONNECTOR_CLOUD_URL, or put "cloud_url" in connector.json',
    );
  });

  it("says how to give a delivery mode", () => {
    const error = problem(required);
    expect(error.problem).toContain("--forward-to HOST:PORT/PATH");
  });

  it("defaults log_format to auto and accepts pretty and json", () => {
    expect(load([...required, "--forward-to", "3000"]).config.log_format).toBe("auto");
    expect(
      load([...required, "--forward-to", "3000", "--log-format", "json"]).config.log_format,
    ).toBe("json");
    expect(problem([...required, "--forward-to", "3000", "--log-format", "fancy"]).keyPath).toBe(
      "log_format",
    );
  });
});

describe("connector config errors as precise as the receiver's", () => {
  /** The required keys of connector.json, without a delivery mode. */
  const minimalFile = { cloud_url: "https://relay.example.com", channel: "c", token: "t" };

  function fileProblem(text: string): ConfigError {
    const cwd = mkdtempSync(join(tmpdir(), "wc-bad-"));
    writeFileSync(join(cwd, "connector.json"), text);
    return problem([], cwd);
  }

  it("gives the line and column of invalid JSON without echoing the text", () => {
    const error = fileProblem(
      '{\n  "cloud_url": "https://relay.example.com",\n  "token": "s3cret",,\n}\n',
    );
    expect(error.problem).toBe(
      "invalid JSON at line 3, column 21: expected a property name in double quotes, found ','",
    );
    expect(error.message).not.toContain("s3cret");
  });

  it("names the allowed keys and the one meant for an unknown key", () => {
    const error = fileProblem(
      JSON.stringify({
        ...minimalFile,
        tokne: "t",
        default_target: { url: "http://localhost:3000" },
      }),
    );
    expect(error.problem).toMatch(
      /^unknown key 'tokne' \(did you mean 'token'\?\); allowed: cloud_url, channel, token, /,
    );
  });

  it("lists a target's keys for an unknown key in default_target", () => {
    const error = fileProblem(
      JSON.stringify({
        ...minimalFile,
        default_target: { url: "http://localhost:3000", timeout: 5 },
      }),
    );
    expect(error.keyPath).toBe("default_target");
    expect(error.problem).toContain(
      "unknown key 'timeout'; allowed: url, method, headers, timeout_seconds",
    );
  });
});
