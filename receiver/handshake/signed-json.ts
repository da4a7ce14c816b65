/**
 * Slack's `url_verification` and Zoom's `endpoint.url_validation`: a signed
 * JSON POST, recognised by a cheap byte search before anything is parsed,
 * and answered only when its v0 signature is valid.
 */
import { createHmac } from "node:crypto";
import type { IngestRequest } from "../auth/index.js";
import { ECHO_HEADERS, type Handshake, type HandshakeAnswer } from "./handshake.js";
import { type V0Verification, verifyV0Signature } from "./signature.js";

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

/**
 * Slack Events API `url_verification`: answers the `challenge` as text/plain.
 * @param signatureHeader lower-case header of the signature. @default "x-slack-signature"
 */
export function createSlackHandshake(
  verification: V0Verification,
  signatureHeader = "x-slack-signature",
): Handshake {
  const marker = Buffer.from("url_verification");
  const headers = { signature: signatureHeader, timestamp: "x-slack-request-timestamp" };
  return {
    provider: "slack",
    usesGet: false,
    expected: "a signed url_verification POST",
    answer(request: IngestRequest): HandshakeAnswer | undefined {
      if (request.method !== "POST" || !request.body.includes(marker)) return undefined;
      const event = parseObject(request.body);
      if (event?.["type"] !== "url_verification" || !nonEmptyString(event["challenge"])) {
        return undefined;
      }
      const key = verifyV0Signature(request, headers, verification);
      if (key === undefined) return undefined;
      return { status: 200, headers: ECHO_HEADERS, body: event["challenge"] };
    },
  };
}

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
  const marker = Buffer.from("endpoint.url_validation");
  const headers = { signature: signatureHeader, timestamp: "x-zm-request-timestamp" };
  return {
    provider: "zoom",
    usesGet: false,
    expected: "a signed endpoint.url_validation POST",
    answer(request: IngestRequest): HandshakeAnswer | undefined {
      if (request.method !== "POST" || !request.body.includes(marker)) return undefined;
      const event = parseObject(request.body);
      if (event?.["event"] !== "endpoint.url_validation") return undefined;
      const payload = event["payload"];
      const plainToken =
        payload !== null && typeof payload === "object"
          ? (payload as Record<string, unknown>)["plainToken"]
          : undefined;
      if (!nonEmptyString(plainToken)) return undefined;
      const key = verifyV0Signature(request, headers, verification);
      if (key === undefined) return undefined;
      const encryptedToken = createHmac("sha256", key).update(plainToken).digest("hex");
      return {
        status: 200,
        headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
        body: JSON.stringify({ plainToken, encryptedToken }),
      };
    },
  };
}
