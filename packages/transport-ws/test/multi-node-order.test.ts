import { createChatServices, createMemoryBroker, createMemoryBus, createMemoryPresence, createMemoryStore, type Broker, type MemoryBus } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';
import type { TestClient } from './ws-client.js';

/** A memory broker with a network's jitter: each envelope takes 0–4 ms, in publish order per publisher. */
function jitteryBroker(bus: MemoryBus): Broker {
  const inner = createMemoryBroker({ bus });
  let previous = Promise.resolve();
  return {
    ...inner,
    publish(envelope) {
      previous = previous.then(() => new Promise((resolve) => setTimeout(resolve, Math.random() * 4))).then(() => inner.publish(envelope));
      return previous;
    },
  };
}

const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
});

/** The versions of the conversation changes a client received, in arrival order. */
const versions = (client: TestClient) =>
  client.frames
    .filter((f) => ['new_message', 'message_edited', 'message_reaction_updated', 'message_deleted'].includes(f.type))
    .map((f) => (f.data.message?.version ?? f.data.version) as number);

describe('several nodes: every socket sees a conversation’s changes in version order (SPEC §7)', () => {
  it('two nodes writing one conversation at once', async () => {
    const bus = createMemoryBus();
    const store = createMemoryStore();
    const presence = createMemoryPresence();
    const services = () => createChatServices({ store, presence, limits: { messageRate: { limit: 10_000, windowMs: 1_000 } } });
    // The order is under test, not giving up on a gap: a generous gapMs keeps a starved CI
    // machine (a timer late by more than 250 ms) from skipping a gap that is only slow.
    const hub = () => ({ broker: jitteryBroker(bus), eventOrder: { gapMs: 5_000 } });
    const a = await startNode({ chat: services(), hub: hub() });
    const b = await startNode({ chat: services(), hub: hub() });
    nodes.push(a, b);
    await waitFor(async () => (await a.hub.healthCheck()).broker && (await b.hub.healthCheck()).broker, 2_000, 'subscribed');
    const id = (await a.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben', 'cat'] })).id;
    const ann = await a.connect('ann');
    const cat = await a.connect('cat');
    const ben = await b.connect('ben');
    const cat2 = await b.connect('cat');
    const first = (await ann.request('send_message', { conversationId: id, content: 'react to me' })).data.message;
    // Both nodes change the conversation at once: sends and reactions interleave.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? ann.request('send_message', { conversationId: id, content: `ann ${i}` })
          : ben.request(i % 3 === 0 ? 'react_to_message' : 'send_message', i % 3 === 0 ? { messageId: first.id, emoji: `e${i}` } : { conversationId: id, content: `ben ${i}` }),
      ),
    );
    const last = (await a.chat.store.getConversation(id))!.version;
    // From the first message on: changes made before a socket connected may or may not reach it.
    const since = (seen: number[]) => seen.filter((v) => v >= first.version);
    for (const client of [cat, cat2]) {
      await waitFor(() => versions(client).includes(last), 3_000, `version ${last} reaches every socket`);
      const seen = since(versions(client));
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect(new Set(seen).size).toBe(seen.length);
    }
    expect(since(versions(cat))).toEqual(since(versions(cat2)));
  });

  it('signing a user out on one node closes their sockets on every node', async () => {
    const bus = createMemoryBus();
    const store = createMemoryStore();
    const a = await startNode({ chat: createChatServices({ store }), hub: { broker: createMemoryBroker({ bus }) } });
    const b = await startNode({ chat: createChatServices({ store }), hub: { broker: createMemoryBroker({ bus }) } });
    nodes.push(a, b);
    await waitFor(async () => (await a.hub.healthCheck()).broker && (await b.hub.healthCheck()).broker, 2_000, 'subscribed');
    const here = await a.connect('mallory');
    const there = await b.connect('mallory');
    const other = await b.connect('ann');
    a.hub.disconnectUser('mallory', { reason: 'banned', code: 4403 });
    expect(await here.closed).toBe(4403);
    expect(await there.closed).toBe(4403);
    expect((await there.next('connection_error')).data).toMatchObject({ code: 'UNAUTHENTICATED', message: 'banned' });
    expect((await other.request('ping')).type).toBe('pong');
  });
});
