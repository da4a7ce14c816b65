import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { createVerifiers, loadVerifierBlocks } from "../../../receiver/auth/index.js";
import { testOptions } from "./request-fixture.js";

// The JWT, OAuth 2.0 and JSON Schema blocks' modules load on demand.
await loadVerifierBlocks();

describe("createVerifiers", () => {
  it("builds one verifier per known block, auth first and validators flagged afterAuth", () => {
    const verifiers = createVerifiers(
      "relay",
      {
        data_type: "json",
        module: "webhook_connect",
        "module-config": { channel: "c", channel_token: "t" },
        json_schema: { type: "object" },
        rate_limit: { max_requests: 10, window_seconds: 60 },
        hmac: { provider: "github", secret: "s" },
        ip_whitelist: ["10.0.0.0/8"],
      },
      testOptions(),
    );
    expect(verifiers.map((v) => [v.method, v.afterAuth])).toEqual([
      ["ip_whitelist", false],
      ["hmac", false],
      ["rate_limit", true],
      ["json_schema", true],
    ]);
  });

  it("builds nothing for an entry without auth blocks", () => {
    expect(createVerifiers("open", { module: "log" }, testOptions())).toEqual([]);
  });

  it("reports the file and key of a bad block", () => {
    let error: unknown;
    try {
      createVerifiers("stripe_relay", { hmac: { secret: "s", algorithm: "sha3" } }, testOptions());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe("webhooks.json");
    expect((error as ConfigError).keyPath).toBe("stripe_relay.hmac.algorithm");
    expect((error as ConfigError).message).toBe(
      "webhooks.json: stripe_relay.hmac.algorithm: expected one of sha1, sha256, sha512",
    );
  });
});
