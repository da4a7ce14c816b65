/**
 * X-Forwarded-Proto at the target is the scheme the sender used at the
 * receiver, as the receiver recorded it (WebhookMessage.scheme), not a
 * guess from the connector's own receiver URL: here the connector talks
 * plain http to the receiver, and a sender that came through a trusted
 * proxy over https still arrives as `https` — on the protobuf (gRPC) and
 * on the JSON (SSE) transports.
 */
import { describe, expect, it } from "vitest";
import { closeAfterTest } from "../helpers/close-after-test.js";
import { startTarget } from "../helpers/target.js";
import { e2eBackends, headerOf, Relay } from "./harness.js";

const sqlite = e2eBackends.find((backend) => backend.name === "sqlite")!;

/** A relay on SQLite and a target, both closed when the test ends (the relay first). */
async function relayAndTarget() {
  const target = closeAfterTest(await startTarget());
  const relay = closeAfterTest(new Relay(sqlite));
  return { relay, target };
}

describe("X-Forwarded-Proto from the receiver's recorded scheme e2e", () => {
  it.each(["grpc", "sse"])(
    "a sender behind a trusted https proxy arrives as https (%s)",
    async (protocol) => {
      const { relay, target } = await relayAndTarget();
      await relay.startReceiver([], { WEBHOOK_CONNECT_TRUSTED_PROXIES: "127.0.0.1" });
      relay.startConnector(target.url, { protocol });
      const sent = await relay.send("json_hook", '{"via":"proxy"}', {
        "content-type": "application/json",
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-proto": "https",
      });
      expect(sent.status).toBe(200);
      await target.waitForRequests(1);
      const got = target.requests[0]!;
      expect(headerOf(got.rawHeaders, "x-forwarded-proto")).toBe("https");
      expect(headerOf(got.rawHeaders, "x-forwarded-for")).toBe("198.51.100.7");
    },
    30_000,
  );

  it("a sender's own X-Forwarded-Proto is not believed without a trusted proxy", async () => {
    const { relay, target } = await relayAndTarget();
    await relay.startReceiver();
    relay.startConnector(target.url);
    const sent = await relay.send("json_hook", '{"via":"direct"}', {
      "content-type": "application/json",
      "x-forwarded-proto": "https",
    });
    expect(sent.status).toBe(200);
    await target.waitForRequests(1);
    expect(headerOf(target.requests[0]!.rawHeaders, "x-forwarded-proto")).toBe("http");
  }, 30_000);
});
