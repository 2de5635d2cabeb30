/**
 * A background pass run every `intervalMs` and on demand (`kick`), never two at once: a kick
 * during a pass runs another right after it. The leased delivery loops — notifications,
 * webhooks, the attachment purge — are built on it; what a pass claims, and how it retries,
 * stays theirs.
 */
export class PollingJob {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    /** A pass that throws is reported here; the next tick or kick tries again. */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Whether `stop` was called: a pass working batch after batch should end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Polls from now on; `runNow` runs a first pass at once rather than after one interval. */
  start(options: { runNow: boolean }): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref?.();
    if (options.runNow) this.kick();
  }

  /** Runs a pass soon; passes never overlap, and a kick during one schedules another. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .then(() => undefined, this.onError)
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.kick());
        }
      });
  }

  /** Waits for the pass in progress, for tests and graceful shutdown. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** No more passes; `beforeWaiting` may abort the one in progress, which is then awaited. */
  async stop(beforeWaiting?: () => void): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    beforeWaiting?.();
    await this.idle();
  }
}

/**
 * The wait before attempt `attempts + 1`: exponential from `baseMs`, ±20 % jitter so that
 * failures of one moment do not retry in step, at least `floorMs` (a receiver's
 * `Retry-After`), at most `maxMs`.
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, floorMs = 0): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** (attempts - 1));
  return Math.min(maxMs, Math.max(exponential * (0.8 + Math.random() * 0.4), floorMs));
}
