/**
 * The dead-letter stream of a channel (`wc:{<channel>}:dl`): one entry per
 * dead letter with fields `i` (message id), `m` (the stored message), `g`
 * (group), `r` (reason), `a` (attempts), `f` (first failure) and `at`
 * (when it was dead-lettered), oldest first. Listing filters on the
 * fields and decodes only the letters it returns; a replay moves each
 * letter back into the message stream in one script, so two receivers
 * replaying at once never replay one letter twice.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Redis } from "ioredis";
import { decodeWebhookMessage, encodeWebhookMessage } from "../../../wire/index.js";
import type { ChannelSettings, DeadLetter, DeadLetterFilter } from "../buffer.js";
import { admitsDeadLetter, collectPage } from "../dead-letter-query.js";
import { channelPrefix, channelStream, deadLetterStream } from "./names.js";
import type { Scripts } from "./scripts.js";

/** Entries read from the dead-letter stream per round trip. */
const PAGE = 500;

/** A dead-letter entry as stored. */
interface StoredLetter {
  readonly entryId: string;
  readonly messageId: string;
  readonly group: string;
  readonly deadLetteredAt: number;
  readonly fields: ReadonlyMap<string, Buffer>;
}

function toStored(entryId: Buffer, flat: Buffer[]): StoredLetter {
  const fields = new Map<string, Buffer>();
  for (let index = 0; index + 1 < flat.length; index += 2) {
    fields.set(flat[index]!.toString(), flat[index + 1]!);
  }
  const text = (name: string) => fields.get(name)?.toString() ?? "";
  return {
    entryId: entryId.toString(),
    messageId: text("i"),
    group: text("g"),
    deadLetteredAt: Number(text("at")),
    fields,
  };
}

/** Walks the dead letters matching `filter`, oldest first, until `visit` returns false. */
async function walk(
  redis: Redis,
  channel: string,
  filter: DeadLetterFilter | undefined,
  visit: (letter: StoredLetter) => boolean | Promise<boolean>,
): Promise<void> {
  const key = deadLetterStream(channel);
  let start = "-";
  for (;;) {
    const page = (await redis.xrangeBuffer(key, start, "+", "COUNT", PAGE)) as [Buffer, Buffer[]][];
    for (const [id, flat] of page) {
      const letter = toStored(id, flat);
      if (!admitsDeadLetter(filter, letter.messageId, letter.group, letter.deadLetteredAt))
        continue;
      if (!(await visit(letter))) return;
    }
    if (page.length < PAGE) return;
    start = `(${page[page.length - 1]![0].toString()}`;
  }
}

function decodeLetter(letter: StoredLetter): DeadLetter {
  const text = (name: string) => letter.fields.get(name)?.toString() ?? "";
  // Copied: the client's Buffers must not leak into messages as `body`.
  const message = decodeWebhookMessage(new Uint8Array(letter.fields.get("m") ?? []));
  return {
    message,
    group: letter.group,
    reason: text("r"),
    attempts: Number(text("a")),
    firstFailedAt: Number(text("f")),
    deadLetteredAt: letter.deadLetteredAt,
  };
}

/** Dead letters of a channel, oldest first. */
export async function listDeadLetters(
  redis: Redis,
  channel: string,
  options: { limit: number; offset: number; filter?: DeadLetterFilter },
): Promise<DeadLetter[]> {
  return collectPage(options, (visit) => walk(redis, channel, options.filter, visit), decodeLetter);
}

/**
 * Puts matching dead letters back for their group (or `targetGroup`) as new
 * messages with a fresh TTL and the attempt count reset.
 */
export async function replayDeadLetters(
  redis: Redis,
  scripts: Scripts,
  settings: ChannelSettings,
  now: number,
  filter: DeadLetterFilter,
  targetGroup: string | undefined,
): Promise<number> {
  const matching: StoredLetter[] = [];
  await walk(redis, settings.name, filter, (letter) => {
    matching.push(letter);
    return true;
  });
  const expiresAt = now + Math.round(settings.ttlSeconds * 1000);
  let replayed = 0;
  for (const letter of matching) {
    const stored = decodeWebhookMessage(new Uint8Array(letter.fields.get("m") ?? []));
    const bytes = encodeWebhookMessage(stored, { expiresAt: timestampFromMs(expiresAt) });
    const group = targetGroup ?? letter.group;
    const outcome = await scripts.REPLAY(channelStream(settings.name), [
      channelPrefix(settings.name),
      letter.entryId,
      group,
      bytes,
      expiresAt,
      now,
    ]);
    // -1: the group does not exist (any more); the letter stays, as on the other backends.
    if (outcome === 1) replayed++;
  }
  return replayed;
}

/** Deletes matching dead letters; returns how many. */
export async function purgeDeadLetters(
  redis: Redis,
  channel: string,
  filter: DeadLetterFilter,
): Promise<number> {
  const ids: string[] = [];
  await walk(redis, channel, filter, (letter) => {
    ids.push(letter.entryId);
    return true;
  });
  let purged = 0;
  for (let index = 0; index < ids.length; index += PAGE) {
    purged += await redis.xdel(deadLetterStream(channel), ...ids.slice(index, index + PAGE));
  }
  return purged;
}
