export { attachWebSocket, type AttachWebSocketOptions, type WebSocketAttachment } from './attach-websocket.js';
export { jwtAuthenticator, type JwtAuthenticatorOptions } from './jwt-authenticator.js';
export type { Authenticate, AuthRequest } from '@parley/core';
export { extractToken, BEARER_PROTOCOL_PREFIX, PARLEY_PROTOCOL } from './token.js';
