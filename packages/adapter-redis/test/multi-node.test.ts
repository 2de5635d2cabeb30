import { createChatServices, createMemoryStore, RealtimeHub, type ChatServices, type ChatStore } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { afterAll, afterEach, expect, it } from 'vitest';
import { describeWithService, redisUnavailable } from '../../../test-support/services.js';
import { createRedisBroker, createRedisPresence, createRedisRateLimiter } from '../src/index.js';
import { deleteKeys, REDIS_URL, testPrefix } from './redis-kit.js';

const filePrefix = testPrefix('multi-node');
let cases = 0;

interface Frame {
  type: string;
  data: Record<string, unknown>;
  replyTo?: string;
}

/** A socket as the hub sees it, recording what it is sent. */
function fakeSocket() {
  const frames: Frame[] = [];
  return {
    frames,
    socket: { send: (data: string) => frames.push(JSON.parse(data) as Frame), close: () => undefined },
    count: (type: string, match: (f: Frame) => boolean = () => true) => frames.filter((f) => f.type === type && match(f)).length,
  };
}

describeWithService('Two hubs sharing one Redis (presence, broker, rate limiter)', await redisUnavailable(), () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  afterAll(() => deleteKeys(filePrefix));

  /** A node: its own services, hub and Redis connections, over the store and prefix every node shares. */
  const startNode = (store: ChatStore, prefix: string, limits?: Parameters<typeof createChatServices>[0]['limits']) => {
    const presence = createRedisPresence({ url: REDIS_URL, prefix });
    const broker = createRedisBroker({ url: REDIS_URL, prefix });
    const rateLimiter = createRedisRateLimiter({ url: REDIS_URL, prefix });
    const chat: ChatServices = createChatServices({ store, presence, rateLimiter, ...(limits === undefined ? {} : { limits }) });
    const hub = new RealtimeHub({ services: chat, broker });
    cleanup.push(async () => {
      await hub.close();
      await chat.close();
      await Promise.all([presence.close?.(), broker.close?.(), rateLimiter.close?.()]);
    });
    return { chat, hub };
  };
  const connect = async (hub: RealtimeHub, userId: string) => {
    const client = fakeSocket();
    const handle = await hub.handleConnection(client.socket, { id: userId, name: userId, status: 'active' });
    let n = 0;
    const request = async (type: string, data: Record<string, unknown>) => {
      const id = `r${(n += 1)}`;
      await handle.handleFrame(JSON.stringify({ type, id, data }));
      await waitFor(() => client.frames.some((f) => f.replyTo === id), 5_000, `the reply to ${type}`);
      return client.frames.find((f) => f.replyTo === id)!;
    };
    return { ...client, handle, request };
  };
  const ready = (...hubs: RealtimeHub[]) =>
    waitFor(async () => (await Promise.all(hubs.map((h) => h.healthCheck()))).every((h) => h.status === 'healthy'), 10_000, 'hubs healthy');

  it('a message sent on one node reaches the member’s socket on the other once; presence is seen across nodes', async () => {
    const prefix = `${filePrefix}${(cases += 1)}:`;
    const store = createMemoryStore();
    const a = startNode(store, prefix);
    const b = startNode(store, prefix);
    await ready(a.hub, b.hub);
    const id = (await a.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ben = await connect(b.hub, 'ben');
    const ann = await connect(a.hub, 'ann');

    expect(await b.hub.isUserOnline('ann')).toBe(true);
    await waitFor(() => ben.count('user_online') === 1, 5_000, 'ben told that ann is online');

    expect((await ann.request('send_message', { conversationId: id, content: 'across nodes' })).type).toBe('message_sent');
    // A second message marks the end: a duplicate of the first would come before it, in stream order.
    expect((await ann.request('send_message', { conversationId: id, content: 'marker' })).type).toBe('message_sent');
    await waitFor(() => ben.frames.some((f) => f.type === 'new_message' && (f.data.message as { content: string }).content === 'marker'), 5_000, 'the messages on node B');
    const received = ben.frames
      .filter((f) => f.type === 'new_message' && (f.data.message as { type: string }).type !== 'system')
      .map((f) => (f.data.message as { content: string }).content);
    expect(received).toEqual(['across nodes', 'marker']);
    // The sender's socket gets message_sent, never new_message, for its own sends.
    expect(ann.count('new_message', (f) => (f.data.message as { type: string }).type !== 'system')).toBe(0);

    await ann.handle.handleClose();
    await waitFor(() => ben.count('user_offline') === 1, 5_000, 'ben told that ann is offline');
    expect(await b.hub.isUserOnline('ann')).toBe(false);
  });

  it('a user with a socket on each node gets the message limit once, not twice', async () => {
    const prefix = `${filePrefix}${(cases += 1)}:`;
    const store = createMemoryStore();
    const limits = { messageRate: { limit: 3, windowMs: 60_000 } };
    const a = startNode(store, prefix, limits);
    const b = startNode(store, prefix, limits);
    await ready(a.hub, b.hub);
    const id = (await a.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const onA = await connect(a.hub, 'ann');
    const onB = await connect(b.hub, 'ann');

    const replies = [];
    for (let i = 0; i < 3; i++) {
      replies.push(await onA.request('send_message', { conversationId: id, content: `a${i}` }));
      replies.push(await onB.request('send_message', { conversationId: id, content: `b${i}` }));
    }
    expect(replies.map((r) => r.type)).toEqual(['message_sent', 'message_sent', 'message_sent', 'error', 'error', 'error']);
    expect(replies[3]!.data.code).toBe('RATE_LIMITED');
  });
});
