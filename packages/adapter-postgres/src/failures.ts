import type { StoreFailureKind } from '@parley/core/adapter-kit';

/** SQLSTATEs after which the transaction certainly did nothing and may simply run again. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P03', // cannot_connect_now: the server is starting
  '53300', // too_many_connections: refused at connect
]);
/** Socket errors raised while connecting: nothing was sent. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * How core should treat a `pg` failure: retry what certainly did not happen; call
 * everything that means "the database is not there" (or "we cannot know whether the commit
 * happened") unavailable; leave the rest — constraint violations, syntax errors — to be bugs.
 */
export function classifyPostgresFailure(error: unknown): StoreFailureKind | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_SQLSTATES.has(code) || CONNECT_ERRORS.has(code)) return 'transient';
    // 08: connection exception; 57P01/02: the server shut the session down; 58: system I/O error;
    // 53: out of resources (disk full, memory).
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code.startsWith('58') || code.startsWith('53')) return 'unavailable';
    if (['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return 'unavailable';
    return undefined;
  }
  // pg's own messages for a connection that went away or never came.
  if (/Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(error.message)) {
    return 'unavailable';
  }
  return undefined;
}
