import type { Message } from '@parley/core/protocol';
import { describe, expect, it } from 'vitest';
import { withDeleted, withReactions, withSyncEntry, withTruncation } from '../src/state/events.js';
import { initialState, type ParleyState } from '../src/state/types.js';
import { message } from './support/messages.js';
import { applyChanges, emptyWindow, hasGap, mergeMessages, truncateWindow } from '../src/state/windows.js';


describe('message windows', () => {
  it('hold each message once, sorted by seq, and move the cursor only over seqs held without a gap', () => {
    let w = emptyWindow('c', { seq: 0, version: 0 }, false);
    w = mergeMessages(w, [message(2), message(1), message(2)]);
    expect(w.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(w.cursor.seq).toBe(2);
    w = mergeMessages(w, [message(5)]);
    expect(hasGap(w)).toBe(true);
    expect(w.cursor.seq).toBe(2);
    w = mergeMessages(w, [message(4), message(3)]);
    expect(w.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(w.cursor.seq).toBe(5);
    expect(mergeMessages(w, [message(3)])).toBe(w);
  });

  it('apply changes in version order: an older version never replaces a newer one', () => {
    let w = mergeMessages(emptyWindow('c', { seq: 0, version: 0 }, false), [message(1)]);
    w = applyChanges(w, [message(1, { content: 'v9', version: 9 })]);
    w = applyChanges(w, [message(1, { content: 'v7', version: 7 })]);
    expect(w.messages[0]).toMatchObject({ content: 'v9', version: 9 });
    w = mergeMessages(w, [message(1, { content: 'v8', version: 8 })]);
    expect(w.messages[0]!.content).toBe('v9');
  });

  it('take reactions and deletes only when newer, and hide messages deleted for me', () => {
    let s: ParleyState = { ...initialState, windows: { c: mergeMessages(emptyWindow('c', { seq: 0, version: 0 }, false), [message(1), message(2)]) } };
    s = withReactions(s, { conversationId: 'c', messageId: 'm1', reactions: [{ emoji: '👍', count: 1, userIds: ['bob'] }], userId: 'bob', emoji: '👍', action: 'added', version: 5 });
    s = withReactions(s, { conversationId: 'c', messageId: 'm1', reactions: [], userId: 'bob', emoji: '👍', action: 'removed', version: 4 });
    expect(s.windows.c!.messages[0]!.reactions).toHaveLength(1);
    s = withDeleted(s, { conversationId: 'c', messageId: 'm1', forEveryone: true, deletedBy: 'bob', version: 6 });
    expect(s.windows.c!.messages[0]).toMatchObject({ deletedForEveryone: true, content: null, reactions: [], version: 6 });
    s = withDeleted(s, { conversationId: 'c', messageId: 'm2', forEveryone: false, deletedBy: 'alice', version: 7 });
    expect(s.windows.c!.messages.map((m) => m.id)).toEqual(['m1']);
  });

  it('catch-up entries remove hidden ids, add messages, apply changes and take the change cursor', () => {
    let s: ParleyState = { ...initialState, windows: { c: mergeMessages(emptyWindow('c', { seq: 0, version: 0 }, false), [message(1), message(2)]) } };
    const before = s;
    s = withSyncEntry(s, 'c', { messages: [message(3)], hasMore: false, lastSeq: 3, changes: [message(1, { content: 'edited', version: 4 })], hiddenIds: ['m2'], version: 5, hasMoreChanges: false, truncatedBefore: 1 });
    expect(s.windows.c!.messages.map((m) => [m.id, m.content])).toEqual([['m1', 'edited'], ['m3', 'text 3']]);
    expect(s.windows.c!.cursor).toEqual({ seq: 3, version: 5 });
    expect(s.windows.c!.synced).toBe(true);
    expect(s.conversations.c).toMatchObject({ lastSeq: 3, lastMessage: { id: 'm3' } });
    expect(before.windows.c!.messages).toHaveLength(2);
  });

  it('retention: messages below truncatedBefore leave the window; nothing older remains to load', () => {
    const w = mergeMessages(emptyWindow('c', { seq: 0, version: 0 }, true), [message(3), message(4), message(5)]);
    expect(truncateWindow(w, 1)).toBe(w);
    expect(truncateWindow(w, 3)).toMatchObject({ hasMoreBefore: false });
    const cut = truncateWindow(w, 5);
    expect(cut.messages.map((m) => m.seq)).toEqual([5]);
    expect(cut.hasMoreBefore).toBe(false);
    expect(cut.cursor.seq).toBe(5);
    let s: ParleyState = { ...initialState, windows: { c: w } };
    s = { ...s, conversations: { c: { id: 'c', info: null, unreadCount: 0, mentionCount: 0, firstUnreadSeq: null, lastMessage: message(5), lastSeq: 5, lastReadSeq: 0, readPositions: {}, updatedAt: null } } };
    s = withTruncation(s, 'c', 6);
    expect(s.windows.c!.messages).toEqual([]);
    expect(s.conversations.c!.lastMessage).toBeNull();
  });

  it('a catch-up whose cursor fell behind retention moves the cursor to the cut instead of waiting for a gap that never fills', () => {
    let s: ParleyState = { ...initialState, windows: { c: mergeMessages(emptyWindow('c', { seq: 0, version: 0 }, false), [message(1), message(2)]) } };
    // Retention removed seqs 1..6 while this client was away; 7 and 8 are what is left.
    s = withSyncEntry(s, 'c', { messages: [message(7), message(8)], hasMore: false, lastSeq: 8, changes: [], hiddenIds: [], version: 8, hasMoreChanges: false, truncatedBefore: 7 });
    expect(s.windows.c!.messages.map((m) => m.seq)).toEqual([7, 8]);
    expect(s.windows.c!.cursor).toEqual({ seq: 8, version: 8 });
    expect(hasGap(s.windows.c!)).toBe(false);
    expect(s.windows.c!.synced).toBe(true);
  });
});
