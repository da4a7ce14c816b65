import { describe, expect, it } from "vitest";
import { formatLag } from "../../../receiver/status/table.js";

describe("status table lag", () => {
  it("reads as people say it", () => {
    expect(formatLag(0)).toBe("0");
    expect(formatLag(0.85)).toBe("850ms");
    expect(formatLag(12.44)).toBe("12.4s");
    expect(formatLag(185)).toBe("3m05s");
    expect(formatLag(7_800)).toBe("2h10m");
    expect(formatLag(undefined)).toBe("-");
  });
});
