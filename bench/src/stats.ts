/**
 * Latency histograms and the summaries the report uses. A histogram keeps counts, not
 * samples, so the load generator records a delivery in a few nanoseconds and histograms from
 * several generator processes merge by adding counts.
 */

/** Sub-buckets per power of two: values are kept to within 1/128 (< 0.8 %). */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;

/**
 * Log-linear histogram of non-negative durations in microseconds (HDR-style): below 128 µs
 * each microsecond has its bucket; above, each power of two is split in 128 buckets.
 */
export class Histogram {
  counts: number[] = [];
  total = 0;
  max = 0;

  record(micros: number): void {
    const value = micros < 0 ? 0 : Math.floor(micros);
    const index = bucketOf(value);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total += 1;
    if (micros > this.max) this.max = micros;
  }

  merge(other: HistogramJson): void {
    other.counts.forEach((count, index) => {
      if (count) this.counts[index] = (this.counts[index] ?? 0) + count;
    });
    this.total += other.total;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q (0..1), as the upper edge of its bucket, in microseconds. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let index = 0; index < this.counts.length; index++) {
      seen += this.counts[index] ?? 0;
      if (seen >= rank) return Math.min(upperEdge(index), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return { count: this.total, p50: ms(this.quantile(0.5)), p99: ms(this.quantile(0.99)), p999: ms(this.quantile(0.999)), max: ms(this.max) };
  }

  toJSON(): HistogramJson {
    return { counts: this.counts.map((c) => c ?? 0), total: this.total, max: this.max };
  }

  static from(json: HistogramJson): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}

export interface HistogramJson {
  counts: number[];
  total: number;
  max: number;
}

/** Milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

function bucketOf(value: number): number {
  if (value < SUB) return value;
  const exponent = 31 - Math.clz32(value) - SUB_BITS; // value >> exponent is in [SUB, 2*SUB)
  return (exponent + 1) * SUB + ((value >>> exponent) - SUB);
}

function upperEdge(index: number): number {
  if (index < SUB) return index + 1;
  const exponent = Math.floor(index / SUB) - 1;
  const mantissa = (index % SUB) + SUB;
  return (mantissa + 1) * 2 ** exponent;
}

const ms = (micros: number) => (Number.isNaN(micros) ? Number.NaN : Math.round(micros) / 1000);

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? (finite[mid] as number) : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}

/** `a / b`, or NaN when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}
