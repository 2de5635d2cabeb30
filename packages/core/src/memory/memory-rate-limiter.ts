import type { RateLimiter } from '../adapters/rate-limiter.js';
import { SlidingWindow } from '../util/sliding-window.js';

/** The reference RateLimiter: sliding windows in this process. */
export function createMemoryRateLimiter(options: { now?: () => number } = {}): RateLimiter {
  const window = new SlidingWindow(options.now);
  return {
    async consume(key, rule) {
      const retryAfterMs = window.hit(key, rule.limit, rule.windowMs);
      return retryAfterMs === 0 ? { allowed: true } : { allowed: false, retryAfterMs };
    },
  };
}
