import { createChatServices, createMemoryBroker, createMemoryPresence, createMemoryStore, type Broker, type PresenceStore } from '@parley/core';
import { sleep } from '@parley/core/testing';
import { markStoreFailure } from '@parley/core/adapter-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';

/** A presence store whose backend can be switched off, as Redis going down. */
function flakyPresence(): { presence: PresenceStore; down: { value: boolean } } {
  const inner = createMemoryPresence();
  const down = { value: false };
  const presence = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (down.value) throw new Error('ECONNREFUSED 127.0.0.1:6379');
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return { presence, down };
}

let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

describe('degradation (SPEC §6)', () => {
  it('with presence down, messages still persist and reach sockets on this node; health says degraded', async () => {
    const { presence, down } = flakyPresence();
    const chat = createChatServices({ store: createMemoryStore(), presence });
    node = await startNode({ chat, hub: { typingTtlMs: 200, heartbeatIntervalMs: 50 } });
    const id = (await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    down.value = true;
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    expect((await ann.next('user_online', (f) => f.data.userId === 'ben')).data.online).toBe(true);
    const sent = await ann.request('send_message', { conversationId: id, content: 'still works' });
    expect(sent.type).toBe('message_sent');
    await ben.next('new_message', (f) => f.data.message.content === 'still works');
    await ben.request('join_conversation', { conversationId: id });
    await ann.request('join_conversation', { conversationId: id });
    expect((await ann.request('typing_start', { conversationId: id })).type).toBe('ack');
    await ben.next('user_typing');
    await ben.next('user_stopped_typing', () => true, 1_000);
    expect(await node.hub.isUserOnline('ben')).toBe(true);
    expect(await node.hub.healthCheck()).toMatchObject({ status: 'degraded', storage: true, presence: false });
    await ben.close();
    await ann.next('user_offline', (f) => f.data.userId === 'ben');
    down.value = false;
    expect((await node.hub.healthCheck()).status).toBe('healthy');
    // Presence came back: the next heartbeat puts this node's sockets back, no restart.
    expect(await presence.isOnline('ann')).toBe(false);
    await sleep(150);
    expect(await presence.isOnline('ann')).toBe(true);
    expect(await presence.isOnline('ben')).toBe(false);
  });

  it('with the broker down, events still reach sockets on this node', async () => {
    const broken: Broker = {
      ...createMemoryBroker(),
      publish: async () => {
        throw new Error('broker unreachable');
      },
      healthCheck: async () => false,
    };
    const chat = createChatServices({ store: createMemoryStore() });
    node = await startNode({ chat, hub: { broker: broken } });
    const id = (await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    await ann.request('send_message', { conversationId: id, content: 'local delivery' });
    await ben.next('new_message', (f) => f.data.message.content === 'local delivery');
    expect(await node.hub.healthCheck()).toMatchObject({ status: 'degraded', broker: false });
  });

  it('with storage down, a send is refused with UNAVAILABLE and nothing is announced', async () => {
    const store = createMemoryStore();
    const chat = createChatServices({ store });
    node = await startNode({ chat });
    const id = (await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    store.insertMessages = async () => {
      // What an adapter reports for an outage (the SQLite adapter marks SQLITE_FULL so).
      throw markStoreFailure(new Error('disk full'), 'unavailable');
    };
    const refused = await ann.request('send_message', { conversationId: id, content: 'lost?' });
    expect(refused.type).toBe('error');
    expect(refused.data.code).toBe('UNAVAILABLE');
    await sleep(50);
    expect(ben.count('new_message', (f) => f.data.message.content === 'lost?')).toBe(0);
    expect(ann.closeCode).toBeNull();
  });
});
