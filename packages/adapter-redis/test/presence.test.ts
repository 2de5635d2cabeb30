import { ChatError, type PresenceStore } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { describeWithService, redisUnavailable } from '../../../test-support/services.js';
import { createRedisPresence, createRedisRateLimiter } from '../src/index.js';
import { adminClient, deadPort, deleteKeys, REDIS_URL, testPrefix } from './redis-kit.js';

const filePrefix = testPrefix('presence');
let cases = 0;
const casePrefix = () => `${filePrefix}${(cases += 1)}:`;

describeWithService('Redis presence: several nodes, sweeps, ownership', await redisUnavailable(), () => {
  let admin: Redis;
  const opened: PresenceStore[] = [];
  /** `count` presence stores on one prefix: the nodes of one cluster. */
  const nodes = (count: number, prefix = casePrefix()) => {
    const created = Array.from({ length: count }, () => createRedisPresence({ url: REDIS_URL, prefix }));
    opened.push(...created);
    return created;
  };

  beforeAll(async () => {
    admin = await adminClient();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const presence of opened.splice(0)) await presence.close?.();
  });
  afterAll(async () => {
    await deleteKeys(filePrefix);
    admin.disconnect();
  });

  it('two nodes on one prefix see each other’s sockets, typing and cached lists', async () => {
    const [a, b] = nodes(2) as [PresenceStore, PresenceStore];
    expect(await a.addSocket('u1', 's1', 'node-a')).toEqual({ firstSocket: true });
    expect(await b.addSocket('u1', 's2', 'node-b')).toEqual({ firstSocket: false });
    expect((await a.getUserSockets('u1')).sort()).toEqual(['s1', 's2']);
    expect(await b.getOnlineUsers()).toEqual(['u1']);
    expect(await b.removeSocket('u1', 's1')).toEqual({ lastSocket: false });
    expect(await a.removeSocket('u1', 's2')).toEqual({ lastSocket: true });
    expect(await b.isOnline('u1')).toBe(false);

    expect(await a.setTyping('c1', 'u2', 10_000)).toEqual({ started: true });
    expect(await b.setTyping('c1', 'u2', 10_000)).toEqual({ started: false });
    expect(await b.getTyping('c1')).toEqual(['u2']);
    expect(await b.clearUserTyping('u2')).toEqual(['c1']);

    await a.cacheUserConversations('u3', ['c1', 'c2'], 60_000);
    expect(await b.getCachedUserConversations('u3')).toEqual(['c1', 'c2']);
    await b.invalidateUserConversations(['u3']);
    expect(await a.getCachedUserConversations('u3')).toBeNull();
  });

  it('what a socket is in Redis: a hash field per user and a member of its node’s set, all under the prefix', async () => {
    const prefix = casePrefix();
    const [p] = nodes(1, prefix) as [PresenceStore];
    await p.heartbeat('n1', 60_000);
    await p.addSocket('user:1', 'sock-1', 'n1');
    expect(await admin.hgetall(`${prefix}presence:user:user:1`)).toEqual({ 'sock-1': 'n1' });
    // Length-prefixed, so a user id holding the separator cannot be misread.
    expect(await admin.smembers(`${prefix}presence:node:n1`)).toEqual(['6:user:1sock-1']);
    expect(await admin.zscore(`${prefix}presence:nodes`, 'n1')).not.toBeNull();

    expect(await p.removeNode('n1')).toEqual(['user:1']);
    expect(await admin.exists(`${prefix}presence:user:user:1`, `${prefix}presence:node:n1`)).toBe(0);
    expect(await admin.zscore(`${prefix}presence:nodes`, 'n1')).toBeNull();
    expect(await admin.smembers(`${prefix}presence:users`)).toEqual([]);
  });

  it('five nodes sweeping at once: every orphaned user of the dead nodes is returned exactly once', async () => {
    const prefix = casePrefix();
    const sweepers = nodes(5, prefix);
    const [p] = sweepers as [PresenceStore];
    await p.heartbeat('live', 60_000);
    for (const dead of ['dead-1', 'dead-2', 'dead-3']) await p.heartbeat(dead, 200);
    const orphans: string[] = [];
    for (let i = 0; i < 60; i++) {
      const user = `u${i}`;
      // Users on one or two dead nodes; every third one also has a live socket.
      await p.addSocket(user, `${user}-a`, `dead-${(i % 3) + 1}`);
      if (i % 2 === 0) await p.addSocket(user, `${user}-b`, `dead-${((i + 1) % 3) + 1}`);
      if (i % 3 === 0) await p.addSocket(user, `${user}-live`, 'live');
      else orphans.push(user);
    }
    await waitFor(async () => (await p.getOnlineUsers()).length === 20, 10_000, 'the dead nodes’ heartbeats to expire');

    const results = await Promise.all(sweepers.map((s) => s.removeDeadNodes()));
    const returned = results.flat();
    expect(returned.sort()).toEqual([...orphans].sort());
    expect(new Set(returned).size).toBe(returned.length);
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(await Promise.all(sweepers.map((s) => s.removeDeadNodes()))).toEqual([[], [], [], [], []]);

    // Nothing of the dead nodes is left in Redis.
    expect(await admin.zrange(`${prefix}presence:nodes`, 0, -1)).toEqual(['live']);
    expect(await admin.exists(`${prefix}presence:node:dead-1`, `${prefix}presence:node:dead-2`, `${prefix}presence:node:dead-3`)).toBe(0);
    expect(await admin.scard(`${prefix}presence:users`)).toBe(20);
    expect(await p.getUserSockets('u0')).toEqual(['u0-live']);
  });

  it('expiry follows Redis’s clock, not the node’s: a node an hour ahead still agrees', async () => {
    const [ahead, behind] = nodes(2) as [PresenceStore, PresenceStore];
    const realNow = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(realNow + 3_600_000);
    await ahead.heartbeat('n-ahead', 60_000);
    await ahead.addSocket('u1', 's1', 'n-ahead');
    await ahead.setTyping('c1', 'u1', 60_000);
    vi.restoreAllMocks();
    expect(await behind.isOnline('u1')).toBe(true);
    expect(await behind.getTyping('c1')).toEqual(['u1']);
    expect(await behind.removeDeadNodes()).toEqual([]);
  });

  it('close() leaves a host’s client open; the store keeps working through it until the host closes it', async () => {
    const client = new Redis(REDIS_URL);
    try {
      const prefix = casePrefix();
      const presence = createRedisPresence({ client, prefix });
      const limiter = createRedisRateLimiter({ client, prefix });
      await presence.addSocket('u1', 's1', 'n1');
      await presence.close?.();
      await limiter.close?.();
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
      expect(await createRedisPresence({ client, prefix }).isOnline('u1')).toBe(true);
    } finally {
      client.disconnect();
    }
  });

  it('calls reject within a bounded time when Redis is unreachable, and healthCheck says false', async () => {
    const presence = createRedisPresence({ url: `redis://127.0.0.1:${await deadPort()}`, prefix: casePrefix() });
    opened.push(presence);
    await expect(presence.addSocket('u1', 's1', 'n1')).rejects.toThrow(/presence\.addSocket/);
    await expect(presence.heartbeat('n1', 45_000)).rejects.toThrow(/presence\.heartbeat/);
    await expect(presence.removeDeadNodes()).rejects.toThrow(/presence\.removeDeadNodes/);
    expect(await presence.healthCheck()).toBe(false);
  });

  it('options: exactly one of client and url; no ioredis keyPrefix; every bad option named', () => {
    const invalid = (options: unknown) => {
      try {
        createRedisPresence(options as never);
      } catch (error) {
        expect(error).toBeInstanceOf(ChatError);
        return (error as ChatError).message;
      }
      throw new Error('expected the options to be refused');
    };
    expect(invalid({})).toMatch(/client: pass exactly one of/);
    expect(invalid({ url: 'http://localhost', prefix: '', commandTimeoutMs: -1 })).toMatch(/url: .*prefix: .*commandTimeoutMs: /);
    const prefixed = new Redis(REDIS_URL, { lazyConnect: true, keyPrefix: 'app:' });
    expect(invalid({ client: prefixed })).toMatch(/keyPrefix/);
  });
});
