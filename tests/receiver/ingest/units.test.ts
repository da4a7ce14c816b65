import { describe, expect, it } from "vitest";
import {
  checkJsonBody,
  checkJsonContentHeaders,
  isJsonMediaType,
} from "../../../receiver/ingest/content.js";
import {
  isValidTraceparent,
  MalformedJsonError,
  newTraceparent,
  UnsupportedContentError,
} from "../../../receiver/ingest/index.js";
import { headerPairs, splitTarget, unwrapMappedIPv4 } from "../../../receiver/ingest/request.js";

/** One test per row: `name(value)` answers the row's boolean. */
function itAnswers(name: string, predicate: (value: string) => boolean, rows: [string, boolean][]) {
  it.each(rows)(`${name}(%j) is %s`, (value, expected) => {
    expect(predicate(value)).toBe(expected);
  });
}

describe("JSON content checks", () => {
  itAnswers("isJsonMediaType", isJsonMediaType, [
    ["application/json", true],
    ["Application/JSON; charset=utf-8", true],
    ["application/vnd.github+json", true],
    ["application/cloudevents+json; charset=UTF-8", true],
    ["text/plain", false],
    ["application/json-patch", false],
    ["+json", false],
    ["application/+json", false],
    ["text/html; x=application/json", false],
  ]);

  it("accepts a missing Content-Type and identity encoding", () => {
    expect(() => checkJsonContentHeaders(undefined, undefined)).not.toThrow();
    expect(() => checkJsonContentHeaders("application/json", "identity")).not.toThrow();
  });

  it("refuses a UTF-16 charset", () => {
    expect(() => checkJsonContentHeaders('application/json; charset="utf-16"', undefined)).toThrow(
      UnsupportedContentError,
    );
  });

  it("accepts a UTF-8 byte order mark and refuses an empty body", () => {
    expect(() => checkJsonBody(Buffer.from("\uFEFF{}", "utf8"))).not.toThrow();
    expect(() => checkJsonBody(Buffer.alloc(0))).toThrow(MalformedJsonError);
  });

  it("leaves the checked bytes untouched", () => {
    const body = Buffer.from('{ "a" : "\\u0041" }');
    const copy = Buffer.from(body);
    checkJsonBody(body);
    expect(body.equals(copy)).toBe(true);
  });
});

describe("traceparent", () => {
  itAnswers("isValidTraceparent", isValidTraceparent, [
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true],
    ["01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", true],
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false],
    ["ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false],
    ["00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false],
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false],
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false],
  ]);

  it("generates valid, distinct traceparents", () => {
    const first = newTraceparent();
    expect(isValidTraceparent(first)).toBe(true);
    expect(newTraceparent()).not.toBe(first);
  });
});

describe("request parts", () => {
  it("unwraps IPv4-mapped IPv6 addresses only", () => {
    expect(unwrapMappedIPv4("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(unwrapMappedIPv4("::FFFF:10.0.0.1")).toBe("10.0.0.1");
    expect(unwrapMappedIPv4("2001:db8::1")).toBe("2001:db8::1");
    expect(unwrapMappedIPv4("::ffff:2001:db8")).toBe("::ffff:2001:db8");
  });

  it("splits the target at the first question mark", () => {
    expect(splitTarget("/webhook/a?x=1?y")).toEqual({ path: "/webhook/a", query: "x=1?y" });
    expect(splitTarget("/webhook/a")).toEqual({ path: "/webhook/a", query: "" });
  });

  it("drops HTTP/2 pseudo-headers and keeps the rest in order", () => {
    expect(headerPairs([":path", "/", "B", "1", "a", "2"])).toEqual([
      { name: "B", value: "1" },
      { name: "a", value: "2" },
    ]);
  });
});
