import { bearerToken, type AuthRequest } from '@parley/core';

/** The subprotocol a client offers to carry its token: `bearer.<token>` (browsers cannot set headers). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';
/** The subprotocol Parley answers with when the client offers it next to the token. */
export const PARLEY_PROTOCOL = 'parley';

/**
 * The token of an upgrade request, from (in order) `Authorization: Bearer`, a
 * `Sec-WebSocket-Protocol` value `bearer.<token>`, or the `token` query parameter.
 */
export function extractToken(request: AuthRequest): string | null {
  const header = bearerToken(request.headers.authorization);
  if (header !== null) return header;
  for (const protocol of offeredProtocols(request)) {
    if (protocol.startsWith(BEARER_PROTOCOL_PREFIX) && protocol.length > BEARER_PROTOCOL_PREFIX.length) {
      return protocol.slice(BEARER_PROTOCOL_PREFIX.length);
    }
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  const query = url.searchParams.get('token');
  return query === null || query === '' ? null : query;
}

export function offeredProtocols(request: AuthRequest): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * The subprotocol to answer: `parley` when offered, else none. Never the `bearer.<token>`
 * one: echoing it would put the token in a response header. A browser that carries its token
 * in the subprotocol must offer `parley` beside it (`['parley', 'bearer.<token>']`).
 */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(PARLEY_PROTOCOL) ? PARLEY_PROTOCOL : false;
}
