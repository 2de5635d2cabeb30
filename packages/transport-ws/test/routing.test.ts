import { sleep } from '@parley/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';
import type { TestClient } from './ws-client.js';

let node: Node;
beforeEach(async () => {
  node = await startNode();
});
afterEach(() => node.close());

async function group(owner: string, members: string[]): Promise<string> {
  return (await node.chat.conversations.createGroupConversation(owner, { name: 'Team', memberIds: members })).id;
}

describe('message events reach every socket of every member exactly once', () => {
  it('the sending socket gets message_sent; every other socket of every member gets new_message once, joined or not', async () => {
    const ann1 = await node.connect('ann');
    const ann2 = await node.connect('ann');
    const ben = await node.connect('ben');
    const outsider = await node.connect('zed');
    const id = await group('ann', ['ben']);
    await ben.request('join_conversation', { conversationId: id });
    const sent = await ann1.request('send_message', { conversationId: id, content: 'hello', tempId: 't1' });
    const messageId = sent.data.message.id;
    const isIt = (f: { data: any }) => f.data.message?.id === messageId;
    await ann2.next('new_message', isIt);
    await ben.next('new_message', isIt);
    await sleep(50);
    expect(ann1.count('new_message', isIt)).toBe(0);
    expect(ann1.count('message_sent')).toBe(1);
    expect(ann2.count('new_message', isIt)).toBe(1);
    expect(ben.count('new_message', isIt)).toBe(1);
    expect(outsider.count('new_message')).toBe(0);
  });

  it('edits, deletes, reactions and reads reach all members; delete-for-me only the deleter', async () => {
    const ann = await node.connect('ann');
    const ben1 = await node.connect('ben');
    const ben2 = await node.connect('ben');
    const id = await group('ann', ['ben']);
    const { message } = (await ann.request('send_message', { conversationId: id, content: 'x' })).data;
    await ann.request('edit_message', { messageId: message.id, content: 'y' });
    await ben1.request('react_to_message', { messageId: message.id, emoji: '🎉' });
    await ben1.request('mark_as_read', { conversationId: id });
    await ben1.request('delete_message', { messageId: message.id, forEveryone: false });
    for (const client of [ann, ben1, ben2]) {
      expect((await client.next('message_edited')).data.message.content).toBe('y');
      const reaction = await client.next('message_reaction_updated');
      expect(reaction.data).toMatchObject({ conversationId: id, messageId: message.id, userId: 'ben', emoji: '🎉', action: 'added', version: 4 });
      expect(reaction.data.reactions).toEqual([{ emoji: '🎉', count: 1, userIds: ['ben'] }]);
      expect((await client.next('messages_read')).data).toEqual({ conversationId: id, userId: 'ben', lastReadSeq: 2, markedCount: 1 });
    }
    // version: the conversation's change counter (1 system message, 2 send, 3 edit, 4 reaction, 5 hide).
    expect((await ben2.next('message_deleted')).data).toEqual({ conversationId: id, messageId: message.id, forEveryone: false, deletedBy: 'ben', version: 5 });
    await sleep(50);
    expect(ann.count('message_deleted')).toBe(0);
    await ann.request('delete_message', { messageId: message.id, forEveryone: true });
    for (const client of [ann, ben1, ben2]) {
      await client.next('message_deleted', (f) => f.data.forEveryone === true);
    }
  });

  it('a removed member stops receiving at once, on all of their sockets', async () => {
    const ann = await node.connect('ann');
    const ben1 = await node.connect('ben');
    const ben2 = await node.connect('ben');
    const id = await group('ann', ['ben', 'cat']);
    await ben1.request('join_conversation', { conversationId: id });
    await ben2.request('join_conversation', { conversationId: id });
    await ann.request('send_message', { conversationId: id, content: 'before' });
    await ben1.next('new_message');
    await node.chat.conversations.removeMember(id, 'ann', 'ben');
    for (const client of [ben1, ben2]) {
      expect((await client.next('conversation_updated', (f) => f.data.updateType === 'member_removed')).data.data.userId).toBe('ben');
    }
    await ann.request('send_message', { conversationId: id, content: 'after' });
    await ann.request('typing_start', { conversationId: id });
    await sleep(80);
    for (const client of [ben1, ben2]) {
      expect(client.count('new_message', (f) => f.data.message.content === 'after')).toBe(0);
      expect(client.count('user_typing')).toBe(0);
    }
    const refused = await ben1.request('send_message', { conversationId: id, content: 'let me in' });
    expect(refused.data.code).toBe('NOT_FOUND');
  });

  it('a REST-style change through the services raises the same events as its WebSocket twin', async () => {
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    const id = await group('ann', ['ben']);
    const message = await node.chat.messages.sendMessage('ben', { conversationId: id, content: 'from REST' });
    for (const client of [ann, ben]) await client.next('new_message', (f) => f.data.message.id === message.id && f.data.message.content === 'from REST');
    await node.chat.conversations.updateConversation(id, 'ann', { name: 'Renamed' });
    for (const client of [ann, ben]) {
      expect((await client.next('conversation_updated', (f) => f.data.updateType === 'updated')).data.data.conversation.name).toBe('Renamed');
    }
  });

  it('host methods: notifyUser, notifyConversationUpdate, broadcastSystemMessage, online queries, health', async () => {
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    const id = await group('ann', ['ben', 'cat']);
    node.hub.notifyUser('ben', 'custom_event', { hello: 'ben' });
    expect((await ben.next('custom_event')).data).toEqual({ hello: 'ben' });
    await node.hub.notifyConversationUpdate(id, 'pinned', { messageId: 'm1' });
    for (const client of [ann, ben]) expect((await client.next('conversation_updated', (f) => f.data.updateType === 'pinned')).data.data).toEqual({ messageId: 'm1' });
    const system = await node.hub.broadcastSystemMessage(id, 'Maintenance at 10:00');
    expect(system.type).toBe('system');
    expect((await ben.next('new_message', (f) => f.data.message.type === 'system' && f.data.message.content === 'Maintenance at 10:00')).data.message.senderId).toBe('system');
    expect(await node.hub.isUserOnline('ann')).toBe(true);
    expect(await node.hub.isUserOnline('cat')).toBe(false);
    expect((await node.hub.getOnlineUsers()).sort()).toEqual(['ann', 'ben']);
    expect((await node.hub.getOnlineUsersInConversation(id)).sort()).toEqual(['ann', 'ben']);
    expect(await node.hub.healthCheck()).toMatchObject({ status: 'healthy', storage: true, presence: true, broker: true, connections: 2 });
  });
});
