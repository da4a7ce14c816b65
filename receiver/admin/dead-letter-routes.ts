/** Dead-letter routes: list (paged), replay and purge, each with an optional filter. */
import { isValidName } from "../config/index.js";
import { channelOf } from "./channel-routes.js";
import type { AdminContext, AdminRequest, AdminResponse } from "./context.js";
import {
  FILTER_KEYS,
  filterFromBody,
  filterFromQuery,
  integerParam,
  isEmptyFilter,
} from "./dead-letter-filter.js";
import { badRequest } from "./errors.js";
import { readJsonObject } from "./json-body.js";
import { deadLetterView } from "./views.js";

/** Page size when the request names none. */
export const DEFAULT_DEAD_LETTER_LIMIT = 50;
/** Largest page. */
export const MAX_DEAD_LETTER_LIMIT = 1_000;

/** `GET /channels/{ch}/dead-letters?limit&offset&group&from&to&message_id`. */
export async function listDeadLetters(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const channel = channelOf(request);
  const limit = integerParam(
    request.query,
    "limit",
    DEFAULT_DEAD_LETTER_LIMIT,
    MAX_DEAD_LETTER_LIMIT,
  );
  if (limit === 0) throw badRequest(`'limit' must be between 1 and ${MAX_DEAD_LETTER_LIMIT}`);
  const offset = integerParam(request.query, "offset", 0, Number.MAX_SAFE_INTEGER);
  const filter = filterFromQuery(request.query);
  const [items, stats] = await Promise.all([
    context.buffer.listDeadLetters(channel.name, {
      limit,
      offset,
      ...(isEmptyFilter(filter) ? {} : { filter }),
    }),
    context.buffer.stats(channel.name),
  ]);
  return {
    status: 200,
    body: {
      channel: channel.name,
      total: stats.deadLetterQueued,
      limit,
      offset,
      count: items.length,
      dead_letters: items.map(deadLetterView),
    },
  };
}

/**
 * `POST /channels/{ch}/dead-letters/replay` with `{message_ids?, group?,
 * from?, to?, target_group?}`: puts dead letters back as new deliveries, to
 * their original group or to `target_group`. An empty body replays all.
 */
export async function replayDeadLetters(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const channel = channelOf(request);
  const body = await readJsonObject(request.req, [...FILTER_KEYS, "target_group"]);
  const filter = filterFromBody(body);
  const target = body["target_group"];
  if (target !== undefined && (typeof target !== "string" || !isValidName(target))) {
    throw badRequest(
      "'target_group' must be a group name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    );
  }
  const count = await context.buffer.replayDeadLetters(channel.name, filter, target);
  return {
    status: 200,
    body: {
      channel: channel.name,
      replayed: count,
      target_group: target ?? null,
    },
    action: { type: "dead_letters_replayed", channel: channel.name, count },
  };
}

/**
 * `DELETE /channels/{ch}/dead-letters`: deletes dead letters selected by
 * the query string or a JSON body (`message_ids`, `group`, `from`, `to`);
 * no filter deletes all of them.
 */
export async function purgeDeadLetters(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const channel = channelOf(request);
  const body = await readJsonObject(request.req, FILTER_KEYS);
  const fromBody = filterFromBody(body);
  const fromQuery = filterFromQuery(request.query);
  if (!isEmptyFilter(fromBody) && !isEmptyFilter(fromQuery)) {
    throw badRequest("give the filter either in the query string or in the body, not both");
  }
  const filter = isEmptyFilter(fromBody) ? fromQuery : fromBody;
  const count = await context.buffer.purgeDeadLetters(channel.name, filter);
  return {
    status: 200,
    body: { channel: channel.name, purged: count },
    action: { type: "dead_letters_purged", channel: channel.name, count },
  };
}
