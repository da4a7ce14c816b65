/**
 * The `hmac` block: either a generic scheme (`secret`, `header`, `algorithm`,
 * `encoding`, `prefix`) or a provider preset (`provider`, `secret`, optional
 * `header` and `tolerance_seconds` overrides).
 */
import { z } from "zod";
import {
  type BlockLocation,
  configError,
  oneOf,
  parseBlock,
  positiveInt,
  text,
  textList,
} from "../block-config.js";
import {
  type HmacScheme,
  hmacAlgorithms,
  type ProviderScheme,
  providerNames,
  providerSchemes,
  signatureEncodings,
} from "./presets.js";
import { isBase64 } from "./signature-header.js";

const genericSchema = z.strictObject({
  /** Shared secret, or a list of secrets accepted during a rotation. */
  secret: textList(),
  /** Signature header. @default "X-Hub-Signature-256" */
  header: text().default("X-Hub-Signature-256"),
  /** @default "sha256" */
  algorithm: oneOf(hmacAlgorithms).default("sha256"),
  /** @default "hex" */
  encoding: oneOf(signatureEncodings).default("hex"),
  /** Text before the signature, e.g. `sha256=`. */
  prefix: z.string({ error: "expected a string" }).optional(),
});

const providerSchema = z.strictObject({
  provider: oneOf(providerNames),
  secret: textList(),
  /** Overrides the preset's signature (or token) header. */
  header: text().optional(),
  /** Overrides the preset's timestamp tolerance. */
  tolerance_seconds: positiveInt().optional(),
});

/** A validated hmac block: the scheme to apply and the key bytes to try. */
export interface HmacSettings {
  readonly scheme: ProviderScheme;
  /** Keys in configured order (several during a secret rotation). */
  readonly keys: readonly Buffer[];
}

function keyBytes(secret: string, scheme: ProviderScheme, at: BlockLocation): Buffer {
  if (scheme.kind === "token" || scheme.secretFormat === "text") return Buffer.from(secret, "utf8");
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!isBase64(encoded)) throw configError(at, "secret", "expected whsec_ followed by base64");
  return Buffer.from(encoded, "base64");
}

/** Parses an hmac block; throws ConfigError naming the key on any problem. */
export function parseHmacBlock(block: unknown, at: BlockLocation): HmacSettings {
  if (typeof block === "object" && block !== null && "provider" in block) {
    const config = parseBlock(providerSchema, block, at);
    const preset: ProviderScheme = providerSchemes[config.provider];
    let scheme: ProviderScheme = preset;
    if (preset.kind === "token") {
      scheme = { ...preset, header: config.header ?? preset.header };
    } else {
      const timestamp =
        preset.timestamp === undefined
          ? undefined
          : {
              ...preset.timestamp,
              toleranceSeconds: config.tolerance_seconds ?? preset.timestamp.toleranceSeconds,
            };
      if (timestamp === undefined && config.tolerance_seconds !== undefined) {
        throw configError(
          at,
          "tolerance_seconds",
          `provider ${config.provider} is not timestamped`,
        );
      }
      const { timestamp: _omit, ...rest } = preset;
      scheme = {
        ...rest,
        signatureHeader: config.header ?? preset.signatureHeader,
        ...(timestamp === undefined ? {} : { timestamp }),
      };
    }
    return { scheme, keys: config.secret.map((secret) => keyBytes(secret, scheme, at)) };
  }
  const config = parseBlock(genericSchema, block, at);
  const scheme: HmacScheme = {
    kind: "hmac",
    algorithm: config.algorithm,
    encoding: config.encoding,
    signatureHeader: config.header,
    // Without a configured prefix, a hex signature may still carry `<algorithm>=`
    // (GitHub style); '=' is not a hex digit, so this is unambiguous.
    signatureFormat: { kind: "prefixed", prefix: config.prefix ?? "" },
    basestring: "{body}",
    secretFormat: "text",
  };
  return { scheme, keys: config.secret.map((secret) => keyBytes(secret, scheme, at)) };
}

/** True when a generic scheme accepts the `<algorithm>=` prefix implicitly. */
export function acceptsImplicitPrefix(scheme: HmacScheme): boolean {
  return (
    scheme.basestring === "{body}" &&
    scheme.encoding === "hex" &&
    scheme.signatureFormat.kind === "prefixed" &&
    scheme.signatureFormat.prefix === ""
  );
}
