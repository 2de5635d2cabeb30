import { LuaScript } from './lua-script.js';

/*
 * Presence in Redis, one Lua script per operation so that every read-then-write is atomic,
 * with every expiry measured by Redis's own clock (TIME), so nodes whose clocks differ agree.
 * ARGV[1] is always the key prefix; the keys (see the README) are built from it, because
 * which user and node keys a sweep touches is only known inside the script. That ties the
 * scripts to a single Redis server (not Redis Cluster).
 *
 *   presence:nodes           zset  nodeId → heartbeat expiry (ms)
 *   presence:users           set   users holding at least one socket entry
 *   presence:user:<userId>   hash  socketId → nodeId
 *   presence:node:<nodeId>   set   "<bytes of userId>:<userId><socketId>", the node's sockets
 *   typing:conv:<convId>     zset  userId → typing expiry (ms)
 *   typing:user:<userId>     zset  convId → typing expiry (ms), the index clearUserTyping reads
 */
const COMMON = `
local P = ARGV[1]
local NODES = P .. 'presence:nodes'
local USERS = P .. 'presence:users'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function user_key(u) return P .. 'presence:user:' .. u end
local function node_key(n) return P .. 'presence:node:' .. n end
-- A length prefix, so that no user id or socket id can be mistaken for the separator.
local function member(u, s) return #u .. ':' .. u .. s end
local function split(m)
  local colon = string.find(m, ':', 1, true)
  local len = tonumber(string.sub(m, 1, colon - 1))
  return string.sub(m, colon + 1, colon + len), string.sub(m, colon + len + 1)
end
-- A node never heard from counts as alive, as in the in-memory store.
local alive_cache = {}
local function alive(n, now)
  local v = alive_cache[n]
  if v == nil then
    local expires = redis.call('ZSCORE', NODES, n)
    v = (not expires) or tonumber(expires) > now
    alive_cache[n] = v
  end
  return v
end
local function live_sockets(u, now)
  local entries = redis.call('HGETALL', user_key(u))
  local out = {}
  for i = 1, #entries, 2 do
    if alive(entries[i + 1], now) then out[#out + 1] = entries[i] end
  end
  return out
end
-- Drops every entry of the user, those on dead nodes included.
local function forget_user(u)
  local entries = redis.call('HGETALL', user_key(u))
  for i = 1, #entries, 2 do redis.call('SREM', node_key(entries[i + 1]), member(u, entries[i])) end
  redis.call('DEL', user_key(u))
  redis.call('SREM', USERS, u)
end
`;

const script = (name: string, body: string) => new LuaScript(name, COMMON + body);

/** ARGV: prefix, userId, socketId, nodeId → 1 when the user had no live socket before. */
export const ADD_SOCKET = script(
  'addSocket',
  `
local now = now_ms()
local u, s, n = ARGV[2], ARGV[3], ARGV[4]
local first = #live_sockets(u, now) == 0
local previous = redis.call('HGET', user_key(u), s)
if previous and previous ~= n then redis.call('SREM', node_key(previous), member(u, s)) end
redis.call('HSET', user_key(u), s, n)
redis.call('SADD', node_key(n), member(u, s))
redis.call('SADD', USERS, u)
return first and 1 or 0
`,
);

/** ARGV: prefix, userId, socketId → 1 when that was the user's last live socket. */
export const REMOVE_SOCKET = script(
  'removeSocket',
  `
local now = now_ms()
local u, s = ARGV[2], ARGV[3]
local n = redis.call('HGET', user_key(u), s)
if not n then return 0 end
redis.call('HDEL', user_key(u), s)
redis.call('SREM', node_key(n), member(u, s))
local last = #live_sockets(u, now) == 0
-- Gone offline: entries left on dead nodes go too, so no sweep announces the user again.
if last then forget_user(u) end
return last and 1 or 0
`,
);

/** ARGV: prefix, userId... → the users with a live socket, in the given order. */
export const FILTER_ONLINE = script(
  'filterOnline',
  `
local now = now_ms()
local out = {}
for i = 2, #ARGV do
  if #live_sockets(ARGV[i], now) > 0 then out[#out + 1] = ARGV[i] end
end
return out
`,
);

/** ARGV: prefix → every user with a live socket. */
export const ONLINE_USERS = script(
  'getOnlineUsers',
  `
local now = now_ms()
local out = {}
for _, u in ipairs(redis.call('SMEMBERS', USERS)) do
  if #live_sockets(u, now) > 0 then out[#out + 1] = u end
end
return out
`,
);

/** ARGV: prefix, userId → the user's live socket ids. */
export const USER_SOCKETS = script('getUserSockets', `return live_sockets(ARGV[2], now_ms())`);

/** ARGV: prefix, nodeId, ttlMs. */
export const HEARTBEAT = script(
  'heartbeat',
  `
redis.call('ZADD', NODES, now_ms() + tonumber(ARGV[3]), ARGV[2])
return 1
`,
);

/**
 * Drops the sockets of the given nodes and the nodes themselves; returns the users who lost
 * a socket and have no live one left. Nodes are forgotten last, as in the in-memory store.
 */
const DROP_NODES = `
local function drop_nodes(nodes, now)
  local touched, seen = {}, {}
  for _, n in ipairs(nodes) do
    for _, m in ipairs(redis.call('SMEMBERS', node_key(n))) do
      local u, s = split(m)
      if redis.call('HGET', user_key(u), s) == n then
        redis.call('HDEL', user_key(u), s)
        if not seen[u] then
          seen[u] = true
          touched[#touched + 1] = u
        end
      end
    end
    redis.call('DEL', node_key(n))
  end
  local orphaned = {}
  for _, u in ipairs(touched) do
    if #live_sockets(u, now) == 0 then
      -- Gone offline: entries left on other dead nodes go too, so no later sweep announces the user again.
      forget_user(u)
      orphaned[#orphaned + 1] = u
    elseif redis.call('EXISTS', user_key(u)) == 0 then
      redis.call('SREM', USERS, u)
    end
  end
  for _, n in ipairs(nodes) do redis.call('ZREM', NODES, n) end
  return orphaned
end
`;

/** ARGV: prefix, nodeId → the users left with no live socket. */
export const REMOVE_NODE = script('removeNode', `${DROP_NODES}\nreturn drop_nodes({ ARGV[2] }, now_ms())`);

/**
 * ARGV: prefix → the users left with no live socket once every expired node is dropped.
 * One script, so two nodes sweeping at once cannot both see (and announce) the same node.
 */
export const REMOVE_DEAD_NODES = script(
  'removeDeadNodes',
  `${DROP_NODES}
local now = now_ms()
local dead = redis.call('ZRANGEBYSCORE', NODES, '-inf', now)
if #dead == 0 then return {} end
return drop_nodes(dead, now)
`,
);

const TYPING = `
local function conv_key(c) return P .. 'typing:conv:' .. c end
local function typing_user_key(u) return P .. 'typing:user:' .. u end
-- A typing key lives as long as its latest entry, so abandoned ones vanish by themselves.
local function expire_with_latest(k)
  local latest = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  if latest[2] then redis.call('PEXPIREAT', k, tonumber(latest[2]) + 1) end
end
`;

/** ARGV: prefix, conversationId, userId, ttlMs → 1 when the user was not typing there. */
export const SET_TYPING = script(
  'setTyping',
  `${TYPING}
local now = now_ms()
local c, u = ARGV[2], ARGV[3]
local ck, uk = conv_key(c), typing_user_key(u)
local current = redis.call('ZSCORE', ck, u)
local expires = now + tonumber(ARGV[4])
redis.call('ZADD', ck, expires, u)
redis.call('ZADD', uk, expires, c)
redis.call('ZREMRANGEBYSCORE', ck, '-inf', now)
redis.call('ZREMRANGEBYSCORE', uk, '-inf', now)
expire_with_latest(ck)
expire_with_latest(uk)
return ((not current) or tonumber(current) <= now) and 1 or 0
`,
);

/** ARGV: prefix, conversationId, userId → 1 when the user was typing there. */
export const CLEAR_TYPING = script(
  'clearTyping',
  `${TYPING}
local now = now_ms()
local c, u = ARGV[2], ARGV[3]
local expires = redis.call('ZSCORE', conv_key(c), u)
redis.call('ZREM', conv_key(c), u)
redis.call('ZREM', typing_user_key(u), c)
return (expires and tonumber(expires) > now) and 1 or 0
`,
);

/** ARGV: prefix, conversationId → the users typing there now. */
export const GET_TYPING = script(
  'getTyping',
  `${TYPING}
return redis.call('ZRANGEBYSCORE', conv_key(ARGV[2]), '(' .. now_ms(), '+inf')
`,
);

/** ARGV: prefix, userId → the conversations where the user was typing (and is no longer). */
export const CLEAR_USER_TYPING = script(
  'clearUserTyping',
  `${TYPING}
local now = now_ms()
local u = ARGV[2]
local cleared = {}
for _, c in ipairs(redis.call('ZRANGE', typing_user_key(u), 0, -1)) do
  local expires = redis.call('ZSCORE', conv_key(c), u)
  if expires then
    redis.call('ZREM', conv_key(c), u)
    if tonumber(expires) > now then cleared[#cleared + 1] = c end
  end
end
redis.call('DEL', typing_user_key(u))
return cleared
`,
);
