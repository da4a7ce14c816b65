import { describe, expect, it } from "vitest";
import { BufferUnavailableError, QueueFullError } from "../../../receiver/errors.js";
import type { IngestRejectedEvent } from "../../../receiver/ingest/index.js";
import { storedMessages, withPublish } from "./buffers.js";
import { type IngestServer, postHead, rawRequest, relayEntry } from "./harness.js";
import { type OnSqliteOptions, startOnSqlite } from "./on-sqlite.js";

const DOCUMENT = {
  hook: relayEntry(),
  blob: relayEntry({}, { data_type: "blob" }),
  logged: { module: "log", "module-config": {} },
};

/** A server for DOCUMENT, or for `document`. */
function start(document: Record<string, unknown> = DOCUMENT, options: OnSqliteOptions = {}) {
  return startOnSqlite(document, options);
}

function nextRejection(current: IngestServer): Promise<IngestRejectedEvent> {
  return current.nextEvent("rejected");
}

describe("ingest: routing errors", () => {
  it("answers 405 with Allow for other methods", async () => {
    const { server } = await start();
    const response = await rawRequest(server.port, "GET /webhook/hook HTTP/1.1\r\nHost: x");
    expect(response.status).toBe(405);
    expect(response.headers["allow"]).toBe("POST, PUT, PATCH");
    expect(response.json()["error"]).toBe("method_not_allowed");
  });

  it("answers 400 for an invalid webhook id", async () => {
    const { server } = await start();
    const response = await rawRequest(server.port, postHead("/webhook/a..b", "{}"), "{}");
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ error: "bad_request", message: "invalid webhook id" });
  });

  it("answers 404 for an unknown webhook", async () => {
    const { server } = await start();
    const response = await rawRequest(server.port, postHead("/webhook/nope", "{}"), "{}");
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({ error: "not_found", message: "unknown webhook 'nope'" });
  });

  it("answers 501 not_relayed for a webhook of another module", async () => {
    const { server } = await start();
    const response = await rawRequest(server.port, postHead("/webhook/logged", "{}"), "{}");
    expect(response.status).toBe(501);
    expect(response.json()["error"]).toBe("not_relayed");
    expect(String(response.json()["message"])).toContain("module 'log'");
  });
});

describe("ingest: content checks", () => {
  it("answers 415 for a non-JSON Content-Type on a json webhook", async () => {
    const { server, buffer } = await start();
    const head = postHead("/webhook/hook", "{}", ["Content-Type: text/plain"]);
    const response = await rawRequest(server.port, head, "{}");
    expect(response.status).toBe(415);
    expect(response.json()["error"]).toBe("unsupported_media_type");
    expect(await storedMessages(buffer)).toHaveLength(0);
  });

  it("answers 415 for a JSON Content-Type with a non-UTF-8 charset", async () => {
    const { server } = await start();
    const head = postHead("/webhook/hook", "{}", [
      "Content-Type: application/json; charset=latin1",
    ]);
    expect((await rawRequest(server.port, head, "{}")).status).toBe(415);
  });

  it("answers 415 for a compressed body on a json webhook", async () => {
    const { server } = await start();
    const head = postHead("/webhook/hook", "{}", [
      "Content-Type: application/json",
      "Content-Encoding: gzip",
    ]);
    expect((await rawRequest(server.port, head, "{}")).status).toBe(415);
  });

  it("answers 400 malformed_json for invalid JSON", async () => {
    const { server, buffer } = await start();
    const body = '{"a":1,}';
    const response = await rawRequest(server.port, postHead("/webhook/hook", body), body);
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({
      error: "malformed_json",
      message: "request body is not valid JSON",
    });
    expect(await storedMessages(buffer)).toHaveLength(0);
  });

  it("answers 400 malformed_json for a body that is not UTF-8", async () => {
    const { server } = await start();
    const body = Buffer.from([0x22, 0xff, 0xfe, 0x22]);
    const response = await rawRequest(server.port, postHead("/webhook/hook", body), body);
    expect(response.status).toBe(400);
    expect(response.json()["message"]).toBe("request body is not valid UTF-8");
  });

  it("does not check the content of blob webhooks", async () => {
    const { server } = await start();
    const body = Buffer.from([0xff, 0x00, 0x7b]);
    const head = postHead("/webhook/blob", body, ["Content-Type: text/plain"]);
    expect((await rawRequest(server.port, head, body)).status).toBe(200);
  });
});

describe("ingest: buffer failures", () => {
  it("answers 503 with Retry-After when the channel is full, storing nothing more", async () => {
    const { server, buffer } = await start({ hook: relayEntry({ max_queue_size: 1 }) });
    expect((await rawRequest(server.port, postHead("/webhook/hook", "1"), "1")).status).toBe(200);
    const rejected = nextRejection(server);
    const response = await rawRequest(server.port, postHead("/webhook/hook", "2"), "2");
    expect(response.status).toBe(503);
    expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
    expect(response.json()["error"]).toBe("channel_full");
    expect((await rejected).code).toBe("WC_ERR_BUFFER_FULL");
    expect((await buffer.stats("ch")).queued).toBe(1);
  });

  it("answers 503 with Retry-After when the buffer is unavailable, storing nothing", async () => {
    const { server, buffer } = await start(DOCUMENT, {
      through: (base) =>
        withPublish(base, () => Promise.reject(new BufferUnavailableError("disk I/O error"))),
    });
    const response = await rawRequest(server.port, postHead("/webhook/hook", "{}"), "{}");
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.json()).toEqual({ error: "buffer_unavailable", message: "disk I/O error" });
    expect((await buffer.stats("ch")).queued).toBe(0);
  });

  it("honours the Retry-After of a QueueFullError", async () => {
    const { server } = await start(DOCUMENT, {
      through: (base) => withPublish(base, () => Promise.reject(new QueueFullError("ch", 10, 30))),
    });
    const response = await rawRequest(server.port, postHead("/webhook/hook", "{}"), "{}");
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("30");
  });

  it("answers 500 internal_error for any other failure, without its message", async () => {
    const cause = new Error("SQLITE_CORRUPT secret detail");
    const { server } = await start(DOCUMENT, {
      through: (base) => withPublish(base, () => Promise.reject(cause)),
    });
    const rejected = nextRejection(server);
    const response = await rawRequest(server.port, postHead("/webhook/hook", "{}"), "{}");
    expect(response.status).toBe(500);
    expect(response.json()["error"]).toBe("internal_error");
    expect(response.body.toString()).not.toContain("secret detail");
    expect((await rejected).cause).toBe(cause);
  });
});
