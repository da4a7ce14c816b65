/** Builds the Handshake of a webhook from its validated `handshake` block. */
import type { HandshakeSettings } from "../config/index.js";
import type { Handshake } from "./handshake.js";
import {
  createDropboxHandshake,
  createMicrosoftGraphHandshake,
  createTwitterCrcHandshake,
} from "./query-token.js";
import { createSlackHandshake, createZoomHandshake } from "./signed-json.js";

/** Creates the handshake responder for `settings`. */
export function createHandshake(settings: HandshakeSettings): Handshake {
  const keys = settings.secrets.map((secret) => Buffer.from(secret, "utf8"));
  const verification = { keys, toleranceSeconds: settings.toleranceSeconds };
  switch (settings.provider) {
    case "slack":
      return createSlackHandshake(verification, settings.signatureHeader);
    case "zoom":
      return createZoomHandshake(verification, settings.signatureHeader);
    case "microsoft-graph":
      return createMicrosoftGraphHandshake();
    case "dropbox":
      return createDropboxHandshake();
    case "twitter-crc":
      // The config guarantees at least one secret for this provider.
      return createTwitterCrcHandshake(keys[0]!);
  }
}
