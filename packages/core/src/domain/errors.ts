/**
 * The one error type Parley throws. Every failure a caller can act on carries a `code` from
 * SPEC §3, a message written for a person, and `details` naming the offending field where
 * there is one. Transports map codes to HTTP statuses and wire `error` frames.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'VALIDATION_FAILED',
  'CONFLICT',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  /** Transport level: the path exists, under other methods (HTTP 405 with `Allow`). */
  'METHOD_NOT_ALLOWED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One bad input field: its dotted path and what is wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface ChatErrorDetails {
  /** The first offending field, for callers that only show one. */
  field?: string;
  /** Every offending field, when validation found several. */
  issues?: FieldIssue[];
  /** With RATE_LIMITED: how long to wait before trying again. */
  retryAfterMs?: number;
  [key: string]: unknown;
}

/** Marks every ChatError, whichever copy of core made it (see `Symbol.hasInstance` below). */
const CHAT_ERROR = Symbol.for('parley.ChatError');

export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ErrorCode;
  readonly details: ChatErrorDetails | undefined;
  private readonly [CHAT_ERROR] = true;

  constructor(code: ErrorCode, message: string, details?: ChatErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /**
   * `instanceof ChatError` holds for a ChatError of any copy of core in the process: the
   * ESM and the CommonJS build loaded side by side (an app that both imports and requires
   * Parley), or two versions after a skew. Otherwise an adapter's error would fail the check
   * and a client's bad input would become a 500.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CHAT_ERROR] === true;
  }

  /** The JSON shape used by REST (`{ error: … }`) and by wire `error` frames. */
  toJSON(): { code: ErrorCode; message: string; details?: ChatErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static is(value: unknown, code?: ErrorCode): value is ChatError {
    return value instanceof ChatError && (code === undefined || value.code === code);
  }

  static validation(field: string, message: string): ChatError {
    return new ChatError('VALIDATION_FAILED', `${field}: ${message}`, { field, issues: [{ field, message }] });
  }

  static notFound(what: string, field?: string): ChatError {
    return new ChatError('NOT_FOUND', `${what} not found`, field === undefined ? undefined : { field });
  }

  static forbidden(message: string): ChatError {
    return new ChatError('FORBIDDEN', message);
  }
}
