import type { IncomingMessage } from 'node:http';

/**
 * Which browser pages may open a socket. `same-origin` (the default) accepts an `Origin` whose
 * host is the request's own `Host`; a list accepts exactly those origins; `*` accepts any.
 * A request without `Origin` is not from a browser page (browsers always send it on a
 * WebSocket upgrade), so cross-site WebSocket hijacking cannot come from it: it is accepted.
 * With cookie authentication, never use `*`.
 */
export type AllowedOrigins = 'same-origin' | '*' | string[];

export function originAllowed(allowed: AllowedOrigins, request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowed === '*') return true;
  if (allowed === 'same-origin') {
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  }
  return allowed.includes(origin);
}
