/**
 * The `handshake` block of a webhooks.json entry: which provider's
 * endpoint handshake the receiver answers itself, and the secret it needs.
 * The secret may come from the entry's `hmac` block, so a provider's signing
 * secret is written once.
 */
import { z } from "zod";
import { ConfigError } from "../../config-file/index.js";
import { configErrorMap, issueToConfigError } from "./issues.js";
import { positiveSeconds } from "./values.js";

/** Providers whose handshake the receiver answers. */
export const HANDSHAKE_PROVIDERS = [
  "slack",
  "zoom",
  "microsoft-graph",
  "dropbox",
  "twitter-crc",
] as const;

/** A provider whose handshake the receiver answers. */
export type HandshakeProvider = (typeof HANDSHAKE_PROVIDERS)[number];

/** Providers whose handshake is verified or answered with an HMAC of the webhook secret. */
const NEEDS_SECRET: Readonly<Record<HandshakeProvider, boolean>> = {
  slack: true,
  zoom: true,
  "microsoft-graph": false,
  dropbox: false,
  "twitter-crc": true,
};

/** A week: no provider signs a handshake that long before sending it. */
const MAX_TOLERANCE_SECONDS = 604_800;
/** Slack's documented replay window, also used for Zoom. */
const DEFAULT_TOLERANCE_SECONDS = 300;

const secretText = z
  .string({ error: "expected a string or a list of strings" })
  .min(1, { error: "expected a non-empty string" });

const secretList = z
  .union([secretText, z.array(secretText).min(1, { error: "expected at least one secret" })], {
    error: "expected a string or a list of strings",
  })
  .transform((value) => (typeof value === "string" ? [value] : value));

const handshakeSchema = z.strictObject({
  /** The provider whose handshake is answered. Required. */
  provider: z.enum(HANDSHAKE_PROVIDERS, {
    error: (issue) =>
      issue.input === undefined
        ? "is required"
        : `expected one of ${HANDSHAKE_PROVIDERS.join(", ")}`,
  }),
  /**
   * Signing secret (Slack signing secret, Zoom secret token, X consumer
   * secret), or a list during a rotation. @default the `hmac` block's `secret`
   */
  secret: secretList.optional(),
  /** Oldest accepted handshake timestamp, seconds (Slack, Zoom). @default 300 */
  tolerance_seconds: positiveSeconds(MAX_TOLERANCE_SECONDS).optional(),
});

const HANDSHAKE_KEYS = Object.keys(handshakeSchema.shape);

/** A validated `handshake` block. */
export interface HandshakeSettings {
  /** The provider whose handshake is answered. */
  readonly provider: HandshakeProvider;
  /** Secrets in configured order (several during a rotation); empty when the provider needs none. */
  readonly secrets: readonly string[];
  /** Oldest accepted signed handshake, seconds. @default 300 */
  readonly toleranceSeconds: number;
  /**
   * Signature header when the `hmac` block is the same provider's preset
   * with a `header` override (e.g. a proxy renames it); else the provider's.
   */
  readonly signatureHeader?: string;
}

function hmacSecrets(file: string, id: string, hmac: unknown): string[] | undefined {
  if (hmac === null || typeof hmac !== "object" || !("secret" in hmac)) return undefined;
  const parsed = secretList.safeParse((hmac as { secret: unknown }).secret, {
    error: configErrorMap,
  });
  if (!parsed.success) throw issueToConfigError(file, [id, "hmac", "secret"], parsed.error);
  return parsed.data;
}

function hmacHeaderOverride(provider: HandshakeProvider, hmac: unknown): string | undefined {
  if (hmac === null || typeof hmac !== "object") return undefined;
  const block = hmac as { provider?: unknown; header?: unknown };
  return block.provider === provider && typeof block.header === "string" && block.header !== ""
    ? block.header.toLowerCase()
    : undefined;
}

function hmacTolerance(hmac: unknown): number | undefined {
  if (hmac === null || typeof hmac !== "object") return undefined;
  const value = (hmac as { tolerance_seconds?: unknown }).tolerance_seconds;
  // The hmac block validates its own value; any positive number it holds is taken.
  const parsed = positiveSeconds(Number.MAX_SAFE_INTEGER).safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Validates the `handshake` block of entry `id`. The secret and tolerance
 * default to the entry's `hmac` block when it has them. Throws ConfigError.
 */
export function parseHandshakeBlock(
  file: string,
  id: string,
  block: unknown,
  hmac: unknown,
): HandshakeSettings {
  const parsed = handshakeSchema.safeParse(block, { error: configErrorMap });
  if (!parsed.success) {
    throw issueToConfigError(file, [id, "handshake"], parsed.error, HANDSHAKE_KEYS);
  }
  const { provider } = parsed.data;
  let secrets: readonly string[] = [];
  if (NEEDS_SECRET[provider]) {
    const found = parsed.data.secret ?? hmacSecrets(file, id, hmac);
    if (found === undefined) {
      throw new ConfigError(
        file,
        `${id}.handshake.secret`,
        `is required for provider ${provider} (or set hmac.secret on the webhook)`,
      );
    }
    secrets = found;
  } else if (parsed.data.secret !== undefined) {
    throw new ConfigError(
      file,
      `${id}.handshake.secret`,
      `provider ${provider} does not use a secret for its handshake`,
    );
  }
  const signed = provider === "slack" || provider === "zoom";
  if (!signed && parsed.data.tolerance_seconds !== undefined) {
    throw new ConfigError(
      file,
      `${id}.handshake.tolerance_seconds`,
      `provider ${provider} does not timestamp its handshake`,
    );
  }
  const signatureHeader = signed ? hmacHeaderOverride(provider, hmac) : undefined;
  return {
    provider,
    secrets,
    toleranceSeconds:
      parsed.data.tolerance_seconds ?? hmacTolerance(hmac) ?? DEFAULT_TOLERANCE_SECONDS,
    ...(signatureHeader === undefined ? {} : { signatureHeader }),
  };
}
