import { createChatServices, createMemoryStore } from '@parley/core';
import { sleep, waitFor } from '@parley/core/testing';
import { expect, it } from 'vitest';
import { startNode, type Node } from '../../transport-ws/test/setup.js';
import type { TestClient } from '../../transport-ws/test/ws-client.js';
import { startPrivateRedis } from '../../../test-support/private-services.js';
import { describeWithService } from '../../../test-support/services.js';
import { createRedisBroker, createRedisPresence, createRedisRateLimiter } from '../src/index.js';
import { execFileSync } from 'node:child_process';

let missing: string | null = null;
try {
  execFileSync('redis-server', ['--version']);
} catch {
  missing = 'redis-server is not installed (apt-get install -y redis-server)';
}

const contents = (client: TestClient) => new Set(client.frames.filter((f) => f.type === 'new_message').map((f) => f.data.message.content as string));

describeWithService('Redis outage: a private redis-server stopped and restarted under load', missing, () => {
  it('sends persist and reach same-node sockets; health degrades; delivery and presence come back without a restart; clients resync', async () => {
    const redis = await startPrivateRedis();
    const store = createMemoryStore();
    const nodes: Node[] = [];
    try {
      const node = async () => {
        const options = { url: redis.url, prefix: 'outage:', commandTimeoutMs: 500, connectTimeoutMs: 500 };
        const chat = createChatServices({
          store,
          presence: createRedisPresence(options),
          rateLimiter: createRedisRateLimiter(options),
          limits: { messageRate: { limit: 10_000, windowMs: 1_000 } },
        });
        const started = await startNode({
          chat,
          hub: { broker: createRedisBroker(options), heartbeatIntervalMs: 200, brokerRetry: { initialDelayMs: 100, maxDelayMs: 500 }, rateLimits: { frames: 10_000, userFrames: 10_000 } },
        });
        nodes.push(started);
        return started;
      };
      const [a, b] = [await node(), await node()];
      await waitFor(async () => (await a.hub.healthCheck()).status === 'healthy' && (await b.hub.healthCheck()).status === 'healthy', 5_000, 'both healthy');
      const id = (await a.chat.conversations.createGroupConversation('ann', { name: 'outage', memberIds: ['ben', 'cat'] })).id;
      const ann = await a.connect('ann');
      const catHere = await a.connect('cat');
      const ben = await b.connect('ben');
      expect(await b.hub.isUserOnline('ann')).toBe(true);

      const acknowledged: string[] = [];
      let running = true;
      let n = 0;
      const sender = (async () => {
        while (running) {
          const content = `m${(n += 1)}`;
          const reply = await ann.request('send_message', { conversationId: id, content });
          if (reply.type === 'message_sent') acknowledged.push(content);
          await sleep(20);
        }
      })();
      await waitFor(() => contents(ben).size >= 10, 5_000, 'cross-node delivery before the outage');

      await redis.stop();
      const down = Date.now();
      await waitFor(async () => (await a.hub.healthCheck()).status === 'degraded', 5_000, 'degraded');
      const degradedAfterMs = Date.now() - down;
      const ackedBefore = acknowledged.length;
      await sleep(1_500);
      const ackedWhileDown = acknowledged.length - ackedBefore;
      const seenHereWhileDown = acknowledged.slice(ackedBefore).filter((c) => contents(catHere).has(c)).length;

      await redis.start(); // empty: the stream and every key are gone, as after a crash without persistence
      const up = Date.now();
      await ben.next('resync', () => true, 10_000);
      const marker = acknowledged.length;
      await waitFor(() => acknowledged.slice(marker).some((c) => contents(ben).has(c)), 10_000, 'cross-node delivery back');
      const recoveredAfterMs = Date.now() - up;
      await waitFor(async () => (await a.hub.healthCheck()).status === 'healthy' && (await b.hub.isUserOnline('ann')), 10_000, 'healthy, presence rebuilt');
      running = false;
      await sender;

      // Ben's client does what a resync asks: catch up from its cursor. Nothing acknowledged is missing.
      const caughtUp = new Set<string>(contents(ben));
      for (let since = 0; ; ) {
        const page = await ben.request('sync', { since: { [id]: since } });
        const entry = page.data.conversations[id];
        for (const m of entry.messages) caughtUp.add(m.content);
        if (!entry.hasMore) break;
        since = entry.messages[entry.messages.length - 1].seq;
      }
      const lost = acknowledged.filter((c) => !caughtUp.has(c));
      const storedCount = (await a.chat.messages.getConversationMessages(id, 'ann', { limit: 100 })).messages.length;
      console.info(
        `redis outage: degraded ${degradedAfterMs} ms after the stop; ${ackedWhileDown} sends acknowledged while down, ` +
          `${seenHereWhileDown} of them seen by a socket on the same node; cross-node delivery back ${recoveredAfterMs} ms after the restart; ` +
          `${acknowledged.length} acknowledged, ${lost.length} lost`,
      );
      expect(degradedAfterMs).toBeLessThan(2_000);
      expect(ackedWhileDown).toBeGreaterThan(0);
      expect(seenHereWhileDown).toBe(ackedWhileDown);
      expect(lost).toEqual([]);
      expect(storedCount).toBeGreaterThan(0);
    } finally {
      for (const n of nodes) await n.close().catch(() => undefined);
      await redis.destroy();
    }
  }, 60_000);
});
