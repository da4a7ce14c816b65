import { describe, expect, it } from "vitest";
import { colorsWanted, paletteFor } from "../../../connector/cli/ansi.js";
import { deliveryLine, logRecordLine, summaryLine } from "../../../connector/cli/pretty-lines.js";

const plain = paletteFor(false);
const at = new Date(2026, 0, 2, 3, 4, 5);
const facts = {
  messageId: "01JMSG",
  webhookId: "demo",
  deliveryAttempt: 1,
  method: "POST",
  path: "/webhook/demo",
  query: "x=1",
  durationMs: 12,
};

describe("pretty lines", () => {
  it("shows time, method, path with query, status, duration and id", () => {
    expect(deliveryLine({ type: "delivered", ...facts, status: 200 }, plain, at)).toBe(
      "03:04:05  POST  /webhook/demo?x=1  → 200     12 ms  01JMSG\n",
    );
  });

  it("says why a delivery failed, its buffer attempt and its tries", () => {
    const line = deliveryLine(
      {
        type: "failed",
        ...facts,
        query: "",
        deliveryAttempt: 2,
        retry: true,
        reason: "target answered HTTP 503",
        status: 503,
        attempts: 3,
      },
      plain,
      at,
    );
    expect(line).toBe(
      "03:04:05  POST  /webhook/demo  → 503     12 ms  01JMSG  attempt 2  will be redelivered: target answered HTTP 503 (3 tries)\n",
    );
  });

  it("shows --- when the target never answered", () => {
    const line = deliveryLine(
      { type: "failed", ...facts, retry: true, reason: "target timed out after 30 s" },
      plain,
      at,
    );
    expect(line).toContain("→ ---");
  });

  it("colours by outcome", () => {
    const colours = paletteFor(true);
    expect(deliveryLine({ type: "delivered", ...facts, status: 200 }, colours, at)).toContain(
      "\u001b[32m",
    );
    const rejected = { type: "failed" as const, ...facts, retry: false, reason: "HTTP 404" };
    expect(deliveryLine(rejected, colours, at)).toContain("\u001b[31m");
    expect(deliveryLine({ ...rejected, retry: true }, colours, at)).toContain("\u001b[33m");
  });

  it("summarises a drain", () => {
    expect(
      summaryLine({ delivered: 12345, failed: 2, inFlight: 40, perSecond: 811.6 }, plain, at),
    ).toBe("03:04:05  ⋯ 12,345 delivered, 2 failed · 40 in flight · 812 msg/s\n");
  });

  it("shows what remains of the backlog when the receiver reported it", () => {
    expect(
      summaryLine(
        { delivered: 80, failed: 0, remaining: 1200, inFlight: 40, perSecond: 95 },
        plain,
        at,
      ),
    ).toBe("03:04:05  ⋯ 80 delivered · 1,200 remaining · 40 in flight · 95 msg/s\n");
  });

  it("turns a log record into one line with its fields", () => {
    const line = logRecordLine(
      {
        level: 40,
        time: at.getTime(),
        service: "x",
        msg: "connect failed",
        code: "WC_X",
        reason: "a b",
      },
      plain,
    );
    expect(line).toBe('03:04:05  WARN  connect failed  code=WC_X reason="a b"\n');
  });

  it("colours a terminal unless NO_COLOR, and anything with FORCE_COLOR", () => {
    expect(colorsWanted({ isTTY: true }, {})).toBe(true);
    expect(colorsWanted({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorsWanted({}, {})).toBe(false);
    expect(colorsWanted({}, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorsWanted({}, { FORCE_COLOR: "0" })).toBe(false);
  });
});
