import { describe, it } from 'vitest';
import { createMemoryRateLimiter } from '../src/index.js';
import { runRateLimiterConformance } from '../src/testing/index.js';

runRateLimiterConformance({
  name: 'memory',
  describe,
  it,
  // One process: its nodes are one limiter.
  createLimiters: (count) => Array(count).fill(createMemoryRateLimiter()),
});
