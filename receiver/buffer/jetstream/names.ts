/**
 * Names of the JetStream resources of a channel. Channel, group and webhook
 * names may contain `.` (a NATS token separator) and `_`, so every name is
 * escaped into `[A-Za-z0-9_-]` before it becomes a subject token, stream or
 * consumer name: `_` → `_5F`, `.` → `_2E`. The mapping is injective, so
 * channel `a.b` never shares a subject space with channel `a`.
 */

/** Escapes a name into one NATS token (also valid as stream/consumer name). */
export function encodeToken(name: string): string {
  return name.replace(/[^A-Za-z0-9-]/g, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return `_${code.toString(16).toUpperCase().padStart(2, "0")}`;
  });
}

/** Reverses encodeToken. */
export function decodeToken(token: string): string {
  return token.replace(/_([0-9A-F]{2,6})/g, (_match, hex: string) =>
    String.fromCodePoint(Number.parseInt(hex, 16)),
  );
}

/** Stream holding the messages of a channel. */
export function channelStream(channel: string): string {
  return `WC_${encodeToken(channel)}`;
}

/** Stream holding the dead letters of a channel. */
export function deadLetterStream(channel: string): string {
  return `WCDL_${encodeToken(channel)}`;
}

/** Subject filter of a channel's stream (`wc.<channel>.>`). */
export function channelSubjects(channel: string): string {
  return `wc.${encodeToken(channel)}.>`;
}

const subjects = new Map<string, string>();

/**
 * Subject a message of `webhookId` is published on (`wc.<channel>.<webhook_id>`).
 * Remembered per pair (at most a few thousand): it is asked for on every publish.
 */
export function messageSubject(channel: string, webhookId: string): string {
  const key = `${channel}\u0000${webhookId}`;
  let subject = subjects.get(key);
  if (subject === undefined) {
    subject = `wc.${encodeToken(channel)}.${encodeToken(webhookId === "" ? "-" : webhookId)}`;
    if (subjects.size < 10_000) subjects.set(key, subject);
  }
  return subject;
}

/** Subject filter of a channel's dead-letter stream. */
export function deadLetterSubjects(channel: string): string {
  return `wcdl.${encodeToken(channel)}.>`;
}

/** Subject a dead letter of `group` is stored on. */
export function deadLetterSubject(channel: string, group: string): string {
  return `wcdl.${encodeToken(channel)}.${encodeToken(group)}`;
}

/** Durable consumer name of a group. */
export function consumerName(group: string): string {
  return `g_${encodeToken(group)}`;
}

/** Group of a durable consumer name, or undefined for consumers we did not create. */
export function groupOfConsumer(name: string): string | undefined {
  return name.startsWith("g_") ? decodeToken(name.slice(2)) : undefined;
}

/** Channel of a stream name, or undefined for streams we did not create. */
export function channelOfStream(name: string): string | undefined {
  return name.startsWith("WC_") ? decodeToken(name.slice(3)) : undefined;
}

/** Core NATS subject on which every replica offers to settle leases it holds. */
export function settleSubject(channel: string): string {
  return `wcsettle.${encodeToken(channel)}`;
}

/** Advisory published when a consumer of the channel's stream gives up on a message. */
export function maxDeliveriesAdvisorySubject(channel: string): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${channelStream(channel)}.*`;
}

/** KV bucket of shared state (`getState`/`setState`). */
export const STATE_BUCKET = "wc_state";

/** KV bucket of the per-channel counters (delivered, expired, dead-lettered). */
export const COUNTERS_BUCKET = "wc_counters";

/** KV key of a channel's counters. */
export function countersKey(channel: string): string {
  return `ch.${encodeToken(channel)}`;
}

/** KV key of a state key: base64url, so any string is a valid key. */
export function stateKey(key: string): string {
  return `s.${globalThis.Buffer.from(key, "utf8").toString("base64url") || "_"}`;
}
