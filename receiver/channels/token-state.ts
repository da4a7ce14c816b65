/**
 * The persisted token state of one channel, as stored with
 * `buffer.setState("channel-tokens/<channel>", json)`. Every replica on the
 * same store reads the same document, so a rotation made on one replica is
 * honoured by all of them and survives restarts.
 */
import { createHash } from "node:crypto";

/** Key under which a channel's token state is stored. */
export function tokenStateKey(channel: string): string {
  return `channel-tokens/${channel}`;
}

/** A previous token still accepted until `validUntil`. */
export interface PreviousToken {
  /** The token. A secret: never log it. */
  readonly token: string;
  /** Accepted until (ms since epoch). */
  readonly validUntil: number;
}

/** The token state of a channel after at least one rotation. */
export interface TokenState {
  /** The token connectors must present. A secret: never log it. */
  readonly current: string;
  /** Earlier tokens inside their grace period. */
  readonly previous: readonly PreviousToken[];
  /** When the current token was issued (ms since epoch). */
  readonly rotatedAt: number;
  /**
   * SHA-256 (hex) of the `channel_token` in webhooks.json when the rotation
   * happened. If the operator later changes the configured token, the
   * configured token wins and this state is ignored.
   */
  readonly configTokenSha256: string;
}

/** SHA-256 hex of a configured token (stored instead of the token itself). */
export function fingerprint(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Serialises a state (previous tokens past their grace are dropped). */
export function encodeTokenState(state: TokenState, now: number): string {
  return JSON.stringify({
    version: 1,
    current: state.current,
    previous: state.previous
      .filter((entry) => entry.validUntil > now)
      .map((entry) => ({ token: entry.token, valid_until: entry.validUntil })),
    rotated_at: state.rotatedAt,
    config_token_sha256: state.configTokenSha256,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Parses a stored state; undefined when it is not a version-1 document
 * (a corrupt value must not lock connectors out: the configured token
 * applies instead).
 */
export function decodeTokenState(raw: string): TokenState | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed["version"] !== 1) return undefined;
  const { current, previous, rotated_at, config_token_sha256 } = parsed;
  if (typeof current !== "string" || current === "") return undefined;
  if (typeof rotated_at !== "number" || typeof config_token_sha256 !== "string") return undefined;
  if (!Array.isArray(previous)) return undefined;
  const entries: PreviousToken[] = [];
  for (const entry of previous) {
    if (!isRecord(entry)) return undefined;
    const { token, valid_until } = entry;
    if (typeof token !== "string" || typeof valid_until !== "number") return undefined;
    entries.push({ token, validUntil: valid_until });
  }
  return {
    current,
    previous: entries,
    rotatedAt: rotated_at,
    configTokenSha256: config_token_sha256,
  };
}
