/**
 * The Lua scripts of the Redis buffer. Every change to a channel's keys is
 * one script, so it is atomic with respect to every other receiver sharing
 * the server. KEYS[1] is always the channel's stream (which routes the
 * script to the channel's slot on Redis Cluster); ARGV[1] is the channel's
 * key prefix, from which the script builds the channel's other keys, all
 * in the same hash slot (see names.ts for the layout).
 */
import { PARKED_CONSUMER } from "./names.js";

/** Helpers every script starts with. */
const PRELUDE = `
local p = ARGV[1]
local S = KEYS[1]
local PARKED = '${PARKED_CONSUMER}'
local function fieldsOf(kv)
  local f = {}
  for i = 1, #kv, 2 do f[kv[i]] = kv[i + 1] end
  return f
end
local function entry(id)
  local r = redis.call('XRANGE', S, id, id)
  if #r == 0 then return nil end
  return fieldsOf(r[1][2])
end
local function oldestLive(seq)
  local head = redis.call('ZRANGE', p .. 'live', 0, 0, 'WITHSCORES')
  return head[2] or seq
end
-- The entry left the channel: every group is done with it.
local function forget(id, f)
  redis.call('HDEL', p .. 'left', id)
  redis.call('ZREM', p .. 'live', id)
  redis.call('ZREM', p .. 'rp', id)
  redis.call('HDEL', p .. 'rpg', id)
  if f then
    if f.g then
      if redis.call('HGET', p .. 'ids', f.g .. '\\n' .. f.i) == id then
        redis.call('HDEL', p .. 'ids', f.g .. '\\n' .. f.i)
      end
    elseif redis.call('HGET', p .. 'ids', f.i) == id then
      redis.call('HDEL', p .. 'ids', f.i)
    end
  end
end
-- Group g is done with the entry; it leaves the channel after the last group.
local function finish(g, id, f)
  redis.call('HDEL', p .. 'ff', g .. '\\n' .. id)
  local left = tonumber(redis.call('HGET', p .. 'left', id) or '0')
  if left <= 0 then return end
  if left == 1 then forget(id, f or entry(id)) else redis.call('HINCRBY', p .. 'left', id, -1) end
end
-- Past its TTL: done for every group at once, counted once.
local function expire(id, f)
  for _, g in ipairs(redis.call('SMEMBERS', p .. 'groups')) do
    redis.call('XACK', S, g, id)
    redis.call('ZREM', p .. 'r:' .. g, id)
    redis.call('HDEL', p .. 'ff', g .. '\\n' .. id)
  end
  if redis.call('HEXISTS', p .. 'left', id) == 1 then
    forget(id, f)
    redis.call('HINCRBY', p .. 'cnt', 'expired', 1)
  end
end
local function deadLetter(g, id, f, attempts, reason, now)
  if f then
    local first = redis.call('HGET', p .. 'ff', g .. '\\n' .. id) or now
    redis.call('XADD', p .. 'dl', '*', 'i', f.i, 'm', f.m, 'g', g, 'r', reason,
      'a', attempts, 'f', first, 'at', now)
    redis.call('HINCRBY', p .. 'cnt', 'deadLettered', 1)
  end
  redis.call('XACK', S, g, id)
  redis.call('ZREM', p .. 'r:' .. g, id)
  finish(g, id, f)
end
`;

/**
 * Creates a group (idempotent). A new consumer group starts at `$`: it gets
 * what is published after it was created. ARGV: prefix, group.
 */
export const ENSURE_GROUP = `${PRELUDE}
if redis.call('SISMEMBER', p .. 'groups', ARGV[2]) == 1 then return 0 end
local ok = redis.pcall('XGROUP', 'CREATE', S, ARGV[2], '$', 'MKSTREAM')
if type(ok) == 'table' and ok.err and not string.find(ok.err, 'BUSYGROUP') then
  return redis.error_reply(ok.err)
end
redis.call('SADD', p .. 'groups', ARGV[2])
return 1
`;

/**
 * Stores a message. ARGV: prefix, message id, bytes, expires at, now,
 * max queue size. Returns {0, seq} stored, {1, seq} duplicate, {2, 0}
 * full, {3, 0} the channel's keys are gone. The stream is trimmed below
 * its oldest unfinished entry, never further (MINID).
 */
export const PUBLISH = `${PRELUDE}
local existing = redis.call('HGET', p .. 'ids', ARGV[2])
if existing then return {1, tonumber(string.match(existing, '^(%d+)'))} end
local groups = redis.call('SCARD', p .. 'groups')
if groups == 0 then return {3, 0} end
if redis.call('ZCARD', p .. 'live') >= tonumber(ARGV[6]) then return {2, 0} end
local seq = redis.call('INCR', p .. 'seq')
local id = seq .. '-0'
redis.call('XADD', S, 'MINID', '~', oldestLive(seq), id,
  'i', ARGV[2], 'm', ARGV[3], 'x', ARGV[4], 't', ARGV[5])
redis.call('HSET', p .. 'left', id, groups)
redis.call('HSET', p .. 'ids', ARGV[2], id)
redis.call('ZADD', p .. 'live', seq, id)
redis.call('PUBLISH', p .. 'n', '')
return {0, seq}
`;

/**
 * Leases up to max entries to a consumer: retries that are due, then leases
 * that ran out (XAUTOCLAIM after the ack timeout; dead-lettered when that
 * was the last allowed attempt), then new entries (XREADGROUP). Entries
 * past their TTL, finished elsewhere, or replays meant for another group
 * are settled on the way and not returned. The attempt is the PEL's
 * delivery counter.
 *
 * ARGV: prefix, group, consumer, now, max, ack timeout ms, max attempts,
 * ordered (1/0), reason for a lease that ran out on the last attempt,
 * reclaim interval ms.
 * Returns {message id, attempt, bytes, entry id}… followed by the due
 * time of the group's next retry (-1 when none).
 */
export const FETCH = `${PRELUDE}
local g, c = ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
local ackMs = tonumber(ARGV[6])
local maxAttempts = tonumber(ARGV[7])
local ordered = ARGV[8] == '1'
local R = p .. 'r:' .. g
if redis.call('SISMEMBER', p .. 'groups', g) == 0 then
  return redis.error_reply('NOGROUP unknown group ' .. g)
end
local out = {}
local n = 0
local function attemptsOf(id)
  local pe = redis.call('XPENDING', S, g, id, id, 1)
  if #pe == 0 then return nil end
  return pe[1][4]
end
local function deliver(id, kv, attempt)
  local f = fieldsOf(kv)
  if redis.call('HEXISTS', p .. 'left', id) == 0 or (f.g and f.g ~= g) then
    redis.call('XACK', S, g, id)
    return
  end
  if tonumber(f.x) <= now then
    expire(id, f)
    return
  end
  n = n + 1
  out[#out + 1] = f.i
  out[#out + 1] = attempt
  out[#out + 1] = f.m
  out[#out + 1] = id
end
local function claim(id, attempt)
  local claimed = redis.call('XCLAIM', S, g, c, 0, id)
  if claimed[1] then deliver(id, claimed[1][2], attempt) end
end
local function park(id, due)
  redis.call('XCLAIM', S, g, PARKED, 0, id, 'JUSTID')
  if due then redis.call('ZADD', R, due, id) end
end

local due = redis.call('ZRANGEBYSCORE', R, '-inf', now, 'LIMIT', 0, max)
for _, id in ipairs(due) do
  redis.call('ZREM', R, id)
  local a = attemptsOf(id)
  if a then
    if a >= maxAttempts then
      deadLetter(g, id, entry(id), a, 'maximum delivery attempts reached', now)
    elseif n < max then
      claim(id, a + 1)
    else
      redis.call('ZADD', R, now, id)
    end
  end
end

-- XAUTOCLAIM scans the PEL: at most once per reclaim interval per group,
-- whichever receiver fetches first.
if n < max and redis.call('SET', p .. 'ac:' .. g, '1', 'PX', ARGV[10], 'NX') then
  local cursor = redis.call('HGET', p .. 'cur', g) or '0-0'
  local r = redis.call('XAUTOCLAIM', S, g, c, ackMs, cursor, 'COUNT', 100, 'JUSTID')
  redis.call('HSET', p .. 'cur', g, r[1])
  for _, id in ipairs(r[2]) do
    if redis.call('ZSCORE', R, id) then
      park(id, nil)
    else
      local a = attemptsOf(id)
      if a >= maxAttempts then
        deadLetter(g, id, entry(id), a, ARGV[9], now)
      elseif n < max then
        claim(id, a + 1)
      else
        park(id, now)
      end
    end
  end
end

if n < max and not (ordered and redis.call('XPENDING', S, g)[1] > 0) then
  for round = 1, 10 do
    local want = max - n
    local r = redis.call('XREADGROUP', 'GROUP', g, c, 'COUNT', want, 'STREAMS', S, '>')
    if not r then break end
    local entries = r[1][2]
    for _, e in ipairs(entries) do deliver(e[1], e[2], 1) end
    if n >= max or #entries < want then break end
    if ordered and redis.call('XPENDING', S, g)[1] > 0 then break end
  end
end

local head = redis.call('ZRANGE', R, 0, 0, 'WITHSCORES')
out[#out + 1] = tonumber(head[2] or '-1')
return out
`;

/** Looks up the entry of a message in a group: a replay for it first, else the original. */
const FIND_ENTRY = `
local function candidates(g, messageId)
  return { redis.call('HGET', p .. 'ids', g .. '\\n' .. messageId),
           redis.call('HGET', p .. 'ids', messageId) }
end
`;

/**
 * Acks a message for a group. ARGV: prefix, group, message id, wake (1/0:
 * announce the freed slot, for ordered channels). Returns 1 acked, 0 not
 * found.
 */
export const ACK = `${PRELUDE}${FIND_ENTRY}
local g = ARGV[2]
for _, id in ipairs(candidates(g, ARGV[3])) do
  if id and redis.call('XACK', S, g, id) == 1 then
    redis.call('ZREM', p .. 'r:' .. g, id)
    redis.call('HINCRBY', p .. 'cnt', 'delivered', 1)
    finish(g, id, nil)
    if ARGV[4] == '1' then redis.call('PUBLISH', p .. 'n', '') end
    return 1
  end
end
return 0
`;

/**
 * Nacks a leased message. ARGV: prefix, group, message id, retry (1/0),
 * reason, now, max attempts, wake (1/0), then the retry delay in ms after
 * attempt 1, 2, … (the last one applies to every later attempt). A retry
 * parks the lease with the consumer ~retry and schedules it in the
 * group's retry set. Returns 1 requeued, 2 dead-lettered, 0 not found.
 */
export const NACK = `${PRELUDE}${FIND_ENTRY}
local g = ARGV[2]
local now = tonumber(ARGV[6])
if redis.call('SISMEMBER', p .. 'groups', g) == 0 then return 0 end
local found, attempts
for _, id in ipairs(candidates(g, ARGV[3])) do
  if id and not found then
    local pe = redis.call('XPENDING', S, g, id, id, 1)
    if #pe > 0 and pe[1][2] ~= PARKED then
      found = id
      attempts = pe[1][4]
    end
  end
end
if not found then return 0 end
redis.call('HSETNX', p .. 'ff', g .. '\\n' .. found, now)
if ARGV[4] == '1' and attempts < tonumber(ARGV[7]) then
  local delay = tonumber(ARGV[8 + math.min(attempts, #ARGV - 8)])
  redis.call('XCLAIM', S, g, PARKED, 0, found, 'JUSTID')
  redis.call('ZADD', p .. 'r:' .. g, now + delay, found)
  return 1
end
deadLetter(g, found, entry(found), attempts, ARGV[5], now)
if ARGV[8] == '1' then redis.call('PUBLISH', p .. 'n', '') end
return 2
`;

/**
 * Returns a consumer's leases to its group at once (the attempt stays
 * counted) and removes the consumer. ARGV: prefix, group, consumer, now.
 */
export const RELEASE = `${PRELUDE}
local g = ARGV[2]
if redis.call('SISMEMBER', p .. 'groups', g) == 0 then return 0 end
local total = 0
repeat
  local pe = redis.call('XPENDING', S, g, '-', '+', 1000, ARGV[3])
  for _, e in ipairs(pe) do
    redis.call('XCLAIM', S, g, PARKED, 0, e[1], 'JUSTID')
    redis.call('ZADD', p .. 'r:' .. g, ARGV[4], e[1])
  end
  total = total + #pe
until #pe < 1000
redis.call('XGROUP', 'DELCONSUMER', S, g, ARGV[3])
if total > 0 then redis.call('PUBLISH', p .. 'n', '') end
return total
`;

/**
 * Numbers of a channel. ARGV: prefix, now. Returns queued, delivered,
 * expired, dead-lettered, dead letters queued, then per group: name,
 * pending, in flight, age of the oldest unfinished entry.
 */
export const STATS = `${PRELUDE}
local now = tonumber(ARGV[2])
local c = redis.call('HMGET', p .. 'cnt', 'delivered', 'expired', 'deadLettered')
local out = { redis.call('ZCARD', p .. 'live'), tonumber(c[1] or '0'), tonumber(c[2] or '0'),
  tonumber(c[3] or '0'), redis.call('XLEN', p .. 'dl') }
if redis.call('EXISTS', S) == 0 then return out end
local infos = {}
for _, info in ipairs(redis.call('XINFO', 'GROUPS', S)) do
  local f = fieldsOf(info)
  infos[f.name] = f
end
local replays = redis.call('ZRANGE', p .. 'rp', 0, -1, 'WITHSCORES')
local function seqOf(id) return tonumber(string.match(id, '^(%d+)')) end
for _, g in ipairs(redis.call('SMEMBERS', p .. 'groups')) do
  local info = infos[g]
  if info then
    local cursor = seqOf(info['last-delivered-id'])
    local parked = redis.call('ZCARD', p .. 'r:' .. g)
    local unread = redis.call('ZCOUNT', p .. 'live', '(' .. cursor, '+inf')
    for i = 1, #replays, 2 do
      if tonumber(replays[i + 1]) > cursor and redis.call('HGET', p .. 'rpg', replays[i]) ~= g then
        unread = unread - 1
      end
    end
    local oldest = nil
    local summary = redis.call('XPENDING', S, g)
    if summary[1] > 0 then oldest = summary[2] end
    local nextUnread = redis.call('ZRANGEBYSCORE', p .. 'live', '(' .. cursor, '+inf', 'LIMIT', 0, 1)[1]
    if nextUnread and (not oldest or seqOf(nextUnread) < seqOf(oldest)) then oldest = nextUnread end
    local age = 0
    if oldest then
      local f = entry(oldest)
      if f then age = math.max(0, now - tonumber(f.t)) end
    end
    out[#out + 1] = g
    out[#out + 1] = unread + parked
    out[#out + 1] = info.pending - parked
    out[#out + 1] = age
  end
end
return out
`;

/**
 * Drops entries past their TTL for every group: from the oldest unfinished
 * entry on while they are expired (a channel's TTL is the same for all its
 * messages), and any replay. Returns leases that ran out to their group
 * (parked, due now; dead-lettered on the last allowed attempt) even when
 * nobody fetches, so stats and dead letters do not wait for a connector.
 * Also removes consumers (connections) that hold nothing and were idle
 * longer than the given time. ARGV: prefix, now, most entries to look at,
 * consumer idle ms, ack timeout ms, max attempts, reason for a lease that
 * ran out on the last attempt. Returns how many expired.
 */
export const SWEEP = `${PRELUDE}
local now = tonumber(ARGV[2])
local n = 0
local function check(id)
  local f = entry(id)
  if f and tonumber(f.x) <= now then
    expire(id, f)
    n = n + 1
    return true
  end
  return false
end
for _, id in ipairs(redis.call('ZRANGE', p .. 'live', 0, tonumber(ARGV[3]) - 1)) do
  if not check(id) then break end
end
for _, id in ipairs(redis.call('ZRANGE', p .. 'rp', 0, tonumber(ARGV[3]) - 1)) do check(id) end
local returned = 0
if redis.call('EXISTS', S) == 1 then
  for _, g in ipairs(redis.call('SMEMBERS', p .. 'groups')) do
    local R = p .. 'r:' .. g
    local r = redis.call('XAUTOCLAIM', S, g, PARKED, ARGV[5], '0-0', 'COUNT', 100, 'JUSTID')
    for _, id in ipairs(r[2]) do
      if not redis.call('ZSCORE', R, id) then
        local pe = redis.call('XPENDING', S, g, id, id, 1)
        if #pe > 0 and pe[1][4] >= tonumber(ARGV[6]) then
          deadLetter(g, id, entry(id), pe[1][4], ARGV[7], now)
        elseif #pe > 0 then
          redis.call('ZADD', R, now, id)
          returned = returned + 1
        end
      end
    end
    for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', S, g)) do
      local f = fieldsOf(info)
      if f.pending == 0 and f.idle > tonumber(ARGV[4]) then
        redis.call('XGROUP', 'DELCONSUMER', S, g, f.name)
      end
    end
  end
end
if returned > 0 then redis.call('PUBLISH', p .. 'n', '') end
return n
`;

/**
 * Takes back a message whose write was not confirmed by WAIT/WAITAOF in
 * time, for every group. ARGV: prefix, entry id.
 */
export const WITHDRAW = `${PRELUDE}
local id = ARGV[2]
local f = entry(id)
for _, g in ipairs(redis.call('SMEMBERS', p .. 'groups')) do
  redis.call('XACK', S, g, id)
  redis.call('ZREM', p .. 'r:' .. g, id)
  redis.call('HDEL', p .. 'ff', g .. '\\n' .. id)
end
if redis.call('HEXISTS', p .. 'left', id) == 1 then forget(id, f) end
redis.call('XDEL', S, id)
return 1
`;

/**
 * Moves one dead letter back into the stream, for one group only, as a new
 * entry (attempts start again). ARGV: prefix, dead-letter entry id, group,
 * bytes (with a fresh expiry), expires at, now. Returns 1 replayed, 0 gone
 * (already replayed or purged), -1 unknown group.
 */
export const REPLAY = `${PRELUDE}
local g = ARGV[3]
if redis.call('SISMEMBER', p .. 'groups', g) == 0 then return -1 end
local r = redis.call('XRANGE', p .. 'dl', ARGV[2], ARGV[2])
if #r == 0 then return 0 end
local f = fieldsOf(r[1][2])
redis.call('XDEL', p .. 'dl', ARGV[2])
local seq = redis.call('INCR', p .. 'seq')
local id = seq .. '-0'
redis.call('XADD', S, 'MINID', '~', oldestLive(seq), id,
  'i', f.i, 'm', ARGV[4], 'x', ARGV[5], 't', ARGV[6], 'g', g)
redis.call('HSET', p .. 'left', id, 1)
redis.call('HSET', p .. 'ids', g .. '\\n' .. f.i, id)
redis.call('ZADD', p .. 'live', seq, id)
redis.call('ZADD', p .. 'rp', seq, id)
redis.call('HSET', p .. 'rpg', id, g)
redis.call('PUBLISH', p .. 'n', '')
return 1
`;
