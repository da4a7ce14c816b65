/**
 * `http_webhook` delivers through the HTTP-mode deliverer: the same
 * response classification (3xx retried, Retry-After passed on) and the
 * same hop-by-hop stripping as HTTP mode, each checked against real
 * node:http servers on port 0.
 */
import { describe, expect, it } from "vitest";
import { createHttpTargetDeliverer } from "../../../../connector/delivery/http-target.js";
import { target as httpModeTarget } from "../../helpers/http-target-fixture.js";
import { makeMessage } from "../../helpers/messages.js";
import { answer, closeAfterEach, closeLater, server } from "../closed-after-each.js";
import { deliverFrom, never } from "../helpers.js";

closeAfterEach();

async function module(moduleConfig: Record<string, unknown>) {
  const built = await deliverFrom({
    stripe: { module: "http_webhook", "module-config": moduleConfig },
  });
  closeLater(built.close);
  return built.deliverer;
}

describe("http_webhook follows HTTP mode's rules", () => {
  it.each([301, 302, 303, 307, 308])("retries a %i, as HTTP mode does", async (status) => {
    const target = await server(answer(status, { Location: "/elsewhere" }));
    const d = await module({ url: `${target.url}/in` });
    expect(await d.deliver(makeMessage(), never)).toEqual({
      kind: "retry",
      reason: `http_webhook: POST ${target.url}/in: target answered HTTP ${status}`,
    });
    // undici follows no redirect: one request, to the configured URL.
    expect(target.requests.map((r) => r.url)).toEqual(["/in"]);
  });

  it("passes a 503's Retry-After on as the nack delay", async () => {
    const target = await server(answer(503, { "Retry-After": "120" }));
    const d = await module({ url: `${target.url}/in` });
    expect(await d.deliver(makeMessage(), never)).toMatchObject({
      kind: "retry",
      delayMs: 120_000,
    });
  });

  it("passes a 429's Retry-After given as an HTTP-date on", async () => {
    const at = new Date(Date.now() + 600_000).toUTCString();
    const target = await server(answer(429, { "Retry-After": at }));
    const d = await module({ url: `${target.url}/in` });
    const outcome = await d.deliver(makeMessage(), never);
    expect(outcome.kind).toBe("retry");
    const delayMs = outcome.kind === "retry" ? (outcome.delayMs ?? 0) : 0;
    // One-second resolution of the date, and the time the delivery took.
    expect(delayMs).toBeGreaterThan(590_000);
    expect(delayMs).toBeLessThanOrEqual(600_000);
  });

  it("strips exactly the hop-by-hop headers HTTP mode strips, sending the same request", async () => {
    const message = makeMessage({
      id: "same-message",
      body: '{"a":1}',
      headers: [
        ["Content-Type", "application/json"],
        ["Stripe-Signature", "t=1,v1=abc"],
        ["Connection", "keep-alive, X-Hop"],
        ["X-Hop", "listed in Connection"],
        ["Keep-Alive", "timeout=5"],
        ["HTTP2-Settings", "AAMAAABkAAQAAP__"],
        ["Proxy-Foo", "proxy-only"],
        ["Proxy-Authorization", "Basic x"],
        ["TE", "trailers"],
        ["Trailer", "X-T"],
        ["Upgrade", "h2c"],
        ["Transfer-Encoding", "chunked"],
        ["Expect", "100-continue"],
        ["Host", "relay.example.com"],
        ["Content-Length", "999"],
        ["X-Dup", "one"],
        ["X-Dup", "two"],
      ],
    });
    const viaModule = await server(answer(200));
    const viaHttpMode = await server(answer(200));
    const d = await module({ url: `${viaModule.url}/in`, forward_headers: true });
    const httpMode = createHttpTargetDeliverer({
      // HTTP mode with the settings http_webhook maps onto: its URL as given, no X-Forwarded-*.
      defaultTarget: httpModeTarget(`${viaHttpMode.url}/in`, {
        forward_query: false,
        forwarded_headers: false,
      }),
    });
    closeLater(() => httpMode.close());
    expect((await d.deliver(message, never)).kind).toBe("ack");
    expect((await httpMode.deliver(message, never)).kind).toBe("ack");
    const [fromModule] = viaModule.requests;
    const [fromHttpMode] = viaHttpMode.requests;
    const withoutHost = (headers: readonly (readonly [string, string])[]) =>
      headers.filter(([name]) => name.toLowerCase() !== "host");
    expect(withoutHost(fromModule!.headers)).toEqual(withoutHost(fromHttpMode!.headers));
    expect(fromModule!.body).toEqual(fromHttpMode!.body);
    const names = fromModule!.headers.map(([name]) => name.toLowerCase());
    for (const dropped of ["x-hop", "keep-alive", "http2-settings", "proxy-foo", "expect"]) {
      expect(names).not.toContain(dropped);
    }
  });
});
