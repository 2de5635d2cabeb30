import type { Message } from '@parley/core/protocol';

/** A stored message of conversation `c` for the pure state tests: `m<seq>` by bob, version = seq. */
export const message = (seq: number, patch: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversationId: 'c',
  seq,
  senderId: 'bob',
  type: 'text',
  content: `text ${seq}`,
  replyToId: null,
  attachments: [],
  metadata: null,
  clientMessageId: null,
  createdAt: new Date(1_700_000_000_000 + seq).toISOString(),
  editedAt: null,
  deletedAt: null,
  deletedForEveryone: false,
  reactions: [],
  version: seq,
  ...patch,
});
