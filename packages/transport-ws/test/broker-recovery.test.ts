import { createChatServices, createMemoryBroker, createMemoryBus, createMemoryStore, type Broker, type BrokerSubscribeOptions } from '@parley/core';
import { sleep, waitFor } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type Node } from './setup.js';

/** A memory broker that can refuse to subscribe or publish, and report a gap, as a real one would. */
function flakyBroker(inner: Broker, state: { subscribeFailures: number; publishDown: boolean }) {
  let gap: BrokerSubscribeOptions['onGap'];
  const broker: Broker = {
    async publish(envelope) {
      if (state.publishDown) throw new Error('ECONNREFUSED 127.0.0.1:6379');
      return inner.publish(envelope);
    },
    async subscribe(handler, options) {
      if (state.subscribeFailures > 0) {
        state.subscribeFailures -= 1;
        throw new Error('ECONNREFUSED 127.0.0.1:6379');
      }
      gap = options?.onGap;
      return inner.subscribe(handler, options);
    },
    healthCheck: () => inner.healthCheck(),
    close: () => inner.close!(),
  };
  return { broker, reportGap: (reason: string) => gap?.(reason) };
}

const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
});

describe('a broker that fails never takes the host down (SPEC §7)', () => {
  it('failing at start: local sockets are served at once, health is degraded, and recovery brings resync', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const state = { subscribeFailures: 4, publishDown: false };
      const { broker } = flakyBroker(createMemoryBroker(), state);
      const chat = createChatServices({ store: createMemoryStore() });
      const node = await startNode({ chat, hub: { broker, brokerRetry: { initialDelayMs: 20, maxDelayMs: 40 } } });
      nodes.push(node);
      const id = (await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
      const ann = await node.connect('ann');
      const ben = await node.connect('ben');
      expect((await node.hub.healthCheck()).status).toBe('degraded');
      expect((await ann.request('send_message', { conversationId: id, content: 'served at once' })).type).toBe('message_sent');
      await ben.next('new_message');
      const resync = await ann.next('resync', () => true, 3_000);
      expect(resync.data).toEqual({ reason: 'broker_unavailable' });
      await ben.next('resync');
      expect(state.subscribeFailures).toBe(0);
      await waitFor(async () => (await node.hub.healthCheck()).status === 'healthy', 2_000, 'healthy again');
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a gap the broker reports sends resync to every local socket', async () => {
    const { broker, reportGap } = flakyBroker(createMemoryBroker(), { subscribeFailures: 0, publishDown: false });
    const node = await startNode({ hub: { broker } });
    nodes.push(node);
    const ann = await node.connect('ann');
    await waitFor(async () => (await node.hub.healthCheck()).broker, 2_000, 'subscribed');
    reportGap('stream trimmed past this node’s last id');
    expect((await ann.next('resync')).data).toEqual({ reason: 'broker_gap' });
  });

  it('events a node could not publish: the other nodes resync the users concerned once it can', async () => {
    const bus = createMemoryBus();
    const state = { subscribeFailures: 0, publishDown: false };
    const a = flakyBroker(createMemoryBroker({ bus }), state);
    const store = createMemoryStore();
    const nodeA = await startNode({ chat: createChatServices({ store }), hub: { broker: a.broker, heartbeatIntervalMs: 30 } });
    const nodeB = await startNode({ chat: createChatServices({ store }), hub: { broker: createMemoryBroker({ bus }) } });
    nodes.push(nodeA, nodeB);
    const id = (await nodeA.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await nodeA.connect('ann');
    const ben = await nodeB.connect('ben');
    const carl = await nodeB.connect('carl');
    await waitFor(async () => (await nodeA.hub.healthCheck()).broker && (await nodeB.hub.healthCheck()).broker, 2_000, 'subscribed');
    state.publishDown = true;
    await ann.request('send_message', { conversationId: id, content: 'ben misses this on node B' });
    await sleep(50);
    expect(ben.count('new_message')).toBe(0);
    state.publishDown = false;
    // The next heartbeat (or publish) of node A asks node B to resync ben, whom the lost event concerned.
    expect((await ben.next('resync', () => true, 2_000)).data).toEqual({ reason: 'peer_publish_failed' });
    const caughtUp = await ben.request('sync', { since: { [id]: 1 } });
    expect(caughtUp.data.conversations[id].messages.map((m: { content: string }) => m.content)).toEqual(['ben misses this on node B']);
    expect(carl.count('resync')).toBe(0);
  });
});
