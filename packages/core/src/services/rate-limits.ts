import type { RateLimiter, RateLimitRule } from '../adapters/rate-limiter.js';
import { ChatError } from '../domain/errors.js';
import { createMemoryRateLimiter } from '../memory/memory-rate-limiter.js';
import type { Logger } from '../util/logger.js';

/** After the shared limiter failed, this process decides alone for this long before asking it again. */
const COOL_DOWN_MS = 2_000;

/**
 * The services' and the hub's door to the shared rate limiter. A refusal becomes
 * `RATE_LIMITED` with `retryAfterMs`. Should the shared limiter fail (Redis down), this
 * process's own counts decide meanwhile: limits loosen to per-node, nothing is refused for an
 * outage of the limiter, and — since every call to a dead Redis waits for its timeout — the
 * shared one is not asked again for a couple of seconds.
 */
export class RateLimits {
  private readonly local: RateLimiter;
  private failing = false;
  private retryAt = 0;

  constructor(
    private readonly shared: RateLimiter,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.local = createMemoryRateLimiter({ now });
  }

  /** Counts a hit of `key`, or throws RATE_LIMITED naming `what` ("messages", "typing events"). */
  async consume(key: string, rule: RateLimitRule, what: string): Promise<void> {
    let result;
    try {
      if (this.failing && this.now() < this.retryAt) throw new Error('shared rate limiter cooling down');
      result = await this.shared.consume(key, rule);
      if (this.failing) {
        this.failing = false;
        this.logger.info('rate limiter reachable again');
      }
    } catch (error) {
      if (!this.failing) this.logger.warn('rate limiter unavailable; counting in this process', { error: String(error) });
      if (!this.failing || this.now() >= this.retryAt) this.retryAt = this.now() + COOL_DOWN_MS;
      this.failing = true;
      result = await this.local.consume(key, rule);
    }
    if (!result.allowed) {
      throw new ChatError('RATE_LIMITED', `Too many ${what}: at most ${rule.limit} per ${rule.windowMs / 1000} s`, { retryAfterMs: result.retryAfterMs });
    }
  }
}
