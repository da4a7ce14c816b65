import { once } from "node:events";
import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { QueueFullError } from "../../../receiver/errors.js";
import { sendError } from "../../../receiver/server/send.js";
import { rawRequest } from "../ingest/harness.js";

describe("sendError", () => {
  async function answer(error: unknown) {
    const server = createServer((_req, res) => sendError(res, error));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    try {
      return await rawRequest(address.port, "GET / HTTP/1.1\r\nHost: x");
    } finally {
      server.close();
    }
  }

  it("writes the error body, status and Retry-After of a WebhookConnectError", async () => {
    const response = await answer(new QueueFullError("ch", 10, 7));
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("7");
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(response.json()).toEqual({
      error: "channel_full",
      message: "channel 'ch' is full (10 messages queued)",
    });
  });

  it("answers anything else with a generic 500", async () => {
    const response = await answer(new Error("password=hunter2"));
    expect(response.status).toBe(500);
    expect(response.json()).toEqual({ error: "internal_error", message: "internal error" });
  });
});
