/**
 * Slack's `url_verification` and Zoom's `endpoint.url_validation`: a signed
 * JSON POST, recognised by a cheap byte search before anything is parsed,
 * and answered only when its v0 signature is valid.
 */
import { createHmac } from "node:crypto";
import type { IngestRequest } from "../auth/index.js";
import { ECHO_HEADERS, type Handshake, type HandshakeAnswer } from "./handshake.js";
import { type V0Headers, type V0Verification, verifyV0Signature } from "./signature.js";

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

/** What differs between the signed JSON handshakes. */
interface SignedJsonKind {
  readonly provider: Handshake["provider"];
  /** The event type, searched for in the raw body before it is parsed. */
  readonly marker: string;
  /** Lower-case header of the signature's timestamp. */
  readonly timestampHeader: string;
  /** The non-empty challenge of a handshake event, else undefined. */
  challengeOf(event: Record<string, unknown>): string | undefined;
  /** The answer to `challenge`, given the secret that signed the request. */
  reply(challenge: string, key: Buffer): HandshakeAnswer;
}

/**
 * A signed JSON POST handshake: bodies without the marker are passed on
 * unparsed; the signature is checked only for a handshake event.
 */
function signedJsonHandshake(
  kind: SignedJsonKind,
  verification: V0Verification,
  signatureHeader: string,
): Handshake {
  const marker = Buffer.from(kind.marker);
  const headers: V0Headers = { signature: signatureHeader, timestamp: kind.timestampHeader };
  return {
    provider: kind.provider,
    usesGet: false,
    expected: `a signed ${kind.marker} POST`,
    answer(request: IngestRequest): HandshakeAnswer | undefined {
      if (request.method !== "POST" || !request.body.includes(marker)) return undefined;
      const event = parseObject(request.body);
      const challenge = event === undefined ? undefined : kind.challengeOf(event);
      if (challenge === undefined) return undefined;
      const key = verifyV0Signature(request, headers, verification);
      return key === undefined ? undefined : kind.reply(challenge, key);
    },
  };
}

const slack: SignedJsonKind = {
  provider: "slack",
  marker: "url_verification",
  timestampHeader: "x-slack-request-timestamp",
  challengeOf: (event) =>
    event["type"] === "url_verification" && nonEmptyString(event["challenge"])
      ? event["challenge"]
      : undefined,
  reply: (challenge) => ({ status: 200, headers: ECHO_HEADERS, body: challenge }),
};

/**
 * Slack Events API `url_verification`: answers the `challenge` as text/plain.
 * @param signatureHeader lower-case header of the signature. @default "x-slack-signature"
 */
export function createSlackHandshake(
  verification: V0Verification,
  signatureHeader = "x-slack-signature",
): Handshake {
  return signedJsonHandshake(slack, verification, signatureHeader);
}

const zoom: SignedJsonKind = {
  provider: "zoom",
  marker: "endpoint.url_validation",
  timestampHeader: "x-zm-request-timestamp",
  challengeOf: (event) => {
    if (event["event"] !== "endpoint.url_validation") return undefined;
    const payload = event["payload"];
    const plainToken =
      payload !== null && typeof payload === "object"
        ? (payload as Record<string, unknown>)["plainToken"]
        : undefined;
    return nonEmptyString(plainToken) ? plainToken : undefined;
  },
  reply: (plainToken, key) => {
    const encryptedToken = createHmac("sha256", key).update(plainToken).digest("hex");
    return {
      status: 200,
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
      body: JSON.stringify({ plainToken, encryptedToken }),
    };
  },
};

/**
 * Zoom `endpoint.url_validation`: answers `plainToken` with its
 * `encryptedToken`, the hex HMAC-SHA256 of it under the secret token that
 * signed the request.
 * @param signatureHeader lower-case header of the signature. @default "x-zm-signature"
 */
export function createZoomHandshake(
  verification: V0Verification,
  signatureHeader = "x-zm-signature",
): Handshake {
  return signedJsonHandshake(zoom, verification, signatureHeader);
}
