import { ChatError } from '../domain/errors.js';

/**
 * A sliding-window counter per key (user, connection): at most `limit` hits per `windowMs`.
 * In-process by design: each node limits what it serves.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a hit, or throws RATE_LIMITED with `retryAfterMs` when over the limit. */
  consume(key: string, what: string): void {
    const now = this.now();
    const since = now - this.windowMs;
    let times = this.hits.get(key);
    if (times === undefined) {
      times = [];
      this.hits.set(key, times);
    }
    while (times.length > 0 && (times[0] as number) <= since) times.shift();
    if (times.length >= this.limit) {
      const retryAfterMs = (times[0] as number) + this.windowMs - now;
      throw new ChatError('RATE_LIMITED', `Too many ${what}: at most ${this.limit} per ${this.windowMs / 1000} s`, {
        retryAfterMs,
      });
    }
    times.push(now);
    if (this.hits.size > 10_000) this.prune(since);
  }

  private prune(since: number): void {
    for (const [key, times] of this.hits) {
      if (times.length === 0 || (times[times.length - 1] as number) <= since) this.hits.delete(key);
    }
  }
}
