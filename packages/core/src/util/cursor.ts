import { ChatError } from '../domain/errors.js';

/** Opaque page cursors: base64url JSON, so that hosts never depend on their shape. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, field: string, check: (value: unknown) => value is T): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw ChatError.validation(field, 'is not a cursor returned by Parley');
  }
  if (!check(parsed)) throw ChatError.validation(field, 'is not a cursor returned by Parley');
  return parsed;
}
