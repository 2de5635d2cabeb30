import type { RateLimiter } from '@parley/core';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithService, redisUnavailable } from '../../../test-support/services.js';
import { createRedisRateLimiter } from '../src/index.js';
import { adminClient, deadPort, deleteKeys, REDIS_URL, testPrefix } from './redis-kit.js';

const filePrefix = testPrefix('rate-limiter');
let cases = 0;
const casePrefix = () => `${filePrefix}${(cases += 1)}:`;

describeWithService('Redis rate limiter: what it stores, and Redis down', await redisUnavailable(), () => {
  let admin: Redis;
  const opened: RateLimiter[] = [];

  beforeAll(async () => {
    admin = await adminClient();
  });
  afterEach(async () => {
    for (const limiter of opened.splice(0)) await limiter.close?.();
  });
  afterAll(async () => {
    await deleteKeys(filePrefix);
    admin.disconnect();
  });

  it('allowed hits only are kept, in one sorted set per key that expires with its window', async () => {
    const prefix = casePrefix();
    const limiter = createRedisRateLimiter({ url: REDIS_URL, prefix });
    opened.push(limiter);
    const rule = { limit: 3, windowMs: 60_000 };
    for (let i = 0; i < 5; i++) await limiter.consume('user-1', rule);
    expect(await admin.zcard(`${prefix}rate:user-1`)).toBe(3);
    const ttl = await admin.pttl(`${prefix}rate:user-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('consume rejects within a bounded time when Redis is unreachable (core then counts locally)', async () => {
    const limiter = createRedisRateLimiter({ url: `redis://127.0.0.1:${await deadPort()}`, prefix: casePrefix() });
    opened.push(limiter);
    await expect(limiter.consume('user-1', { limit: 1, windowMs: 1_000 })).rejects.toThrow(/rateLimiter\.consume/);
  });
});
