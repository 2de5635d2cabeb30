/**
 * How an adapter tells core what kind of failure it threw, so that core neither retries what
 * may have taken effect nor reports a bug as an outage:
 * - `transient`: the call certainly had no effect (a serialization failure, a deadlock, a
 *   connection refused before anything was sent); core retries it a bounded number of times;
 * - `unavailable`: the backing service is down, or the outcome is unknown (a connection lost
 *   during a commit); core answers `UNAVAILABLE` at once, and clients resend idempotently.
 * Anything unmarked is a bug or unexpected input and becomes `INTERNAL`.
 *
 * The mark is a registered symbol, so it survives two copies of core in one application.
 */
export type StoreFailureKind = 'transient' | 'unavailable';

const MARK = Symbol.for('parley.storeFailure');

/** Marks `error` (an Error is marked in place; anything else is wrapped) and returns it. */
export function markStoreFailure(error: unknown, kind: StoreFailureKind): Error {
  const marked = error instanceof Error ? error : new Error(String(error));
  Object.defineProperty(marked, MARK, { value: kind, configurable: true });
  return marked;
}

export function storeFailureKind(error: unknown): StoreFailureKind | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const kind = (error as Record<symbol, unknown>)[MARK];
  return kind === 'transient' || kind === 'unavailable' ? kind : undefined;
}

/**
 * Wraps every method of an adapter object once: a failure it throws (or rejects with) is
 * passed to `classify`, and marked with what it answers. Adapters call this on the object
 * they return, so the classification of their driver's errors lives in one function.
 */
export function classifyStoreFailures<S extends object>(store: S, classify: (error: unknown) => StoreFailureKind | undefined): S {
  const mark = (error: unknown) => {
    if (storeFailureKind(error) !== undefined) return error;
    const kind = classify(error);
    return kind === undefined ? error : markStoreFailure(error, kind);
  };
  const wrapped: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(store)) {
    const value = (store as Record<string | symbol, unknown>)[key];
    if (typeof value !== 'function') {
      Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(store, key)!);
      continue;
    }
    wrapped[key] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => unknown).apply(store, args);
      } catch (error) {
        throw mark(error);
      }
    };
  }
  return wrapped as S;
}
