import { afterEach, describe, expect, it } from "vitest";
import { blobMessage, deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

let built: TestDeliverer | undefined;
afterEach(async () => {
  await built?.close();
  built = undefined;
});

describe("log module", () => {
  it("writes one JSON line with metadata, headers and the parsed payload", async () => {
    built = await deliverFrom({ hook: { module: "log" } });
    const message = jsonMessage({ event: "paid", amount: 12 });
    expect(await built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const lines = built.output.text.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record["message_id"]).toBe(message.messageId);
    expect(record["webhook_id"]).toBe("hook");
    expect(record["received_at"]).toBe("2025-03-04T05:06:07.089Z");
    expect(record["payload"]).toEqual({ event: "paid", amount: 12 });
    expect(record["headers"]).toMatchObject({ "x-trace": "one, two" });
  });

  it("pretty-prints with pretty_print", async () => {
    built = await deliverFrom({ hook: { module: "log", "module-config": { pretty_print: true } } });
    await built.deliverer.deliver(jsonMessage({ nested: { a: 1 } }), never);
    expect(built.output.text).toContain('"nested": {\n    "a": 1\n  }');
    expect(built.output.text).toContain("WEBHOOK RECEIVED");
  });

  it("redacts secret-looking keys by default, and not with redact_sensitive false", async () => {
    built = await deliverFrom({
      hook: { module: "log" },
      raw: { module: "log", "module-config": { redact_sensitive: false } },
    });
    await built.deliverer.deliver(jsonMessage({ password: "hunter2", user: "ann" }), never);
    expect(built.output.text).not.toContain("hunter2");
    expect(built.output.text).toContain("[REDACTED]");
    expect(built.output.text).toContain("ann");
    await built.deliverer.deliver(
      jsonMessage({ password: "hunter2" }, { webhookId: "raw" }),
      never,
    );
    expect(built.output.text).toContain("hunter2");
  });

  it("reports binary bodies by size", async () => {
    built = await deliverFrom({ hook: { module: "log", data_type: "blob" } });
    await built.deliverer.deliver(blobMessage(new Uint8Array([0, 255, 1])), never);
    expect(JSON.parse(built.output.text)).toMatchObject({ payload: { binary_bytes: 3 } });
  });
});
