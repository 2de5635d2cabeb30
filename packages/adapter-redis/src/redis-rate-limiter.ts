import type { RateLimiter } from '@parley/core';
import { randomUUID } from 'node:crypto';
import { openConnection, parseOptions, type RedisConnectionOptions } from './connection.js';
import { LuaScript } from './lua-script.js';

export type RedisRateLimiterOptions = RedisConnectionOptions;

/**
 * A sliding window per key: a sorted set of the hits of the last `windowMs`, scored by
 * Redis's clock. Old hits are dropped, the rest counted, and the hit recorded only when
 * under the limit — one script, so hits from every node at once never exceed the limit.
 * A refusal returns how long until the oldest hit leaves the window. The key expires with
 * its window, so idle users cost nothing.
 *
 * KEYS[1]: the key. ARGV: limit, windowMs, a member unique to this hit.
 */
const CONSUME = new LuaScript(
  'consume',
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = window
  if oldest[2] then wait = tonumber(oldest[2]) + window - now end
  if wait < 1 then wait = 1 end
  return wait
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
`,
);

/**
 * RateLimiter on Redis, shared by every node: a user with sockets on three nodes gets the
 * limit once. Our own script rather than rate-limiter-flexible, whose Redis limiter counts
 * fixed windows (twice the limit across a window edge), counts refused hits too, and fixes
 * the rule per limiter while our contract passes it per call.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const config = parseOptions('createRedisRateLimiter', {}, options);
  const connection = openConnection(config, 'rate-limiter');
  // Hits within one millisecond need distinct members.
  const instance = randomUUID();
  let hits = 0;

  return {
    async consume(key, rule) {
      const limit = Math.max(0, Math.floor(rule.limit));
      const windowMs = Math.max(1, Math.ceil(rule.windowMs));
      hits += 1;
      const wait = (await connection.call('rateLimiter.consume', (client) =>
        CONSUME.run(client, [`${connection.prefix}rate:${key}`], [limit, windowMs, `${instance}:${hits}`]),
      )) as number;
      return wait === 0 ? { allowed: true } : { allowed: false, retryAfterMs: wait };
    },

    close: () => connection.close(),
  };
}
