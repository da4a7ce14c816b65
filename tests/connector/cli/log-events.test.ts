import { PassThrough } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { logConnectorEvent } from "../../../connector/cli/log-events.js";
import type { ConnectorEvent } from "../../../connector/runner/index.js";

/** The JSON lines an info-level logger writes for `event`. */
function linesLoggedFor(event: ConnectorEvent): Record<string, unknown>[] {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  logConnectorEvent(pino({ level: "info" }, stream), event);
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("connector log lines", () => {
  it("logs one line per transport auto left, naming the reason, before the connected line", () => {
    const out = linesLoggedFor({
      type: "connected",
      transport: "websocket",
      connectionId: "c1",
      channel: "ch",
      group: "default",
      maxInFlight: 8,
      heartbeatIntervalMs: 1000,
      fallbacks: [
        { transport: "grpc", reason: "grpc: HTTP/2 failed: Protocol error" },
        { transport: "connect_http1", reason: "connect_http1: no Welcome within 10000 ms" },
      ],
    });
    expect(out.map((l) => [l["msg"], l["transport"], l["reason"]])).toEqual([
      ["transport failed; falling back", "grpc", "grpc: HTTP/2 failed: Protocol error"],
      [
        "transport failed; falling back",
        "connect_http1",
        "connect_http1: no Welcome within 10000 ms",
      ],
      ["connected", "websocket", undefined],
    ]);
    expect(out[0]?.["using"]).toBe("websocket");
  });

  it("says the forward proxy, not the receiver, refused a connector on a proxy 407", () => {
    const [line] = linesLoggedFor({
      type: "connect_failed",
      code: "WC_ERR_CONNECTOR_PROXY",
      message: "proxy http://p:3128 refused the credentials (407 Proxy Authentication Required)",
      fatal: true,
      error: new Error("407"),
    });
    expect(line?.["msg"]).toMatch(/^the forward proxy refused this connector/);
    expect(line?.["reason"]).toContain("proxy http://p:3128");
  });
});
