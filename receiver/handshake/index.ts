/**
 * Provider handshakes answered at the edge (Slack, Zoom, Microsoft Graph,
 * Dropbox, X/Twitter CRC): `createHandshake` turns a webhook's `handshake`
 * block into the responder the ingest handler asks.
 */
export { createHandshake } from "./create-handshake.js";
export type { Handshake, HandshakeAnswer } from "./handshake.js";
