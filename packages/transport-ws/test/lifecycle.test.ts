import { createChatServices, createMemoryBroker, createMemoryBus, createMemoryPresence, createMemoryStore } from '@parley/core';
import { sleep } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';
import { TestClient } from './ws-client.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

describe('connection lifecycle', () => {
  it('keep-alive pings terminate a peer that stops answering', async () => {
    const node = await startNode({ ws: { pingIntervalMs: 80 } });
    nodes.push(node);
    const silent = await TestClient.connect(`${node.url}?token=tok-ann`, { autoPong: false });
    const healthy = await node.connect('ben');
    expect(await silent.closed).toBe(1006);
    await sleep(200);
    expect(healthy.closeCode).toBeNull();
    expect(await node.hub.isUserOnline('ann')).toBe(false);
  });

  it('close() drains every connection with 1001 and refuses new ones', async () => {
    const node = await startNode();
    const a = await node.connect('ann');
    const b = await node.connect('ben');
    await node.ws.close();
    expect(await a.closed).toBe(1001);
    expect(await b.closed).toBe(1001);
    expect(node.ws.clients).toBe(0);
    await expect(TestClient.connect(`${node.url}?token=tok-ann`)).rejects.toThrow();
    await node.hub.close();
    await new Promise<void>((resolve) => node.server.close(() => resolve()));
  });
});

describe('several nodes', () => {
  async function cluster() {
    const store = createMemoryStore();
    const presence = createMemoryPresence();
    const bus = createMemoryBus();
    const make = async () => {
      const chat = createChatServices({ store, presence, limits: { messageRate: { limit: 1000, windowMs: 1000 } } });
      const node = await startNode({ chat, hub: { broker: createMemoryBroker({ bus }) } });
      nodes.push(node);
      return node;
    };
    return [await make(), await make()] as const;
  }

  it('an event raised on one node reaches sockets on every node, once each', async () => {
    const [one, two] = await cluster();
    const id = (await one.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const annOnOne = await one.connect('ann');
    const annOnTwo = await two.connect('ann');
    const benOnTwo = await two.connect('ben');
    const sent = await annOnOne.request('send_message', { conversationId: id, content: 'across nodes' });
    const isIt = (f: { data: any }) => f.data.message?.id === sent.data.message.id;
    await annOnTwo.next('new_message', isIt);
    await benOnTwo.next('new_message', isIt);
    await benOnTwo.request('join_conversation', { conversationId: id });
    await annOnOne.request('join_conversation', { conversationId: id });
    await annOnOne.request('typing_start', { conversationId: id });
    expect((await benOnTwo.next('user_typing')).data.userId).toBe('ann');
    await sleep(50);
    expect(annOnTwo.count('new_message', isIt)).toBe(1);
    expect(benOnTwo.count('new_message', isIt)).toBe(1);
    expect(annOnOne.count('new_message', isIt)).toBe(0);
  });

  it('presence counts sockets on all nodes; a removal on one node is enforced on the other at once', async () => {
    const [one, two] = await cluster();
    const id = (await one.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    await one.chat.conversations.createDirectConversation('ann', 'ben');
    const watcher = await one.connect('ann');
    const benOnOne = await one.connect('ben');
    await watcher.next('user_online', (f) => f.data.userId === 'ben');
    const benOnTwo = await two.connect('ben');
    await benOnTwo.request('join_conversation', { conversationId: id });
    await benOnTwo.request('send_message', { conversationId: id, content: 'warm the cache on node two' });
    await benOnOne.close();
    await sleep(50);
    expect(watcher.count('user_offline')).toBe(0);
    await one.chat.conversations.removeMember(id, 'ann', 'ben');
    await sleep(20);
    const refused = await benOnTwo.request('send_message', { conversationId: id, content: 'still here?' });
    expect(refused.data.code).toBe('NOT_FOUND');
    await watcher.request('typing_start', { conversationId: id });
    await sleep(50);
    expect(benOnTwo.count('user_typing')).toBe(0);
    await benOnTwo.close();
    await watcher.next('user_offline', (f) => f.data.userId === 'ben');
  });

  it('a demotion on one node takes the rights away on the other at once', async () => {
    const [one, two] = await cluster();
    const id = (await one.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben', 'cat'] })).id;
    await one.chat.conversations.updateMemberRole(id, 'ann', 'ben', 'admin');
    const benOnTwo = await two.connect('ben');
    const catOnTwo = await two.connect('cat');
    const first = await catOnTwo.request('send_message', { conversationId: id, content: 'one' });
    const second = await catOnTwo.request('send_message', { conversationId: id, content: 'two' });
    expect((await benOnTwo.request('delete_message', { messageId: first.data.message.id, forEveryone: true })).type).toBe('message_delete_success');
    await one.chat.conversations.updateMemberRole(id, 'ann', 'ben', 'member');
    await sleep(20);
    const refused = await benOnTwo.request('delete_message', { messageId: second.data.message.id, forEveryone: true });
    expect(refused.data.code).toBe('FORBIDDEN');
  });
});
