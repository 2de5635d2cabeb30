import { createChatServices, createMemoryStore } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { indexedDbOutbox, localStorageOutbox, memoryStorage, type OutboxStorage, type ParleyClient } from '../src/index.js';
import { connectClient, startServer, type TestServer } from './support/server.js';

describe('outbox', () => {
  let server: TestServer;
  const clients: ParleyClient[] = [];
  const open = (userId: string, options: Parameters<typeof connectClient>[2] = {}) => {
    const client = connectClient(server, userId, options);
    clients.push(client);
    return client;
  };
  const stored = async (conversationId: string) => (await server.chat.store.listMessages(conversationId, 'alice', { limit: 100 })).messages.filter((m) => m.type !== 'system');

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it('resends an unanswered send after a reconnect with the same clientMessageId, and it is stored once', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    // Cut alice's socket the moment her send arrives: it may be stored, its reply is lost.
    let cuts = 0;
    server.hub.on('frame_in', ({ type }) => {
      if (type === 'send_message' && cuts === 0) cuts += server.killSockets('alice');
    });
    const alice = open('alice');
    await alice.openConversation(id, { from: 0 });
    const message = await alice.sendMessage({ conversationId: id, content: 'once', clientMessageId: 'c-1' });
    expect(cuts).toBe(1);
    expect(message.clientMessageId).toBe('c-1');
    expect((await stored(id)).map((m) => m.clientMessageId)).toEqual(['c-1']);
    await waitFor(() => alice.getState().windows[id]!.messages.length === 1 && alice.getState().outbox.length === 0, 3_000, 'one message, outbox empty');
    expect(alice.getState().windows[id]!.pending).toEqual([]);
  });

  it('keeps sends made while disconnected, shows them pending, and sends them in order on connect', async () => {
    server = await startServer();
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    const alice = open('alice', { autoConnect: false });
    await alice.openConversation(id, { from: 0, join: false }).catch(() => undefined);
    const sends = ['one', 'two', 'three'].map((content) => alice.sendMessage({ conversationId: id, content }));
    expect(alice.getState().outbox.map((e) => [e.message.content, e.state])).toEqual([['one', 'queued'], ['two', 'queued'], ['three', 'queued']]);
    expect(alice.getState().windows[id]?.pending.map((e) => e.message.content)).toEqual(['one', 'two', 'three']);
    alice.connect();
    const messages = await Promise.all(sends);
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    await waitFor(() => alice.getState().windows[id]?.messages.length === 3 && alice.getState().outbox.length === 0, 3_000, 'sent');
  });

  const reloads: Array<[string, () => OutboxStorage]> = [
    ['memory', () => memoryStorage()],
    ['localStorage', () => {
      const items = new Map<string, string>();
      return localStorageOutbox({ storage: { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) } });
    }],
    ['IndexedDB', () => indexedDbOutbox({ indexedDB: new IDBFactory() })],
  ];
  for (const [name, makeStorage] of reloads) {
    it(`survives a page reload in ${name}: a new client with the same storage sends what the old one could not`, async () => {
      server = await startServer();
      const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
      const storage = makeStorage();
      const before = open('alice', { storage, autoConnect: false });
      for (const content of ['a', 'b', 'c']) void before.sendMessage({ conversationId: id, content });
      await before.flushStorage();
      before.close();
      const after = open('alice', { storage });
      await after.openConversation(id, { from: 0, join: false });
      await waitFor(() => after.getState().outbox.length === 0 && after.getState().windows[id]?.messages.length === 3, 3_000, 'resent after reload');
      expect((await stored(id)).map((m) => m.content)).toEqual(['a', 'b', 'c']);
      await after.flushStorage();
      expect(await storage.load()).toEqual([]);
    });
  }

  it('fails a send refused for good with the server reason; retry and discard', async () => {
    server = await startServer();
    const group = await server.chat.conversations.createGroupConversation('bob', { name: 'G', memberIds: ['carol'] });
    const alice = open('alice');
    const refused = await alice.sendMessage({ conversationId: group.id, content: 'not a member yet', clientMessageId: 'r-1' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'NOT_FOUND' });
    expect(alice.getState().outbox).toMatchObject([{ clientMessageId: 'r-1', state: 'failed', error: { code: 'NOT_FOUND' } }]);
    await server.chat.conversations.addMembers(group.id, 'bob', ['alice']);
    const message = await alice.retrySend('r-1');
    expect(message).toMatchObject({ clientMessageId: 'r-1', content: 'not a member yet' });

    const tooLong = await alice.sendMessage({ conversationId: group.id, content: 'x'.repeat(10_001), clientMessageId: 'r-2' }).catch((e: unknown) => e);
    expect(tooLong).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'content' } });
    const huge = await alice.sendMessage({ conversationId: group.id, content: 'x'.repeat(2 * 1024 * 1024), clientMessageId: 'r-3' }).catch((e: unknown) => e);
    expect(huge).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(alice.getState().outbox.map((e) => [e.clientMessageId, e.state])).toEqual([['r-2', 'failed'], ['r-3', 'failed']]);
    const discarded = alice.whenSent('r-2');
    expect(alice.discardSend('r-2')).toBe(true);
    await expect(discarded).rejects.toMatchObject({ code: 'CLOSED' });
    expect(alice.discardSend('r-3')).toBe(true);
    expect(alice.getState().outbox).toEqual([]);
    expect(alice.status).toBe('open');
  });

  it('waits out RATE_LIMITED (retryAfterMs) and resends by itself, in order', async () => {
    server = await startServer({ chat: createChatServices({ store: createMemoryStore(), limits: { messageRate: { limit: 3, windowMs: 300 } } }) });
    const { id } = await server.chat.conversations.createDirectConversation('alice', 'bob');
    const alice = open('alice');
    const states = new Set<string>();
    alice.subscribe(() => alice.getState().outbox.forEach((e) => states.add(e.state === 'waiting' ? `waiting:${e.waitReason}` : `${e.state}:${e.waitReason}`)));
    const sends = Array.from({ length: 7 }, (_, i) => alice.sendMessage({ conversationId: id, content: `m${i}` }));
    const messages = await Promise.all(sends);
    // The UI can say why a send waits; the reason goes once it is queued again.
    expect(states).toContain('waiting:RATE_LIMITED');
    expect([...states].filter((s) => !s.startsWith('waiting'))).toEqual(expect.arrayContaining(['queued:null']));
    expect([...states].filter((s) => !s.startsWith('waiting') && !s.endsWith(':null'))).toEqual([]);
    expect(messages.map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect((await stored(id)).map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });
});
