import { sleep } from '@parley/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';

let node: Node;
beforeEach(async () => {
  node = await startNode({ hub: { typingTtlMs: 250 } });
});
afterEach(() => node.close());

describe('presence with several sockets per user', () => {
  it('user_online on the first socket and user_offline after the last, to people who share a conversation', async () => {
    await node.chat.conversations.createDirectConversation('ann', 'ben');
    const ben = await node.connect('ben');
    const stranger = await node.connect('zed');
    const ann1 = await node.connect('ann');
    expect((await ben.next('user_online')).data).toMatchObject({ userId: 'ann', online: true });
    const ann2 = await node.connect('ann');
    await sleep(50);
    expect(ben.count('user_online')).toBe(1);
    await ann1.close();
    await sleep(50);
    expect(ben.count('user_offline')).toBe(0);
    expect(await node.hub.isUserOnline('ann')).toBe(true);
    await ann2.close();
    expect((await ben.next('user_offline')).data).toMatchObject({ userId: 'ann', online: false });
    expect(await node.hub.isUserOnline('ann')).toBe(false);
    expect(stranger.count('user_online') + stranger.count('user_offline')).toBe(0);
  });

  it('get_presence: a snapshot of who is online, among the people one shares a conversation with', async () => {
    await node.chat.conversations.createDirectConversation('ann', 'ben');
    await node.chat.conversations.createDirectConversation('ann', 'cat');
    const ben = await node.connect('ben');
    await node.connect('zed');
    const ann = await node.connect('ann');
    const reply = await ann.request('get_presence', { userIds: ['ben', 'cat', 'zed', 'ann', 'ben'] });
    expect(reply.type).toBe('presence_result');
    // cat is a contact but offline; zed is online but shares nothing with ann: not reported.
    expect([...reply.data.online].sort()).toEqual(['ann', 'ben']);
    await ben.close();
    await sleep(50);
    expect((await ann.request('get_presence', { userIds: ['ben'] })).data.online).toEqual([]);
    const tooMany = await ann.request('get_presence', { userIds: Array.from({ length: 501 }, (_, i) => `u${i}`) });
    expect(tooMany).toMatchObject({ type: 'error', data: { code: 'VALIDATION_FAILED', details: { field: 'userIds' } } });
  });
});

describe('typing', () => {
  async function setup() {
    const id = (await node.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    await ben.request('join_conversation', { conversationId: id });
    await ann.request('join_conversation', { conversationId: id });
    return { id, ann, ben };
  }

  it('goes to the room, and expires after the TTL without refresh', async () => {
    const { id, ann, ben } = await setup();
    await ann.request('typing_start', { conversationId: id });
    expect((await ben.next('user_typing')).data).toEqual({ conversationId: id, userId: 'ann' });
    await sleep(100);
    await ann.request('typing_start', { conversationId: id });
    await sleep(200);
    expect(ben.count('user_stopped_typing')).toBe(0);
    expect(ben.count('user_typing')).toBe(1);
    expect((await ben.next('user_stopped_typing', () => true, 1_000)).data).toEqual({ conversationId: id, userId: 'ann' });
    expect(await node.chat.presence.getTyping(id)).toEqual([]);
  });

  it('stops on typing_stop, on sending, and on disconnect', async () => {
    const { id, ann, ben } = await setup();
    await ann.request('typing_start', { conversationId: id });
    await ann.request('typing_stop', { conversationId: id });
    await ben.next('user_stopped_typing');
    await ann.request('typing_start', { conversationId: id });
    await ann.request('send_message', { conversationId: id, content: 'done typing' });
    await ben.next('user_stopped_typing', () => ben.count('user_stopped_typing') === 2);
    await ann.request('typing_start', { conversationId: id });
    await ben.next('user_typing', () => ben.count('user_typing') === 3);
    await ann.close();
    await ben.next('user_stopped_typing', () => ben.count('user_stopped_typing') === 3);
    await sleep(400);
    expect(ben.count('user_stopped_typing')).toBe(3);
  });

  it('needs membership', async () => {
    const { id } = await setup();
    const zed = await node.connect('zed');
    expect((await zed.request('typing_start', { conversationId: id })).data.code).toBe('NOT_FOUND');
  });
});
