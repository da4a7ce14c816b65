/**
 * Reading wrk's output: one complete run as wrk 4.1 prints it with
 * `--latency` and our script's status lines, then one thing changed per
 * test. A failure wrk reports must reach the result as a failure.
 */
import { describe, expect, it } from "vitest";
import { wrkLoadResult, wrkScript } from "../../bench/lib/wrk.js";
import { parseWrkOutput, parseWrkTime } from "../../bench/lib/wrk-output.js";

const CLEAN = `Running 5s test @ http://127.0.0.1:41234/webhook/x
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   717.57us  227.14us   5.99ms   90.54%
    Req/Sec    70.50k     3.82k   75.47k    60.00%
  Latency Distribution
     50%  650.00us
     75%  736.00us
     90%    0.90ms
     99%    1.51ms
  250000 requests in 5.00s, 35.20MB read
Requests/sec:  50000.00
Transfer/sec:     11.73MB
wc-done
`;

const FAILING = CLEAN.replace(
  "Requests/sec:",
  `  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 150
Requests/sec:`,
).replace("wc-done", "wc-status 503 100\nwc-status 401 50\nwc-done");

describe("parseWrkTime", () => {
  it.each([
    ["650.00us", 0.65],
    ["1.51ms", 1.51],
    ["5.00s", 5_000],
    ["1.50m", 90_000],
  ])("reads %s as %f ms", (text, ms) => {
    expect(parseWrkTime(text)).toBeCloseTo(ms, 6);
  });

  it("rejects a time without a unit", () => {
    expect(() => parseWrkTime("1.51")).toThrow(/unreadable time/);
  });
});

describe("parseWrkOutput", () => {
  it("reads a clean run", () => {
    expect(parseWrkOutput(CLEAN)).toEqual({
      requests: 250_000,
      durationMs: 5_000,
      requestsPerSecond: 50_000,
      latency: { p50: 0.65, p75: 0.736, p90: 0.9, p99: 1.51, max: 5.99 },
      socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
      errorResponses: 0,
      statuses: {},
      scriptReported: true,
    });
  });

  it("reads socket errors", () => {
    expect(parseWrkOutput(FAILING).socketErrors).toEqual({
      connect: 0,
      read: 2,
      write: 0,
      timeout: 3,
    });
  });

  it("reads the script's non-2xx statuses", () => {
    expect(parseWrkOutput(FAILING).statuses).toEqual({ "503": 100, "401": 50 });
  });

  it("notices when the script did not report", () => {
    expect(parseWrkOutput(CLEAN.replace("wc-done\n", "")).scriptReported).toBe(false);
  });

  it("refuses output without the latency distribution", () => {
    expect(() => parseWrkOutput(CLEAN.replace("     99%    1.51ms\n", ""))).toThrow(/99% latency/);
  });

  it("refuses output without a request count", () => {
    expect(() => parseWrkOutput(CLEAN.replace("250000 requests in", "requests in"))).toThrow(
      /requests in/,
    );
  });
});

describe("wrkLoadResult", () => {
  it("counts a clean run as all 2xx", () => {
    const result = wrkLoadResult(parseWrkOutput(CLEAN));
    expect(result).toMatchObject({ ok: 250_000, failed: 0, okPerSecond: 50_000 });
    expect(result.errors).toEqual([]);
  });

  it("counts non-2xx answers and socket errors as failed, not as throughput", () => {
    const result = wrkLoadResult(parseWrkOutput(FAILING));
    expect(result).toMatchObject({ ok: 249_850, failed: 155, okPerSecond: 49_970 });
    expect(result.statuses).toMatchObject({ "503": 100, "401": 50, "socket error": 5 });
  });

  it("falls back to wrk's own error count when the script did not report", () => {
    const result = wrkLoadResult(parseWrkOutput(FAILING.replace(/^wc-.*\n/gm, "")));
    expect(result).toMatchObject({ ok: 249_850, failed: 155 });
    expect(result.errors.join("\n")).toMatch(/reported no statuses/);
  });
});

describe("wrkScript", () => {
  it("quotes a body that closes the plain long bracket", () => {
    const script = wrkScript({ body: Buffer.from('{"a":"]]"}'), headers: {} });
    expect(script).toContain('wrk.body = [=[{"a":"]]"}]=]');
  });

  it("sets every header", () => {
    const script = wrkScript({ body: Buffer.from("{}"), headers: { "X-Sig": "ab12" } });
    expect(script).toContain("wrk.headers[ [[X-Sig]] ] = [[ab12]]");
  });
});
