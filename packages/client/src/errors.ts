import type { ErrorCode, ErrorPayload } from '@parley/core/protocol';

/**
 * Codes of failures the client itself reports, beside the server's `ErrorCode`s:
 * - `DISCONNECTED`: the socket closed before the reply came (the server may or may not have
 *   acted on the request; sends go through the outbox, which resends them safely);
 * - `TIMEOUT`: no reply within `requestTimeoutMs`;
 * - `CLOSED`: the client was closed, or gave up (repeated authentication failure);
 * - `PROTOCOL`: the server sent something this client does not understand.
 */
export type ClientErrorCode = ErrorCode | 'DISCONNECTED' | 'TIMEOUT' | 'CLOSED' | 'PROTOCOL';

/** A failed request: the server's `error { code, message, details }`, or one of the client's own codes. */
export class ClientError extends Error {
  override readonly name = 'ClientError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** With `RATE_LIMITED`: how long the server asks to wait, in ms. */
  get retryAfterMs(): number | undefined {
    const value = this.details?.retryAfterMs;
    return typeof value === 'number' ? value : undefined;
  }

  /** `details.field`: the input the server refused, when it names one. */
  get field(): string | undefined {
    const value = this.details?.field;
    return typeof value === 'string' ? value : undefined;
  }

  static fromPayload(payload: ErrorPayload): ClientError {
    return new ClientError(payload.code, payload.message, payload.details);
  }

  toJSON(): { code: ClientErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** Server refusals that sending again will not change: the send fails for good. */
export const PERMANENT_SEND_ERRORS: ReadonlySet<ClientErrorCode> = new Set(['VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'PAYLOAD_TOO_LARGE', 'CONFLICT', 'METHOD_NOT_ALLOWED']);
