import { ChatError } from './errors.js';
import { idSchema } from './schemas.js';
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

/**
 * What every transport does with the host's answer: no user is UNAUTHENTICATED; a user whose
 * id is not canonical (`"victim "`) is refused rather than trimmed into someone else; a user
 * who is not `active` is FORBIDDEN (seed: ACTIVE only).
 */
export function admitUser(user: ChatUser | null | undefined): ChatUser {
  if (user === null || user === undefined) throw new ChatError('UNAUTHENTICATED', 'Invalid token');
  if (!idSchema.safeParse(user.id).success) throw new ChatError('UNAUTHENTICATED', 'The token names a user id that is not in canonical form');
  if (user.status !== 'active') throw new ChatError('FORBIDDEN', `User ${user.id} is not active`);
  return user;
}
