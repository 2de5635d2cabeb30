import type { RateLimiter } from '@parley/core';
import { runRateLimiterConformance } from '@parley/core/testing';
import { describe, it } from 'vitest';
import { describeWithService, redisUnavailable } from '../../../test-support/services.js';
import { createRedisRateLimiter } from '../src/index.js';
import { deleteKeys, REDIS_URL, testPrefix } from './redis-kit.js';

const prefixes = new Map<RateLimiter, string>();

describeWithService('Redis rate limiter', await redisUnavailable(), () => {
  runRateLimiterConformance({
    name: 'redis',
    describe,
    it,
    // Several nodes: a limiter (and connection) each, sharing one prefix.
    createLimiters: (count) => {
      const prefix = testPrefix('rate-limiter-conformance');
      const limiters = Array.from({ length: count }, () => createRedisRateLimiter({ url: REDIS_URL, prefix }));
      for (const limiter of limiters) prefixes.set(limiter, prefix);
      return limiters;
    },
    destroyLimiters: async (limiters) => {
      await deleteKeys(prefixes.get(limiters[0]!)!);
      for (const limiter of limiters) prefixes.delete(limiter);
    },
  });
});
