import { createChatServices, createMemoryStore } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ParleyClient, WebSocketConstructor } from '../src/index.js';
import { connectClient, startServer, type TestServer } from './support/server.js';

/** A `ws` WebSocket that loses the incoming frames `drop` picks, as a flaky path might. */
function lossyWebSocket(drop: (frame: { type: string; data: any }) => boolean): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      let handler: ((event: { data: unknown }) => void) | null = null;
      Object.defineProperty(this, 'onmessage', { configurable: true, get: () => handler, set: (fn) => void (handler = fn) });
      this.addEventListener('message', (event) => {
        if (!drop(JSON.parse(String(event.data)))) handler?.(event);
      });
    }
  };
}

describe('catch-up', () => {
  let server: TestServer;
  const clients: ParleyClient[] = [];
  const open = (userId: string, options: Parameters<typeof connectClient>[2] = {}) => {
    const client = connectClient(server, userId, options);
    clients.push(client);
    return client;
  };
  /** Opens a window once connected, so it is caught up when this resolves. */
  const openSynced = async (client: ParleyClient, id: string, options: Parameters<ParleyClient['openConversation']>[1] = {}) => {
    await waitFor(() => client.status === 'open', 3_000, 'open');
    await client.openConversation(id, options);
    expect(client.getState().windows[id]?.synced).toBe(true);
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });
  const contents = (client: ParleyClient, id: string) => client.getState().windows[id]?.messages.map((m) => m.content) ?? [];

  it('after a long absence, syncs page after page (messages and changes) until nothing more', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    const first = await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'first' });
    const hidden = await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'hide me' });
    const alice = open('alice');
    await openSynced(alice, id, { from: 0 });
    expect(contents(alice, id)).toEqual(['first', 'hide me']);
    alice.close();
    for (let i = 0; i < 250; i += 1) await server.chat.messages.sendMessage('bob', { conversationId: id, content: `m${i}` });
    await server.chat.messages.editMessage(first.id, 'bob', 'first, edited');
    await server.chat.messages.deleteMessage(hidden.id, 'alice', false);
    const syncs: number[] = [];
    server.hub.on('frame_in', ({ type }) => type === 'sync' && syncs.push(1));
    alice.connect();
    await waitFor(() => alice.getState().windows[id]?.synced === true && contents(alice, id).length === 251, 5_000, 'caught up');
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    expect(contents(alice, id)).toEqual(['first, edited', ...Array.from({ length: 250 }, (_, i) => `m${i}`)]);
    const seqs = alice.getState().windows[id]!.messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(alice.getState().windows[id]!.cursor.seq).toBe(252);
  });

  it('fills a gap when a seq jumps past the next one expected', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    let dropped = 0;
    const alice = open('alice', { WebSocket: lossyWebSocket((f) => f.type === 'new_message' && f.data.message.content === 'lost' && (dropped += 1) === 1), gapDelayMs: 10 });
    await openSynced(alice, id, { from: 0 });
    for (const content of ['one', 'lost', 'three']) await server.chat.messages.sendMessage('bob', { conversationId: id, content });
    await waitFor(() => contents(alice, id).length === 3, 3_000, 'gap filled');
    expect(dropped).toBe(1);
    expect(contents(alice, id)).toEqual(['one', 'lost', 'three']);
  });

  it('catches up on resync', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    const alice = open('alice', { WebSocket: lossyWebSocket((f) => f.type === 'new_message') });
    await openSynced(alice, id, { from: 0 });
    await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'missed' });
    await waitFor(() => alice.getState().conversations[id]?.unreadCount === 1, 3_000, 'unread pushed');
    expect(contents(alice, id)).toEqual([]);
    server.hub.notifyUser('alice', 'resync', { reason: 'broker_gap' });
    await waitFor(() => contents(alice, id).length === 1, 3_000, 'resynced');
  });

  it('keeps unread counts and the first unread seq exactly as the server pushes them', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    const alice = open('alice');
    await openSynced(alice, id);
    const sent = [];
    for (const content of ['a', 'b', 'c']) sent.push(await server.chat.messages.sendMessage('bob', { conversationId: id, content }));
    await waitFor(() => alice.getState().conversations[id]?.unreadCount === 3, 3_000, 'three unread');
    expect(alice.getState().conversations[id]).toMatchObject({ firstUnreadSeq: sent[0]!.seq });
    await alice.markAsRead(id);
    await waitFor(() => alice.getState().totalUnread === 0, 3_000, 'read');
    await alice.markUnread(id, sent[1]!.id);
    await waitFor(() => alice.getState().conversations[id]?.unreadCount === 2, 3_000, 'marked unread');
    expect(alice.getState().conversations[id]).toMatchObject({ firstUnreadSeq: sent[1]!.seq, lastReadSeq: sent[0]!.seq });
    expect(alice.getState().totalUnread).toBe(2);
  });

  it('shows who is typing and forgets them when the server says so, or by itself', async () => {
    server = await startServer({ chat: createChatServices({ store: createMemoryStore() }) });
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    const alice = open('alice', { typingTtlMs: 100 });
    const bob = open('bob');
    await openSynced(alice, id);
    await waitFor(() => bob.status === 'open', 3_000, 'bob open');
    await bob.joinConversation(id);
    await bob.startTyping(id);
    await waitFor(() => alice.getState().typing[id]?.includes('bob') === true, 3_000, 'typing shown');
    await bob.stopTyping(id);
    await waitFor(() => alice.getState().typing[id]?.length === 0, 3_000, 'stopped');
    await bob.startTyping(id);
    await waitFor(() => alice.getState().typing[id]?.includes('bob') === true, 3_000, 'typing again');
    // The server's expiry is 10 s; the client's own (100 ms here) clears it first, as after a lost frame.
    await waitFor(() => alice.getState().typing[id]?.length === 0, 3_000, 'expired locally');
  });

  it('loads the conversation list and older pages over REST', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    for (let i = 0; i < 120; i += 1) await server.chat.messages.sendMessage('bob', { conversationId: id, content: `m${i}` });
    const alice = open('alice');
    await waitFor(() => alice.getState().conversations[id]?.info !== null && alice.getState().conversations[id] !== undefined, 3_000, 'list loaded');
    expect(alice.getState().conversations[id]).toMatchObject({ unreadCount: 120, info: { type: 'direct' }, lastMessage: { content: 'm119' } });
    expect(alice.getState().totalUnread).toBe(120);
    await openSynced(alice, id, { limit: 50 });
    expect(contents(alice, id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 70}`));
    expect(await alice.loadOlderMessages(id)).toBe(true);
    expect(await alice.loadOlderMessages(id)).toBe(true);
    expect(alice.getState().windows[id]!.hasMoreBefore).toBe(false);
    expect(contents(alice, id)).toEqual(Array.from({ length: 120 }, (_, i) => `m${i}`));
    expect(await alice.loadOlderMessages(id)).toBe(false);
  });

  it('retention: a live history_truncated drops old messages, and a client that was away past the cut syncs from it', async () => {
    let skew = 0;
    server = await startServer({
      chat: createChatServices({ store: createMemoryStore(), now: () => Date.now() + skew, retention: { intervalMs: 3_600_000 }, limits: { messageRate: { limit: 100_000, windowMs: 1_000 } } }),
    });
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    await server.chat.retention.setConversationRetention(id, 60);
    await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'old 1' });
    await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'old 2' });
    const alice = open('alice');
    const carol = open('bob');
    await openSynced(alice, id, { from: 0 });
    await openSynced(carol, id, { from: 0 });
    expect(contents(alice, id)).toEqual(['old 1', 'old 2']);
    alice.close();
    skew += 2 * 60_000;
    await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'new 1' });
    await server.chat.retention.runOnce();
    // Connected: the push drops what retention removed.
    await waitFor(() => contents(carol, id).join() === 'new 1', 3_000, 'bob saw the cut');
    // Away: catch-up from a cursor behind the cut lands on what is left, with no gap to fill.
    await server.chat.messages.sendMessage('bob', { conversationId: id, content: 'new 2' });
    alice.connect();
    await waitFor(() => alice.getState().windows[id]?.synced === true && contents(alice, id).join() === 'new 1,new 2', 5_000, 'alice caught up');
    const window = alice.getState().windows[id]!;
    expect(window.cursor.seq).toBe(window.messages.at(-1)!.seq);
    expect(window.hasMoreBefore).toBe(false);
  });
});
