/**
 * Handshakes carried in the query string: Microsoft Graph's
 * `validationToken` (POST), Dropbox's `challenge` (GET) and the X/Twitter
 * CRC `crc_token` (GET). None of them is signed by the provider, so the
 * webhook's other checks (an IP allow-list, a query token) are what keeps
 * strangers out.
 */
import { createHmac } from "node:crypto";
import type { IngestRequest } from "../auth/index.js";
import { ECHO_HEADERS, type Handshake, type HandshakeAnswer } from "./handshake.js";

/** The one value of query parameter `name`, decoded; undefined when absent, empty or repeated. */
function queryParameter(request: IngestRequest, name: string): string | undefined {
  // Most requests have no such parameter: look before decoding anything.
  if (!request.query.includes(`${name}=`)) return undefined;
  const values = new URLSearchParams(request.query).getAll(name);
  return values.length === 1 && values[0] !== "" ? values[0] : undefined;
}

function echo(token: string): HandshakeAnswer {
  return { status: 200, headers: ECHO_HEADERS, body: token };
}

/** A handshake that echoes the query parameter `name` of a `method` request as text/plain. */
function queryEchoHandshake(
  provider: Handshake["provider"],
  method: "GET" | "POST",
  name: string,
): Handshake {
  return {
    provider,
    usesGet: method === "GET",
    expected: `a ${method} with a ${name} query parameter`,
    answer(request) {
      if (request.method !== method) return undefined;
      const token = queryParameter(request, name);
      return token === undefined ? undefined : echo(token);
    },
  };
}

/** Microsoft Graph subscription validation: POST `?validationToken=…`, echoed as text/plain. */
export function createMicrosoftGraphHandshake(): Handshake {
  return queryEchoHandshake("microsoft-graph", "POST", "validationToken");
}

/** Dropbox webhook verification: GET `?challenge=…`, echoed as text/plain with nosniff. */
export function createDropboxHandshake(): Handshake {
  return queryEchoHandshake("dropbox", "GET", "challenge");
}

/** What X sends as a crc_token: a random base64 (or base64url) string. */
const CRC_TOKEN = /^[A-Za-z0-9+/_=-]{1,512}$/;

/**
 * The answer is the HMAC X signs event bodies with, so the token must not be
 * a body the webhook would accept: a JSON number or literal (`12`, `true`)
 * signed here could be replayed as a "signed" event.
 */
function isCrcToken(token: string): boolean {
  if (!CRC_TOKEN.test(token)) return false;
  try {
    JSON.parse(token);
    return false;
  } catch {
    return true;
  }
}

/**
 * X/Twitter Account Activity CRC: GET `?crc_token=…` answered with
 * `{"response_token":"sha256=<base64 HMAC-SHA256 of crc_token>"}` under the
 * consumer secret (the first one configured).
 */
export function createTwitterCrcHandshake(consumerSecret: Buffer): Handshake {
  return {
    provider: "twitter-crc",
    usesGet: true,
    expected: "a GET with a crc_token query parameter (base64 characters)",
    answer(request) {
      if (request.method !== "GET") return undefined;
      const token = queryParameter(request, "crc_token");
      if (token === undefined || !isCrcToken(token)) return undefined;
      const digest = createHmac("sha256", consumerSecret).update(token).digest("base64");
      return {
        status: 200,
        headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
        body: JSON.stringify({ response_token: `sha256=${digest}` }),
      };
    },
  };
}
