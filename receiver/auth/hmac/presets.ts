/**
 * The signing schemes of well-known webhook providers, as data. A scheme
 * says where the signature sits, what bytes are signed, how the digest is
 * encoded and how old a timestamp may be; one verifier interprets them all.
 */

/** HMAC digest algorithms accepted in config. */
export const hmacAlgorithms = ["sha1", "sha256", "sha512"] as const;
/** An HMAC digest algorithm. */
export type HmacAlgorithm = (typeof hmacAlgorithms)[number];

/** Digest encodings accepted in config. */
export const signatureEncodings = ["hex", "base64"] as const;
/** How a digest is written in a header. */
export type SignatureEncoding = (typeof signatureEncodings)[number];

/** How the signature(s) appear in the signature header. */
export type SignatureFormat =
  /** One signature after a fixed prefix (`sha256=…`, or none). */
  | { readonly kind: "prefixed"; readonly prefix: string }
  /** A list of `key<sep>value` items, e.g. Stripe's `t=…,v1=…,v1=…`. */
  | {
      readonly kind: "list";
      readonly itemSeparator: string;
      readonly keySeparator: string;
      /** Items with this key are signatures (several allowed). */
      readonly signatureKey: string;
      /** Item carrying the timestamp, if the scheme puts it there. */
      readonly timestampKey?: string;
    };

/** A complete HMAC signing scheme. */
export interface HmacScheme {
  readonly kind: "hmac";
  readonly algorithm: HmacAlgorithm;
  readonly encoding: SignatureEncoding;
  /** Header holding the signature (case-insensitive). */
  readonly signatureHeader: string;
  readonly signatureFormat: SignatureFormat;
  /**
   * Signed bytes as a template over `{id}`, `{timestamp}` and `{body}` (the
   * raw body bytes), e.g. `v0:{timestamp}:{body}`.
   */
  readonly basestring: string;
  /** Header holding the message id used by `{id}`. */
  readonly idHeader?: string;
  /** Timestamp rule: where it is read from and the allowed clock difference. */
  readonly timestamp?: {
    /** Header with Unix seconds; absent means the signature list's timestampKey. */
    readonly header?: string;
    /** Maximum age and maximum future skew, seconds. */
    readonly toleranceSeconds: number;
  };
  /** `text`: secret bytes are its UTF-8; `whsec-base64`: base64 after an optional `whsec_`. */
  readonly secretFormat: "text" | "whsec-base64";
}

/** A static token compared in constant time (GitLab's scheme). */
export interface TokenScheme {
  readonly kind: "token";
  readonly header: string;
}

/** Any provider scheme. */
export type ProviderScheme = HmacScheme | TokenScheme;

const standardWebhooks = (prefix: string): HmacScheme => ({
  kind: "hmac",
  algorithm: "sha256",
  encoding: "base64",
  signatureHeader: `${prefix}-signature`,
  signatureFormat: { kind: "list", itemSeparator: " ", keySeparator: ",", signatureKey: "v1" },
  basestring: "{id}.{timestamp}.{body}",
  idHeader: `${prefix}-id`,
  timestamp: { header: `${prefix}-timestamp`, toleranceSeconds: 300 },
  secretFormat: "whsec-base64",
});

/**
 * Slack's `v0` scheme, which Zoom copies with its own headers: hex
 * HMAC-SHA256 of `v0:{timestamp}:{body}`, sent as `v0=<hex>`.
 */
const versionZero = (signatureHeader: string, timestampHeader: string): HmacScheme => ({
  kind: "hmac",
  algorithm: "sha256",
  encoding: "hex",
  signatureHeader,
  signatureFormat: { kind: "prefixed", prefix: "v0=" },
  basestring: "v0:{timestamp}:{body}",
  timestamp: { header: timestampHeader, toleranceSeconds: 300 },
  secretFormat: "text",
});

/** Provider presets selectable with `hmac.provider`. */
export const providerSchemes = {
  stripe: {
    kind: "hmac",
    algorithm: "sha256",
    encoding: "hex",
    signatureHeader: "stripe-signature",
    signatureFormat: {
      kind: "list",
      itemSeparator: ",",
      keySeparator: "=",
      signatureKey: "v1",
      timestampKey: "t",
    },
    basestring: "{timestamp}.{body}",
    timestamp: { toleranceSeconds: 300 },
    secretFormat: "text",
  },
  github: {
    kind: "hmac",
    algorithm: "sha256",
    encoding: "hex",
    signatureHeader: "x-hub-signature-256",
    signatureFormat: { kind: "prefixed", prefix: "sha256=" },
    basestring: "{body}",
    secretFormat: "text",
  },
  shopify: {
    kind: "hmac",
    algorithm: "sha256",
    encoding: "base64",
    signatureHeader: "x-shopify-hmac-sha256",
    signatureFormat: { kind: "prefixed", prefix: "" },
    basestring: "{body}",
    secretFormat: "text",
  },
  slack: versionZero("x-slack-signature", "x-slack-request-timestamp"),
  "standard-webhooks": standardWebhooks("webhook"),
  svix: standardWebhooks("svix"),
  gitlab: { kind: "token", header: "x-gitlab-token" },
  zoom: versionZero("x-zm-signature", "x-zm-request-timestamp"),
} as const satisfies Record<string, ProviderScheme>;

/** A provider preset name. */
export type ProviderName = keyof typeof providerSchemes;

/** Every preset name, for config validation. */
export const providerNames = Object.keys(providerSchemes) as [ProviderName, ...ProviderName[]];
