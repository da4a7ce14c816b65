import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";
import { buildVerifier } from "./build.js";
import { ingestRequest } from "./request-fixture.js";

const schema = {
  type: "object",
  required: ["event", "data"],
  properties: {
    event: { type: "string" },
    data: {
      type: "object",
      required: ["id"],
      properties: { id: { type: "integer" }, email: { type: "string", format: "email" } },
    },
  },
};

describe("json_schema", () => {
  const verifier = buildVerifier("json_schema", schema);
  const post = (body: unknown) =>
    ingestRequest({ body: typeof body === "string" ? body : JSON.stringify(body) });

  it("runs after authentication", () => {
    expect(verifier.afterAuth).toBe(true);
  });

  it("accepts a matching document", async () => {
    expect(
      await verifier.verify(post({ event: "created", data: { id: 7, email: "a@example.com" } })),
    ).toEqual({ ok: true });
  });

  it("refuses a wrong type with 400 and the path of the first error", async () => {
    const result = await verifier.verify(post({ event: "created", data: { id: "7" } }));
    expect(result).toMatchObject({ ok: false, status: 400, message: "/data/id: must be integer" });
  });

  it("refuses a missing required property", async () => {
    const result = await verifier.verify(post({ event: "created" }));
    expect(result).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining("data"),
    });
  });

  it("validates formats", async () => {
    const result = await verifier.verify(
      post({ event: "x", data: { id: 1, email: "not-an-email" } }),
    );
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining("/data/email") });
  });

  it("refuses a body that is not JSON", async () => {
    expect(await verifier.verify(post("{nope"))).toMatchObject({ ok: false, status: 400 });
  });

  it("supports draft 2020-12 by $schema", async () => {
    const modern = buildVerifier("json_schema", {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "array",
      prefixItems: [{ type: "string" }],
    });
    expect(await modern.verify(post(["a", 1]))).toEqual({ ok: true });
    expect((await modern.verify(post([1]))).ok).toBe(false);
  });

  it("rejects an invalid schema, an unknown keyword and a remote $ref as config errors", () => {
    expect(() => buildVerifier("json_schema", { type: "objekt" })).toThrow(ConfigError);
    expect(() => buildVerifier("json_schema", { type: "object", requird: ["a"] })).toThrow(
      /relay\.json_schema: invalid JSON schema/,
    );
    expect(() =>
      buildVerifier("json_schema", { $ref: "https://evil.example/schema.json" }),
    ).toThrow(ConfigError);
    expect(() => buildVerifier("json_schema", "not a schema")).toThrow(ConfigError);
  });
});
