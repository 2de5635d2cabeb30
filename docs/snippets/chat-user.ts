import type { ChatUser } from '@parley/core';

// What `authenticate` returns for a signed-in user (or null to refuse).
export const alice: ChatUser = {
  id: 'alice', // what Parley stores: 1–128 characters, no surrounding whitespace or control characters
  name: 'Alice',
  avatar: 'https://example.com/alice.png', // optional
  status: 'active', // anything else is refused
  expiresAt: Date.now() + 3_600_000, // optional (ISO text, a Date or epoch ms): sockets are closed then
};
