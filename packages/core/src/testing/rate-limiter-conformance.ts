import assert from 'node:assert/strict';
import type { RateLimiter, RateLimitResult } from '../adapters/rate-limiter.js';
import { newId } from '../util/ids.js';
import type { ConformanceRunner } from './harness.js';
import { sleep } from './wait.js';

export interface RateLimiterConformanceOptions extends ConformanceRunner {
  name?: string;
  /** `count` limiters sharing one backend (one key prefix), as the nodes of one cluster would. */
  createLimiters: (count: number) => RateLimiter[] | Promise<RateLimiter[]>;
  destroyLimiters?: (limiters: RateLimiter[]) => void | Promise<void>;
}

const allowedCount = (results: RateLimitResult[]) => results.filter((r) => r.allowed).length;

/** The RateLimiter conformance suite: the limit holds per key, over time, and across nodes. */
export function runRateLimiterConformance(options: RateLimiterConformanceOptions): void {
  const test = (name: string, count: number, fn: (limiters: RateLimiter[], key: (name: string) => string) => Promise<void>) =>
    options.it(name, async () => {
      const limiters = await options.createLimiters(count);
      const run = newId().slice(0, 8);
      try {
        await fn(limiters, (name) => `${name}-${run}`);
      } finally {
        for (const limiter of limiters) await limiter.close?.();
        await options.destroyLimiters?.(limiters);
      }
    });

  options.describe(`RateLimiter conformance${options.name === undefined ? '' : `: ${options.name}`}`, () => {
    test('allows up to the limit, then refuses with the wait, counting nothing refused', 1, async ([limiter], key) => {
      const rule = { limit: 3, windowMs: 10_000 };
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await limiter!.consume(key('u'), rule));
      assert.deepEqual(results.map((r) => r.allowed), [true, true, true, false, false]);
      const refused = results[3]!;
      assert.ok(!refused.allowed && refused.retryAfterMs > 0 && refused.retryAfterMs <= 10_000, JSON.stringify(refused));
    });

    test('keys are counted apart', 1, async ([limiter], key) => {
      const rule = { limit: 1, windowMs: 10_000 };
      assert.equal((await limiter!.consume(key('a'), rule)).allowed, true);
      assert.equal((await limiter!.consume(key('b'), rule)).allowed, true);
      assert.equal((await limiter!.consume(key('a'), rule)).allowed, false);
    });

    test('the window slides: hits older than it stop counting', 1, async ([limiter], key) => {
      const rule = { limit: 2, windowMs: 250 };
      assert.equal(allowedCount([await limiter!.consume(key('u'), rule), await limiter!.consume(key('u'), rule)]), 2);
      const refused = await limiter!.consume(key('u'), rule);
      assert.equal(refused.allowed, false);
      await sleep(300);
      assert.equal((await limiter!.consume(key('u'), rule)).allowed, true);
    });

    test('hits at once on one node: exactly the limit is allowed', 1, async ([limiter], key) => {
      const rule = { limit: 7, windowMs: 10_000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => limiter!.consume(key('u'), rule)));
      assert.equal(allowedCount(results), 7);
    });

    test('a user on three nodes gets the limit once, not three times', 3, async (limiters, key) => {
      const rule = { limit: 5, windowMs: 10_000 };
      const results = await Promise.all(limiters.flatMap((limiter) => Array.from({ length: 4 }, () => limiter.consume(key('u'), rule))));
      assert.equal(allowedCount(results), 5);
    });
  });
}
