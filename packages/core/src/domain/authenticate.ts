import type { ChatUser } from './types.js';

/** The part of an HTTP request an authenticator may read (a `node:http` IncomingMessage fits). */
export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const token = /^Bearer\s+(.+)$/i.exec(header.trim())?.[1]?.trim();
  return token === undefined || token === '' ? null : token;
}

/**
 * The host's authentication, shared by the WebSocket and REST transports: the bearer token
 * found in the request (or null) and the request itself (for cookies or other headers).
 * Returns the user, or null (or throws) to refuse.
 */
export type Authenticate = (token: string | null, request: AuthRequest) => ChatUser | null | Promise<ChatUser | null>;
