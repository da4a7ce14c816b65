import { describe, expect, it } from "vitest";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import { bufferStartupError } from "../../../receiver/startup/index.js";

/** The start-up error's message for a buffer at `url` (from `source`) that cannot connect. */
function cannotConnectMessage(url: string, source: string): string {
  return bufferStartupError(new BufferUnavailableError("cannot connect"), url, source).message;
}

describe("buffer start-up errors", () => {
  it("names the buffer URL without its password", () => {
    const message = cannotConnectMessage(
      "amqps://ops:s3cret-pw@mq.example:5671/prod",
      "WEBHOOK_CONNECT_BUFFER_URL",
    );
    expect(message).toContain("amqps://ops:***@mq.example:5671/prod");
    expect(message).not.toContain("s3cret-pw");
    expect(message).toContain("cannot connect");
  });

  it("names a URL without a password as it was given", () => {
    expect(cannotConnectMessage("nats://127.0.0.1:4222", "--buffer")).toContain(
      "--buffer nats://127.0.0.1:4222",
    );
  });
});
