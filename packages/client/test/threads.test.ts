import type { Message } from '@parley/core/protocol';
import { waitFor } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { withMessages, withSyncEntry } from '../src/state/events.js';
import { initialState, type ParleyState } from '../src/state/types.js';
import { message } from './support/messages.js';
import { emptyWindow } from '../src/state/windows.js';
import { connectClient, startServer, type TestServer } from './support/server.js';


describe('thread state (pure)', () => {
  const withWindow = (): ParleyState => ({ ...initialState, windows: { c: emptyWindow('c', { seq: 1, version: 1 }, false) } });

  it('keeps thread-only replies out of the timeline, and the cursor steps over their seqs', () => {
    let s = withMessages(withWindow(), 'c', [message(2), message(3, { threadId: 'm2' }), message(4, { threadId: 'm2', alsoToConversation: true })]);
    expect(s.windows.c!.messages.map((m) => m.seq)).toEqual([2, 4]);
    expect(s.windows.c!.cursor.seq).toBe(4);
    expect(s.conversations.c!.lastMessage?.seq).toBe(4);
    s = withMessages(s, 'c', [message(5, { threadId: 'm2' })]);
    expect(s.conversations.c!.lastMessage?.seq).toBe(4);
    expect(s.conversations.c!.lastSeq).toBe(5);
    expect(s.windows.c!.cursor.seq).toBe(5);
  });

  it('a catch-up that ends on thread replies settles the cursor past them', () => {
    const s = withSyncEntry(withWindow(), 'c', {
      messages: [message(2), message(3, { threadId: 'm2' })],
      hasMore: false,
      lastSeq: 3,
      truncatedBefore: 1,
      changes: [],
      hiddenIds: [],
      version: 3,
      hasMoreChanges: false,
    });
    expect(s.windows.c!.messages.map((m) => m.seq)).toEqual([2]);
    expect(s.windows.c!.cursor).toEqual({ seq: 3, version: 3 });
  });
});

describe('threads, mentions and thread unread counts over a real server', () => {
  let server: TestServer;
  const clients: ParleyClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it('opens a thread, follows replies live, pages older ones, sends into it, tracks unread and mention counts', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createGroupConversation('alice', { name: 'g', memberIds: ['bob'] });
    const root = await server.chat.messages.sendMessage('alice', { conversationId: id, content: 'root' });
    for (let i = 1; i <= 3; i++) await server.chat.messages.sendMessage('bob', { conversationId: id, content: `old ${i}`, threadId: root.id });
    const alice = connectClient(server, 'alice');
    clients.push(alice);
    await waitFor(() => alice.status === 'open', 3_000, 'open');
    await alice.openConversation(id);
    const thread = await alice.openThread(root.id, { limit: 2 });
    expect(thread.root?.thread?.replyCount).toBe(3);
    expect(thread.messages.map((m) => m.content)).toEqual(['old 2', 'old 3']);
    expect(await alice.loadOlderThreadReplies(root.id)).toBe(true);
    expect(alice.getState().threads[root.id]!.messages.map((m) => m.content)).toEqual(['old 1', 'old 2', 'old 3']);

    // A reply arrives live: in the thread, not in the timeline; the root's summary moves in both windows.
    await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'live', threadId: root.id });
    await waitFor(() => alice.getState().threads[root.id]!.messages.length === 4, 3_000, 'live reply');
    await waitFor(() => alice.getState().windows[id]!.messages.find((m) => m.id === root.id)?.thread?.replyCount === 4, 3_000, 'summary in the timeline');
    expect(alice.getState().threads[root.id]!.root?.thread?.replyCount).toBe(4);
    expect(alice.getState().windows[id]!.messages.some((m) => m.content === 'live')).toBe(false);
    await waitFor(() => alice.getState().threadUnread[root.id]?.unreadCount === 4, 3_000, 'thread unread pushed');

    // alice replies through the outbox.
    const mine = await alice.sendMessage({ conversationId: id, content: 'mine', threadId: root.id });
    expect(mine.threadId).toBe(root.id);
    await waitFor(() => alice.getState().threads[root.id]!.messages.some((m) => m.id === mine.id), 3_000, 'own reply');
    expect(alice.getState().windows[id]!.pending).toEqual([]);
    await waitFor(() => alice.getState().threadUnread[root.id]?.unreadCount === 4, 3_000, 'own reply does not count');

    const read = await alice.markThreadRead(root.id);
    expect(read.unreadCount).toBe(0);
    expect(alice.getState().threadUnread[root.id]).toMatchObject({ conversationId: id, unreadCount: 0 });
    await alice.loadThreadUnread(id);
    expect(alice.getState().threadUnread[root.id]?.unreadCount).toBe(0);

    // Mentions: the count arrives with unread_changed.
    await alice.markAsRead(id);
    await server.chat.messages.sendMessage('bob', { conversationId: id, content: '@alice', mentions: ['alice'] });
    await waitFor(() => alice.getState().conversations[id]?.mentionCount === 1, 3_000, 'mention count');
    await alice.markAsRead(id);
    await waitFor(() => alice.getState().conversations[id]?.mentionCount === 0, 3_000, 'mention read');
    alice.closeThread(root.id);
    expect(alice.getState().threads[root.id]).toBeUndefined();
  });
});
