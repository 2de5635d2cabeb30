import { completeSentMessage } from '@parley/core/protocol';
import { waitFor } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';
import type { TestClient } from './ws-client.js';

let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

const lastOf = (client: TestClient, type: string, match: (data: Record<string, unknown>) => boolean) =>
  client.frames.filter((f) => f.type === type && match(f.data as Record<string, unknown>)).at(-1)?.data as Record<string, unknown> | undefined;

describe('threads over WebSocket', () => {
  it('a reply reaches every member with the root summary; pages, reads and unread pushes per thread', async () => {
    node = await startNode();
    const id = (await node.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben', 'cat'] })).id;
    const [ann, ben, cat] = [await node.connect('ann'), await node.connect('ben'), await node.connect('cat')];
    const root = (await ann.request('send_message', { conversationId: id, content: 'root' })).data.message;

    const sent = await ben.request('send_message', { conversationId: id, content: 'reply 1', threadId: root.id, tempId: 't1' });
    expect(sent.type).toBe('message_sent');
    // The lean ack leaves out what the send implies; completed, it is the stored reply.
    expect(Object.keys(sent.data.message).sort()).toEqual(['createdAt', 'id', 'seq', 'version']);
    const reply = completeSentMessage(sent.data.message, { conversationId: id, senderId: 'ben', clientMessageId: 't1', content: 'reply 1', threadId: root.id });
    expect(reply).toMatchObject({ threadId: root.id, alsoToConversation: false });
    expect(await node.chat.store.getMessage(reply.id)).toMatchObject({ threadId: root.id, content: 'reply 1', seq: reply.seq });
    expect(sent.data.thread).toMatchObject({ replyCount: 1, participantIds: ['ben'] });
    const seen = await cat.next('new_message', (f) => f.data.message.id === sent.data.message.id);
    expect(seen.data.thread).toEqual({ replyCount: 1, lastReplyAt: sent.data.message.createdAt, participantIds: ['ben'] });

    // ann started the thread: she follows it and is told its unread count.
    await waitFor(() => lastOf(ann, 'thread_unread_changed', (d) => d.threadId === root.id)?.unreadCount === 1, 2_000, 'ann has one unread reply');
    expect(lastOf(ann, 'thread_unread_changed', (d) => d.threadId === root.id)).toMatchObject({ conversationId: id, lastReadSeq: root.seq });
    // cat follows nothing yet: no thread push, and the conversation count did not move for a reply kept in its thread.
    expect(cat.count('thread_unread_changed')).toBe(0);

    for (let i = 2; i <= 5; i++) await ben.request('send_message', { conversationId: id, content: `reply ${i}`, threadId: root.id });
    const page = await cat.request('get_thread', { threadId: root.id, limit: 2 });
    expect(page.type).toBe('thread_messages');
    expect(page.data.root.thread.replyCount).toBe(5);
    expect(page.data.messages.map((m: { content: string }) => m.content)).toEqual(['reply 4', 'reply 5']);
    expect(page.data.hasMoreBefore).toBe(true);
    const older = await cat.request('get_thread', { threadId: root.id, before: page.data.messages[0].seq, limit: 10 });
    expect(older.data.messages.map((m: { content: string }) => m.content)).toEqual(['reply 1', 'reply 2', 'reply 3']);
    expect(older.data.hasMoreBefore).toBe(false);

    const read = await cat.request('mark_thread_read', { threadId: root.id, messageId: older.data.messages[1].id });
    expect(read).toMatchObject({ type: 'mark_thread_read_success', data: { threadId: root.id, conversationId: id, markedCount: 2, unreadCount: 3 } });
    await waitFor(() => lastOf(cat, 'thread_unread_changed', (d) => d.threadId === root.id)?.unreadCount === 3, 2_000, 'cat follows now');
    const list = await cat.request('get_thread_unread', { conversationId: id });
    expect(list.data).toEqual({ conversationId: id, threads: [{ conversationId: id, threadId: root.id, userId: 'cat', lastReadSeq: older.data.messages[1].seq, unreadCount: 3 }] });

    // A reply deleted for everyone no longer counts: the followers are told.
    await ben.request('delete_message', { messageId: page.data.messages[1].id, forEveryone: true });
    await waitFor(() => lastOf(cat, 'thread_unread_changed', (d) => d.threadId === root.id)?.unreadCount === 2, 2_000, 'deleted reply');
    await waitFor(() => lastOf(ann, 'thread_unread_changed', (d) => d.threadId === root.id)?.unreadCount === 4, 2_000, 'ann too');

    const timeline = await node.chat.messages.getConversationMessages(id, 'cat');
    expect(timeline.messages.some((m) => m.threadId === root.id)).toBe(false);

    const bad = await ben.request('send_message', { conversationId: id, content: 'x', threadId: sent.data.message.id });
    expect(bad).toMatchObject({ type: 'error', data: { code: 'VALIDATION_FAILED', details: { field: 'threadId' } } });
    const outsider = await node.connect('dan');
    expect(await outsider.request('get_thread', { threadId: root.id })).toMatchObject({ type: 'error', data: { code: 'NOT_FOUND' } });
    expect(await outsider.request('mark_thread_read', { threadId: root.id })).toMatchObject({ type: 'error', data: { code: 'NOT_FOUND' } });
    expect(await outsider.request('get_thread_unread', { conversationId: id })).toMatchObject({ type: 'error', data: { code: 'NOT_FOUND' } });
    expect(await ann.request('get_thread', { threadId: 7 })).toMatchObject({ type: 'error', data: { code: 'VALIDATION_FAILED' } });
  });

  it('sync catches up thread replies and the root summary', async () => {
    node = await startNode();
    const id = (await node.chat.conversations.createDirectConversation('ann', 'ben')).id;
    const root = await node.chat.messages.sendMessage('ann', { conversationId: id, content: 'root' });
    const held = (await node.chat.store.getConversation(id))!;
    const reply = await node.chat.messages.sendMessage('ben', { conversationId: id, content: 'while away', threadId: root.id });
    const ann = await node.connect('ann');
    const result = await ann.request('sync', { since: { [id]: { seq: held.lastSeq, version: held.version } } });
    const entry = result.data.conversations[id];
    // Counts that moved while away are set right: ann follows the thread she started.
    await waitFor(() => lastOf(ann, 'thread_unread_changed', (d) => d.threadId === root.id)?.unreadCount === 1, 2_000, 'thread count after sync');
    expect(entry.messages.map((m: { id: string; threadId: string }) => [m.id, m.threadId])).toEqual([[reply.id, root.id]]);
    expect(entry.changes.map((m: { id: string; thread: { replyCount: number } }) => [m.id, m.thread.replyCount])).toEqual([[root.id, 1]]);
  });
});

describe('mentions over WebSocket', () => {
  it('mention counts arrive with unread_changed and clear with a read; bad mentions are refused', async () => {
    node = await startNode();
    const id = (await node.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const [ann, ben] = [await node.connect('ann'), await node.connect('ben')];
    await ben.request('mark_as_read', { conversationId: id });
    const sent = await ann.request('send_message', { conversationId: id, content: 'hey @ben', mentions: ['ben', 'ben'] });
    expect(sent.data.message.mentions).toEqual(['ben']);
    await waitFor(() => lastOf(ben, 'unread_changed', (d) => d.conversationId === id)?.mentionCount === 1, 2_000, 'one mention');
    expect(lastOf(ben, 'unread_changed', (d) => d.conversationId === id)).toMatchObject({ unreadCount: 1, mentionCount: 1 });
    await ben.request('mark_as_read', { conversationId: id });
    await waitFor(() => lastOf(ben, 'unread_changed', (d) => d.conversationId === id)?.mentionCount === 0, 2_000, 'read');

    const stranger = await ann.request('send_message', { conversationId: id, content: 'hey', mentions: ['zed'] });
    expect(stranger).toMatchObject({ type: 'error', data: { code: 'VALIDATION_FAILED', details: { field: 'mentions', userIds: ['zed'] } } });
    const everyone = await ben.request('send_message', { conversationId: id, content: '@everyone', mentionEveryone: true });
    expect(everyone).toMatchObject({ type: 'error', data: { code: 'FORBIDDEN', details: { capability: 'mentionEveryone' } } });
    const byOwner = await ann.request('send_message', { conversationId: id, content: '@everyone', mentionEveryone: true });
    expect(completeSentMessage(byOwner.data.message, { conversationId: id, senderId: 'ann', clientMessageId: null, content: '@everyone', mentionEveryone: true }).mentionEveryone).toBe(true);
    expect((await node.chat.store.getMessage(byOwner.data.message.id))?.mentionEveryone).toBe(true);
    await waitFor(() => lastOf(ben, 'unread_changed', (d) => d.conversationId === id)?.mentionCount === 1, 2_000, 'everyone');
  });
});

describe('threads across nodes', () => {
  it('a reply on one node and a thread read on another reach every socket of the follower, with no internal frame leaking', async () => {
    const { createChatServices, createMemoryBroker, createMemoryBus, createMemoryPresence, createMemoryStore } = await import('@parley/core');
    const bus = createMemoryBus();
    const store = createMemoryStore();
    const presence = createMemoryPresence();
    const services = () => createChatServices({ store, presence });
    const a = await startNode({ chat: services(), hub: { broker: createMemoryBroker({ bus }) } });
    const b = await startNode({ chat: services(), hub: { broker: createMemoryBroker({ bus }) } });
    try {
      await waitFor(async () => (await a.hub.healthCheck()).broker && (await b.hub.healthCheck()).broker, 2_000, 'subscribed');
      const id = (await a.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
      const annA = await a.connect('ann');
      const annB = await b.connect('ann');
      const ben = await b.connect('ben');
      const root = (await annA.request('send_message', { conversationId: id, content: 'root' })).data.message;
      await ben.request('send_message', { conversationId: id, content: 'reply', threadId: root.id });
      for (const socket of [annA, annB]) await waitFor(() => lastOf(socket, 'thread_unread_changed', (d) => d.threadId === root.id)?.unreadCount === 1, 2_000, 'unread on both nodes');
      await annA.request('mark_thread_read', { threadId: root.id });
      for (const socket of [annA, annB]) await waitFor(() => lastOf(socket, 'thread_unread_changed', (d) => d.threadId === root.id)?.unreadCount === 0, 2_000, 'read on both nodes');
      for (const socket of [annA, annB, ben]) expect(socket.frames.some((f) => f.type.includes(':'))).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
