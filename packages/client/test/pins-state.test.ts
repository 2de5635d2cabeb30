import type { Message, Pin } from '@parley/core/protocol';
import { describe, expect, it } from 'vitest';
import { nextPinExpiry, withPin, withPinList, withPinnedMessage, withPinnedReactions, withoutExpiredPins, withoutPin } from '../src/state/pins.js';
import { initialState } from '../src/state/types.js';

const message = (id: string, version = 1, content = id): Message => ({
  id,
  conversationId: 'c',
  seq: 1,
  senderId: 'bob',
  type: 'text',
  content,
  replyToId: null,
  attachments: [],
  metadata: null,
  clientMessageId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deletedAt: null,
  deletedForEveryone: false,
  reactions: [],
  version,
});
const pin = (id: string, pinnedAt: string, expiresAt: string | null = null): Pin => ({ conversationId: 'c', messageId: id, pinnedBy: 'ann', pinnedAt, expiresAt, message: message(id) });
const NOW = '2026-01-01T12:00:00.000Z';

describe('pins in the client state', () => {
  it('are held only for a loaded conversation, newest first, each message once', () => {
    expect(withPin(initialState, pin('a', '2026-01-01T01:00:00.000Z'), NOW)).toBe(initialState);
    let s = withPinList(initialState, 'c', [pin('a', '2026-01-01T01:00:00.000Z'), pin('old', '2026-01-01T00:00:00.000Z', '2026-01-01T06:00:00.000Z')], NOW);
    expect(s.pins.c!.map((p) => p.messageId), 'an expired pin is not taken in').toEqual(['a']);
    s = withPin(s, pin('b', '2026-01-01T02:00:00.000Z'), NOW);
    expect(s.pins.c!.map((p) => p.messageId)).toEqual(['b', 'a']);
    expect(withPin(s, pin('b', '2026-01-01T02:00:00.000Z'), NOW), 'the reply and then the broadcast: one change').toBe(s);
    s = withPin(s, { ...pin('a', '2026-01-01T03:00:00.000Z'), pinnedBy: 'bob' }, NOW);
    expect(s.pins.c!.map((p) => [p.messageId, p.pinnedBy])).toEqual([['a', 'bob'], ['b', 'ann']]);
    s = withoutPin(s, 'c', 'a');
    expect(s.pins.c!.map((p) => p.messageId)).toEqual(['b']);
    expect(withoutPin(s, 'c', 'a')).toBe(s);
  });

  it('follow their messages in version order, and expire', () => {
    let s = withPinList(initialState, 'c', [pin('a', '2026-01-01T01:00:00.000Z', '2026-01-01T13:00:00.000Z')], NOW);
    s = withPinnedMessage(s, message('a', 5, 'edited'));
    s = withPinnedMessage(s, message('a', 3, 'older'));
    expect(s.pins.c![0]!.message).toMatchObject({ content: 'edited', version: 5 });
    s = withPinnedReactions(s, { conversationId: 'c', messageId: 'a', reactions: [{ emoji: '👍', count: 1, userIds: ['x'] }], version: 6 });
    expect(s.pins.c![0]!.message.reactions).toHaveLength(1);
    expect(nextPinExpiry(s)).toBe(Date.parse('2026-01-01T13:00:00.000Z'));
    expect(withoutExpiredPins(s, NOW)).toBe(s);
    expect(withoutExpiredPins(s, '2026-01-01T13:00:00.000Z').pins.c).toEqual([]);
  });
});
