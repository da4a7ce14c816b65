/**
 * WebSocket close codes of the stream endpoint (docs/protocol.md), chosen
 * so that a connector can tell "try again later" from "fix your config".
 */

/** Close codes sent by the receiver. */
export const wsCloseCodes = {
  /** The receiver is shutting down; reconnect (to another replica). */
  goingAway: 1001,
  /** A frame broke the protocol badly enough to end the connection (e.g. no Hello). */
  policyViolation: 1008,
  /** The buffer failed; reconnect later. */
  internalError: 1011,
  /** The channel already has `max_connections` connections; reconnect later. */
  tryAgainLater: 1013,
  /** The connection was evicted (admin disconnect, token rotation). */
  evicted: 4000,
  /** The receiver did not hear from the client for 3 heartbeat intervals. */
  heartbeatTimeout: 4008,
} as const;

/** The close code for a session's close reason. */
export function closeCodeOf(reason: string): number {
  if (reason.startsWith("heartbeat timeout")) return wsCloseCodes.heartbeatTimeout;
  if (reason === "receiver shutting down") return wsCloseCodes.goingAway;
  if (reason.startsWith("buffer error")) return wsCloseCodes.internalError;
  return wsCloseCodes.evicted;
}

/** A close reason trimmed to the 123 bytes a close frame can carry. */
export function closeReasonText(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text, "utf8") > 123) text = text.slice(0, -1);
  return text;
}
