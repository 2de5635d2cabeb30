export interface BackoffOptions {
  /** First delay. Default 500 ms. */
  initialDelayMs?: number;
  /** Largest delay. Default 30 s. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

/**
 * Exponential backoff with "equal jitter": each delay is drawn between half and all of the
 * exponential step, so many clients cut off at once (a server restart) do not all come back
 * in the same millisecond, yet none retries sooner than half the step.
 */
export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initial = options.initialDelayMs ?? 500;
    this.max = options.maxDelayMs ?? 30_000;
    this.factor = options.factor ?? 2;
  }

  /** The next delay; each call grows the step until the cap. */
  next(): number {
    const step = Math.min(this.max, this.initial * this.factor ** this.attempt);
    this.attempt += 1;
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  /** After a stable connection: start from the first step again. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
