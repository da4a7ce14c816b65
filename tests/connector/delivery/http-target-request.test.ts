import { describe, expect, it } from "vitest";
import { createHttpTargetDeliverer } from "../../../connector/delivery/http-target.js";
import { answer, closeAfterEach, never, setup, target } from "../helpers/http-target-fixture.js";
import { makeMessage } from "../helpers/messages.js";
import { headerValues } from "../helpers/target-server.js";
import { setupDelivererAgainst } from "./deliverer-against.js";

closeAfterEach();

describe("HTTP target request", () => {
  it("sends the body byte-for-byte, including binary bytes", async () => {
    const { server, deliverer } = await setup(answer(200));
    const body = new Uint8Array(512);
    for (let i = 0; i < body.length; i++) body[i] = i % 256;
    await deliverer.deliver(
      makeMessage({ body, headers: [["Content-Type", "application/octet-stream"]] }),
      never,
    );
    expect(Buffer.compare(server.requests[0]!.body, Buffer.from(body))).toBe(0);
    expect(headerValues(server.requests[0]!, "content-length")).toEqual(["512"]);
    expect(headerValues(server.requests[0]!, "content-type")).toEqual(["application/octet-stream"]);
  });

  it("forwards original headers in order with repeated names, drops hop-by-hop ones", async () => {
    const { server, deliverer } = await setup(answer(200));
    await deliverer.deliver(
      makeMessage({
        id: "m-42",
        webhookId: "stripe",
        attempt: 3,
        body: '{"a":1}',
        headers: [
          ["Content-Type", "application/json"],
          ["Stripe-Signature", "t=1,v1=abc"],
          ["X-Dup", "one"],
          ["Connection", "keep-alive, X-Hop"],
          ["X-Hop", "drop me"],
          ["Keep-Alive", "timeout=5"],
          ["Transfer-Encoding", "chunked"],
          ["Upgrade", "h2c"],
          ["TE", "trailers"],
          ["Trailer", "X-T"],
          ["Proxy-Authorization", "Basic x"],
          ["Host", "relay.example.com"],
          ["Content-Length", "999"],
          ["X-Dup", "two"],
          ["X-Webhook-Id", "spoofed"],
        ],
      }),
      never,
    );
    const request = server.requests[0]!;
    const names = request.headers.map(([n]) => n.toLowerCase());
    // undici manages its own connection (`connection: keep-alive`); the sender's value must not pass.
    expect(headerValues(request, "connection")).not.toContain("keep-alive, X-Hop");
    expect(headerValues(request, "connection").length).toBeLessThanOrEqual(1);
    for (const dropped of [
      "x-hop",
      "keep-alive",
      "transfer-encoding",
      "upgrade",
      "te",
      "trailer",
      "proxy-authorization",
    ]) {
      expect(names).not.toContain(dropped);
    }
    expect(headerValues(request, "x-dup")).toEqual(["one", "two"]);
    expect(headerValues(request, "stripe-signature")).toEqual(["t=1,v1=abc"]);
    expect(headerValues(request, "host")).toEqual([new URL(server.url).host]);
    expect(headerValues(request, "content-length")).toEqual(["7"]);
    expect(headerValues(request, "x-webhook-message-id")).toEqual(["m-42"]);
    expect(headerValues(request, "x-webhook-id")).toEqual(["stripe"]);
    expect(headerValues(request, "x-webhook-attempt")).toEqual(["3"]);
    // Original order of the forwarded headers is kept.
    const order = names.filter((n) => ["content-type", "stripe-signature", "x-dup"].includes(n));
    expect(order).toEqual(["content-type", "stripe-signature", "x-dup", "x-dup"]);
    expect(request.body.toString()).toBe('{"a":1}');
  });

  it("adds target headers, replacing same-named originals", async () => {
    const { server, deliverer } = await setup(answer(200), {
      headers: { "X-Api-Key": "local-key", "x-source": "target" },
    });
    await deliverer.deliver(
      makeMessage({
        headers: [
          ["X-Source", "sender"],
          ["Content-Type", "text/plain"],
        ],
      }),
      never,
    );
    const request = server.requests[0]!;
    expect(headerValues(request, "x-api-key")).toEqual(["local-key"]);
    expect(headerValues(request, "x-source")).toEqual(["target"]);
  });

  it("sends traceparent when the message has one", async () => {
    const { server, deliverer } = await setup(answer(200));
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await deliverer.deliver(
      makeMessage({ traceparent, headers: [["traceparent", "00-old-old-00"]] }),
      never,
    );
    expect(headerValues(server.requests[0]!, "traceparent")).toEqual([traceparent]);
  });

  it("uses the original method and the target path as configured", async () => {
    const { server, deliverer } = await setup(answer(200));
    await deliverer.deliver(makeMessage({ method: "PATCH" }), never);
    expect(server.requests[0]!.method).toBe("PATCH");
    expect(server.requests[0]!.url).toBe("/hooks?src=relay");
  });

  it("appends the original query after the target URL's own query", async () => {
    const { server, deliverer } = await setup(answer(200));
    await deliverer.deliver(makeMessage({ query: "x=1&y=%20z" }), never);
    expect(server.requests[0]!.url).toBe("/hooks?src=relay&x=1&y=%20z");
  });

  it("appends the original query with '?' to a target URL without one", async () => {
    const { server, deliverer } = await setupDelivererAgainst(answer(200), (url) => ({
      defaultTarget: target(`${url}/plain`),
    }));
    await deliverer.deliver(makeMessage({ query: "a=b" }), never);
    await deliverer.deliver(makeMessage({ query: "" }), never);
    expect(server.requests.map((r) => r.url)).toEqual(["/plain?a=b", "/plain"]);
  });

  it("keeps the target URL as configured when forward_query is false", async () => {
    const { server, deliverer } = await setup(answer(200), { forward_query: false });
    await deliverer.deliver(makeMessage({ query: "x=1" }), never);
    expect(server.requests[0]!.url).toBe("/hooks?src=relay");
  });

  it("sends X-Forwarded-For and X-Forwarded-Proto, replacing the sender's", async () => {
    const { server, deliverer } = await setup(answer(200));
    await deliverer.deliver(
      makeMessage({
        sourceIp: "203.0.113.9",
        headers: [
          ["X-Forwarded-For", "10.0.0.1"],
          ["X-Forwarded-Proto", "http"],
        ],
      }),
      never,
    );
    expect(headerValues(server.requests[0]!, "x-forwarded-for")).toEqual(["203.0.113.9"]);
    expect(headerValues(server.requests[0]!, "x-forwarded-proto")).toEqual(["https"]);
  });

  it("sends the scheme the receiver recorded as X-Forwarded-Proto, over the fallback", async () => {
    const { server, deliverer } = await setup(answer(200));
    await deliverer.deliver(makeMessage({ sourceIp: "203.0.113.9", scheme: "http" }), never);
    expect(headerValues(server.requests[0]!, "x-forwarded-proto")).toEqual(["http"]);
  });

  it("adds no X-Forwarded-* and passes the sender's when forwarded_headers is false", async () => {
    const { server, deliverer } = await setup(answer(200), { forwarded_headers: false });
    await deliverer.deliver(
      makeMessage({ sourceIp: "203.0.113.9", headers: [["X-Forwarded-For", "10.0.0.1"]] }),
      never,
    );
    expect(headerValues(server.requests[0]!, "x-forwarded-for")).toEqual(["10.0.0.1"]);
    expect(headerValues(server.requests[0]!, "x-forwarded-proto")).toEqual([]);
  });

  it("sends the buffer's attempt in X-Webhook-Attempt and counts local retries apart", async () => {
    const { server, deliverer } = await setup((_req, res, index) => {
      res.writeHead(index < 2 ? 500 : 200).end();
    });
    await deliverer.deliver(
      makeMessage({ attempt: 4, headers: [["X-Webhook-Local-Retry", "9"]] }),
      never,
    );
    expect(server.requests.map((r) => headerValues(r, "x-webhook-attempt"))).toEqual([
      ["4"],
      ["4"],
      ["4"],
    ]);
    expect(server.requests.map((r) => headerValues(r, "x-webhook-local-retry"))).toEqual([
      ["0"],
      ["1"],
      ["2"],
    ]);
  });

  it("uses the target's method when it sets one", async () => {
    const { server, deliverer } = await setup(answer(200), { method: "PUT" });
    await deliverer.deliver(makeMessage({ method: "POST" }), never);
    expect(server.requests[0]!.method).toBe("PUT");
  });

  it("routes by webhook id to targets, else to default_target", async () => {
    const { server, deliverer } = await setupDelivererAgainst(answer(200), (url) => ({
      defaultTarget: target(`${url}/default`),
      targets: { github: target(`${url}/gh`) },
    }));
    await deliverer.deliver(makeMessage({ webhookId: "github" }), never);
    await deliverer.deliver(makeMessage({ webhookId: "stripe" }), never);
    expect(server.requests.map((r) => r.url)).toEqual(["/gh", "/default"]);
  });

  it("rejects a webhook without any target", async () => {
    const deliverer = createHttpTargetDeliverer({ targets: {} });
    expect(await deliverer.deliver(makeMessage({ webhookId: "nobody" }), never)).toEqual({
      kind: "reject",
      reason: "no target configured for webhook 'nobody'",
    });
  });
});
