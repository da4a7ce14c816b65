/**
 * Redis key names. Every key of one channel shares the hash tag
 * `{<channel>}`, so on Redis Cluster a channel lives in one slot and the
 * Lua scripts that touch several of its keys run on one node. Channel
 * names are `[A-Za-z0-9._-]`, so they never contain a brace.
 *
 * Per channel, with prefix `wc:{<channel>}:`:
 * - `s`      the stream: one entry per message, id `<sequence>-0`, fields
 *            `i` (message id), `m` (protobuf bytes), `x` (expires at, ms),
 *            `t` (received at, ms) and, for a replay, `g` (its only group);
 *            one consumer group per fan-out group;
 * - `groups` set of the channel's group names;
 * - `seq`    the last sequence handed out;
 * - `live`   sorted set of unfinished entries (score: sequence): `queued`,
 *            and the oldest one bounds the trimming of `s`;
 * - `left`   hash entry id → groups that still have to finish it;
 * - `ids`    hash message id (or `<group>\n<message id>` for a replay) →
 *            entry id: duplicate detection and acks by message id;
 * - `r:<group>` the group's retry schedule: sorted set of entry ids by the
 *            time they become deliverable again (their lease is parked
 *            with the consumer `~retry` meanwhile);
 * - `ff`     hash `<group>\n<entry id>` → time of the first failed delivery;
 * - `rp`/`rpg` replays still unfinished (score: sequence) and their group;
 * - `cur`    hash group → where the last XAUTOCLAIM scan of its PEL stopped;
 * - `ac:<group>` present while the group's PEL was scanned recently;
 * - `cnt`    hash of counters `delivered`, `expired`, `deadLettered`;
 * - `dl`     the dead-letter stream;
 * - `n`      pub/sub channel announcing new or freed messages.
 */

/** Key prefix of a channel (ends in `:`). */
export function channelPrefix(channel: string): string {
  return `wc:{${channel}}:`;
}

/** The channel's message stream. */
export function channelStream(channel: string): string {
  return `${channelPrefix(channel)}s`;
}

/** The channel's dead-letter stream. */
export function deadLetterStream(channel: string): string {
  return `${channelPrefix(channel)}dl`;
}

/** The pub/sub channel that wakes waiting fetches of a channel. */
export function notifyChannel(channel: string): string {
  return `${channelPrefix(channel)}n`;
}

/** Key of a shared state value. */
export function stateKey(key: string): string {
  return `wc:state:${key}`;
}

/** The consumer that holds parked leases (retry scheduled or released). */
export const PARKED_CONSUMER = "~retry";
