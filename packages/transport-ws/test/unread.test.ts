import { waitFor } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';
import type { TestClient } from './ws-client.js';

let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

const lastUnread = (client: TestClient, conversationId: string) =>
  client.frames.filter((f) => f.type === 'unread_changed' && f.data.conversationId === conversationId).at(-1)?.data;

describe('unread counts are pushed as absolute values to every socket of the user (SPEC §7)', () => {
  it('on new messages, reads, marking unread and deletes', async () => {
    node = await startNode();
    const id = (await node.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const other = (await node.chat.conversations.createDirectConversation('ann', 'cat')).id;
    const [ann1, ann2] = [await node.connect('ann'), await node.connect('ann')];
    const ben = await node.connect('ben');
    const cat = await node.connect('cat');
    await cat.request('send_message', { conversationId: other, content: 'elsewhere' });
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push((await ben.request('send_message', { conversationId: id, content: `m${i}` })).data.message);
    for (const socket of [ann1, ann2]) {
      await waitFor(() => lastUnread(socket, id)?.unreadCount === 3, 2_000, 'three unread');
      expect(lastUnread(socket, id)).toEqual({ conversationId: id, unreadCount: 3, firstUnreadSeq: sent[0].seq, totalUnread: 4, mentionCount: 0 });
    }
    expect(lastUnread(ben, id)).toBeUndefined(); // his own messages move nothing of his

    expect((await ann1.request('mark_as_read', { conversationId: id })).type).toBe('mark_as_read_success');
    for (const socket of [ann1, ann2]) await waitFor(() => lastUnread(socket, id)?.unreadCount === 0, 2_000, 'read');
    expect(lastUnread(ann2, id)).toEqual({ conversationId: id, unreadCount: 0, firstUnreadSeq: null, totalUnread: 1, mentionCount: 0 });

    const unread = await ann2.request('mark_unread', { conversationId: id, messageId: sent[1].id });
    expect(unread).toMatchObject({ type: 'mark_unread_success', data: { lastReadSeq: sent[1].seq - 1 } });
    await ann1.next('read_position_changed');
    for (const socket of [ann1, ann2]) await waitFor(() => lastUnread(socket, id)?.unreadCount === 2, 2_000, 'two unread again');
    expect(lastUnread(ann1, id)).toMatchObject({ firstUnreadSeq: sent[1].seq, totalUnread: 3 });

    await ben.request('delete_message', { messageId: sent[2].id, forEveryone: true });
    await waitFor(() => lastUnread(ann1, id)?.unreadCount === 1, 2_000, 'a deleted message is no longer unread');
    expect(ben.count('read_position_changed')).toBe(0);
  });

  it('after a sync, for each conversation caught up: counts that moved while away are set right', async () => {
    node = await startNode();
    const id = (await node.chat.conversations.createDirectConversation('ann', 'ben')).id;
    const sent = [];
    // Ann is away: messages arrive, and one of her other devices reads the first of them.
    for (let i = 0; i < 4; i++) sent.push(await node.chat.messages.sendMessage('ben', { conversationId: id, content: `while away ${i}` }));
    await node.chat.messages.markAsRead(id, 'ann', sent[0]!.id);
    const ann = await node.connect('ann');
    const reply = await ann.request('sync', { since: { [id]: 0 } });
    expect(reply.type).toBe('sync_result');
    await waitFor(() => lastUnread(ann, id) !== undefined, 2_000, 'unread pushed after the sync');
    expect(lastUnread(ann, id)).toEqual({ conversationId: id, unreadCount: 3, firstUnreadSeq: sent[1]!.seq, totalUnread: 3, mentionCount: 0 });
    expect(ann.frames.findIndex((f) => f.type === 'sync_result')).toBeLessThan(ann.frames.findIndex((f) => f.type === 'unread_changed'));
  });
});
