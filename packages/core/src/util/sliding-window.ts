/**
 * Sliding-window counters in one process: at most `limit` hits per `windowMs` per key. The
 * building block of the in-memory rate limiter and of the per-connection frame budget.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a hit and returns 0, or returns how long until one would be allowed (recording nothing). */
  hit(key: string, limit: number, windowMs: number): number {
    const now = this.now();
    const since = now - windowMs;
    let times = this.hits.get(key);
    if (times === undefined) {
      times = [];
      this.hits.set(key, times);
    }
    while (times.length > 0 && (times[0] as number) <= since) times.shift();
    if (times.length >= limit) return Math.max(1, (times[0] as number) + windowMs - now);
    times.push(now);
    if (this.hits.size > 10_000) this.prune(since);
    return 0;
  }

  forget(key: string): void {
    this.hits.delete(key);
  }

  private prune(since: number): void {
    for (const [key, times] of this.hits) {
      if (times.length === 0 || (times[times.length - 1] as number) <= since) this.hits.delete(key);
    }
  }
}
