/**
 * The `json_schema` block: the JSON body must validate against the given
 * schema (draft-07 by default; 2019-09 and 2020-12 by `$schema`). Runs
 * after authentication. A schema that does not compile — unknown keyword,
 * unresolvable `$ref` (remote references are never fetched) — is a config
 * error.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { type BlockLocation, configError } from "./block-config.js";
import type { IngestRequest, Verifier, VerifyResult } from "./verifier.js";

// ajv-formats is CommonJS; its default export arrives under `default` in NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function compile(schema: Record<string, unknown>, at: BlockLocation): ValidateFunction {
  const dialect = typeof schema["$schema"] === "string" ? schema["$schema"] : "";
  // Unknown keywords are config errors (likely typos); stylistic strictness
  // (tuple and type hints) is not, and nothing is ever logged.
  const options = {
    allErrors: false,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    validateFormats: true,
    logger: false as const,
  };
  const ajv = dialect.includes("2020-12")
    ? new Ajv2020(options)
    : dialect.includes("2019-09")
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv as Ajv);
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw configError(
      at,
      "",
      `invalid JSON schema: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Builds the `json_schema` verifier. Throws ConfigError for an invalid schema. */
export function createJsonSchemaVerifier(block: unknown, at: BlockLocation): Verifier {
  if (typeof block !== "object" || block === null || Array.isArray(block)) {
    throw configError(at, "", "expected a JSON schema object");
  }
  const validate = compile(block as Record<string, unknown>, at);
  const verify = (request: IngestRequest): VerifyResult => {
    let document: unknown;
    try {
      document = JSON.parse(request.body.toString("utf8"));
    } catch {
      return {
        ok: false,
        reason: "json_schema: body is not JSON",
        status: 400,
        message: "body is not JSON",
      };
    }
    if (validate(document)) return { ok: true };
    const first = validate.errors?.[0];
    const path = first === undefined || first.instancePath === "" ? "/" : first.instancePath;
    const message = `${path}: ${first?.message ?? "does not match the schema"}`;
    return { ok: false, reason: `json_schema: ${message}`, status: 400, message };
  };
  return { method: "json_schema", afterAuth: true, verify };
}
