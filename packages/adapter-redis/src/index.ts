/**
 * `@parley/adapter-redis`: what several Parley nodes share through one Redis — presence, the
 * cross-node broker (a Redis Stream) and the rate limiter. Each factory takes a client the
 * host owns (`client`) or a `url` to open and own its connection.
 */
export { createRedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { createRedisBroker, type RedisBrokerOptions } from './redis-broker.js';
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';
export type { RedisConnectionOptions } from './connection.js';
