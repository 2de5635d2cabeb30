import type { StoreFailureKind } from '@parley/core/adapter-kit';

/** SQLite result codes (the primary code before any `_` suffix) that mean "retry": nothing was written. */
const TRANSIENT = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);
/** Codes that mean the database cannot be used now: disk, file or permission trouble. */
const UNAVAILABLE = new Set(['SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_PERM', 'SQLITE_NOMEM', 'SQLITE_PROTOCOL']);

/**
 * How core should treat a better-sqlite3 failure. Constraint violations and everything else
 * stay unmarked: they are bugs (or bad input that got past validation), not outages.
 */
export function classifySqliteFailure(error: unknown): StoreFailureKind | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    const primary = code.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
    if (TRANSIENT.has(primary)) return 'transient';
    if (UNAVAILABLE.has(primary)) return 'unavailable';
    return undefined;
  }
  // better-sqlite3 reports a closed connection as a TypeError.
  if (error instanceof TypeError && /database connection is not open/i.test(error.message)) return 'unavailable';
  return undefined;
}
