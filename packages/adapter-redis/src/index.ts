/**
 * `@parley/adapter-redis`: what several Parley nodes share through one Redis — presence, the
 * cross-node broker (a Redis Stream) and the rate limiter. Each factory takes a client the
 * host owns (`client`) or a `url` to open and own its connection.
 */
export type { RedisConnectionOptions } from './connection.js';
export { createRedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';
