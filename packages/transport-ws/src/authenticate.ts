import type { IncomingMessage } from 'node:http';
import type { ChatUser } from '@parley/core';

/**
 * The host's authentication: the token found in the request (or null) and the request
 * itself (for cookies or other headers). Returns the user, or null (or throws) to refuse.
 */
export type Authenticate = (token: string | null, request: IncomingMessage) => ChatUser | null | Promise<ChatUser | null>;
