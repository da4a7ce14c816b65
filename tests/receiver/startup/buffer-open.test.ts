import { describe, expect, it } from "vitest";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import { bufferStartupError } from "../../../receiver/startup/index.js";

describe("buffer start-up errors", () => {
  it("names the buffer URL without its password", () => {
    const error = bufferStartupError(
      new BufferUnavailableError("cannot connect"),
      "amqps://ops:s3cret-pw@mq.example:5671/prod",
      "WEBHOOK_CONNECT_BUFFER_URL",
    );
    expect(error.message).toContain("amqps://ops:***@mq.example:5671/prod");
    expect(error.message).not.toContain("s3cret-pw");
    expect(error.message).toContain("cannot connect");
  });

  it("names a URL without a password as it was given", () => {
    const error = bufferStartupError(
      new BufferUnavailableError("cannot connect"),
      "nats://127.0.0.1:4222",
      "--buffer",
    );
    expect(error.message).toContain("--buffer nats://127.0.0.1:4222");
  });
});
