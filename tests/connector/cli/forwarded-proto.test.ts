import { describe, expect, it } from "vitest";
import { forwardedProtoOf } from "../../../connector/cli/build.js";

describe("forwardedProtoOf", () => {
  it.each([
    ["https://relay.example.com", "https"],
    ["wss://relay.example.com", "https"],
    ["http://127.0.0.1:8080", "http"],
    ["ws://127.0.0.1:8080", "http"],
  ])("%s → %s", (url, proto) => {
    expect(forwardedProtoOf(url)).toBe(proto);
  });
});
