

/** Counts by key, most frequent first (ties by key), as facets are shown. */
export function tally<T, K extends string>(rows: readonly T[], key: (row: T) => K): Array<[K, number]> {
  const counts = new Map<K, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function countBy<T, K extends string>(rows: readonly T[], key: (row: T) => K): Partial<Record<K, number>> {
  return Object.fromEntries(tally(rows, key)) as Partial<Record<K, number>>;
}

export interface SeqRange {
  before?: number;
  after?: number;
  around?: number;
  limit: number;
}

/**
 * How many rows to take on each side of an `around` cursor: half at or below it, the rest
 * above, and when one side runs short the other fills the page.
 */
export function aroundSplit(belowAvailable: number, aboveAvailable: number, limit: number): { below: number; above: number } {
  let below = Math.min(belowAvailable, Math.ceil(limit / 2));
  const above = Math.min(aboveAvailable, limit - below);
  below = Math.min(belowAvailable, limit - above);
  return { below, above };
}

/**
 * One page of a seq-ordered list (ascending), as SPEC §3's before/after/around cursors read:
 * `before` takes the newest rows below the cursor, `after` the oldest above it, `around` a
 * window holding it, and no cursor the newest rows.
 */
export function pageRange<T, M>(sorted: readonly T[], range: SeqRange, seqOf: (row: T) => number, map: (row: T) => M): { messages: M[]; hasMoreBefore: boolean; hasMoreAfter: boolean } {
  let start: number;
  let end: number;
  if (range.after !== undefined) {
    start = sorted.findIndex((r) => seqOf(r) > range.after!);
    if (start < 0) start = sorted.length;
    end = Math.min(sorted.length, start + range.limit);
  } else if (range.around !== undefined) {
    let pivot = sorted.findIndex((r) => seqOf(r) > range.around!);
    if (pivot < 0) pivot = sorted.length;
    const split = aroundSplit(pivot, sorted.length - pivot, range.limit);
    start = pivot - split.below;
    end = pivot + split.above;
  } else {
    end = range.before === undefined ? sorted.length : sorted.findIndex((r) => seqOf(r) >= range.before!);
    if (end < 0) end = sorted.length;
    start = Math.max(0, end - range.limit);
  }
  return {
    messages: sorted.slice(start, end).map(map),
    hasMoreBefore: start > 0,
    hasMoreAfter: end < sorted.length,
  };
}
