/** At most `limit` hits per `windowMs`. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export type RateLimitResult = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Counts hits per key (a user, for messages and typing) against a rule. Every node using the
 * same backend shares the counts, so a user with sockets on three nodes gets the limit once,
 * not three times. The in-memory limiter serves one process; the Redis one serves many.
 */
export interface RateLimiter {
  /** Counts one hit: allowed, or refused (nothing counted) with how long until one would be allowed. */
  consume(key: string, rule: RateLimitRule): Promise<RateLimitResult>;
  close?(): Promise<void>;
}
