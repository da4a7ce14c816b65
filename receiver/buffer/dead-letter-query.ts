/**
 * Dead-letter queries the backends answer alike: which dead letters a
 * DeadLetterFilter admits, and one page of a walk over them.
 */
import type { DeadLetterFilter } from "./buffer.js";

/** Whether `filter`'s message ids admit `messageId` (no ids: every one). */
export function admitsMessageId(filter: DeadLetterFilter, messageId: string): boolean {
  return filter.messageIds === undefined || filter.messageIds.includes(messageId);
}

/** Whether `filter`'s group and time bounds admit a dead letter of `group` dead-lettered at `at`. */
export function admitsGroupAndTime(filter: DeadLetterFilter, group: string, at: number): boolean {
  if (filter.group !== undefined && group !== filter.group) return false;
  if (filter.from !== undefined && at < filter.from) return false;
  if (filter.to !== undefined && at >= filter.to) return false;
  return true;
}

/** Whether `filter` admits a dead letter (no filter: every one). */
export function admitsDeadLetter(
  filter: DeadLetterFilter | undefined,
  messageId: string,
  group: string,
  at: number,
): boolean {
  if (filter === undefined) return true;
  return admitsMessageId(filter, messageId) && admitsGroupAndTime(filter, group, at);
}

/**
 * Collects the page `offset`…`offset + limit` of what `walk` visits, as
 * `toLetter` makes it; the walk stops once the page is full.
 */
export async function collectPage<T, R>(
  page: { readonly limit: number; readonly offset: number },
  walk: (visit: (item: T) => boolean) => Promise<void>,
  toLetter: (item: T) => R,
): Promise<R[]> {
  const letters: R[] = [];
  if (page.limit <= 0) return letters;
  let skip = page.offset;
  await walk((item) => {
    if (skip > 0) {
      skip--;
      return true;
    }
    letters.push(toLetter(item));
    return letters.length < page.limit;
  });
  return letters;
}
