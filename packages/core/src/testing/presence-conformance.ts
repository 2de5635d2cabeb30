import assert from 'node:assert/strict';
import type { PresenceStore } from '../adapters/presence-store.js';
import { newId } from '../util/ids.js';
import type { ConformanceRunner } from './harness.js';
import { sleep } from './wait.js';

export interface PresenceConformanceOptions extends ConformanceRunner {
  name?: string;
  /** A fresh presence store for each test (a new key prefix, for shared backends). */
  createPresence: () => PresenceStore | Promise<PresenceStore>;
  destroyPresence?: (presence: PresenceStore) => void | Promise<void>;
}

/**
 * The PresenceStore conformance suite. Expiry cases use short real TTLs, since a shared
 * backend such as Redis keeps its own clock.
 */
export function runPresenceConformance(options: PresenceConformanceOptions): void {
  const test = (name: string, fn: (p: PresenceStore, ids: (n: number) => string[]) => Promise<void>) =>
    options.it(name, async () => {
      const presence = await options.createPresence();
      const run = newId().slice(0, 8);
      let n = 0;
      try {
        await fn(presence, (count) => Array.from({ length: count }, () => `p${(n += 1)}-${run}`));
      } finally {
        await presence.close?.();
        await options.destroyPresence?.(presence);
      }
    });

  options.describe(`PresenceStore conformance${options.name === undefined ? '' : `: ${options.name}`}`, () => {
    test('online while any socket is connected: first and last socket are reported', async (p, ids) => {
      const [u] = ids(1) as [string];
      assert.equal(await p.isOnline(u), false);
      assert.deepEqual(await p.addSocket(u, 's1', 'n1'), { firstSocket: true });
      assert.deepEqual(await p.addSocket(u, 's2', 'n2'), { firstSocket: false });
      assert.deepEqual((await p.getUserSockets(u)).sort(), ['s1', 's2']);
      assert.deepEqual(await p.removeSocket(u, 's1'), { lastSocket: false });
      assert.equal(await p.isOnline(u), true);
      assert.deepEqual(await p.removeSocket(u, 's2'), { lastSocket: true });
      assert.equal(await p.isOnline(u), false);
      assert.deepEqual(await p.removeSocket(u, 's2'), { lastSocket: false }, 'removing twice reports nothing');
    });

    test('online users, filtered in the given order', async (p, ids) => {
      const [a, b, c] = ids(3) as [string, string, string];
      await p.addSocket(a, 'sa', 'n1');
      await p.addSocket(c, 'sc', 'n1');
      assert.deepEqual(await p.filterOnline([c, b, a]), [c, a]);
      assert.deepEqual(await p.filterOnline([]), []);
      const online = await p.getOnlineUsers();
      assert.ok(online.includes(a) && online.includes(c) && !online.includes(b));
    });

    test('a node that stops its heartbeat stops counting; removeNode drops its sockets', async (p, ids) => {
      const [a, b] = ids(2) as [string, string];
      await p.heartbeat('n-dead', 150);
      await p.heartbeat('n-live', 60_000);
      await p.addSocket(a, 'sa', 'n-dead');
      await p.addSocket(b, 'sb1', 'n-live');
      await p.addSocket(b, 'sb2', 'n-dead');
      await sleep(300);
      assert.equal(await p.isOnline(a), false, 'a crashed node’s sockets stop counting');
      assert.deepEqual(await p.getUserSockets(b), ['sb1']);
      assert.deepEqual(await p.addSocket(a, 'sa2', 'n-live'), { firstSocket: true });
      const orphaned = await p.removeNode('n-live');
      assert.deepEqual(orphaned.sort(), [a, b].sort());
      assert.equal(await p.isOnline(b), false);
    });

    test('dead nodes are swept once: their users who have no live socket left are returned to one caller', async (p, ids) => {
      const [a, b, c, e] = ids(4) as [string, string, string, string];
      await p.heartbeat('n-dead1', 150);
      await p.heartbeat('n-dead2', 150);
      await p.heartbeat('n-live', 60_000);
      await p.addSocket(a, 'sa', 'n-dead1');
      await p.addSocket(b, 'sb1', 'n-dead1');
      await p.addSocket(b, 'sb2', 'n-live');
      await p.addSocket(c, 'sc1', 'n-dead1');
      await p.addSocket(c, 'sc2', 'n-dead2');
      await p.addSocket(e, 'se1', 'n-dead2');
      await p.addSocket(e, 'se2', 'n-live');
      await sleep(300);
      // e closes the last socket that counts: announced offline now, so no sweep may announce e again.
      assert.deepEqual(await p.removeSocket(e, 'se2'), { lastSocket: true });
      const [first, second] = await Promise.all([p.removeDeadNodes(), p.removeDeadNodes()]);
      assert.deepEqual([...first!, ...second!].sort(), [a, c].sort(), 'each orphaned user once, to one caller');
      assert.deepEqual(await p.removeDeadNodes(), []);
      assert.deepEqual(await p.getUserSockets(b), ['sb2']);
      assert.deepEqual(await p.addSocket(a, 'sa-back', 'n-live'), { firstSocket: true });
    });

    test('a user orphaned by a node shutting down is not announced again when a dead node is swept', async (p, ids) => {
      const [u] = ids(1) as [string];
      await p.heartbeat('n-gone', 150);
      await p.heartbeat('n-closing', 60_000);
      await p.addSocket(u, 's-dead', 'n-gone');
      await p.addSocket(u, 's-live', 'n-closing');
      await sleep(300);
      assert.deepEqual(await p.removeNode('n-closing'), [u]);
      assert.deepEqual(await p.removeDeadNodes(), [], 'already announced offline');
      assert.equal(await p.isOnline(u), false);
    });

    test('typing starts, refreshes, stops, and expires', async (p, ids) => {
      const [a, b] = ids(2) as [string, string];
      const conversation = `c-${newId()}`;
      assert.deepEqual(await p.setTyping(conversation, a, 10_000), { started: true });
      assert.deepEqual(await p.setTyping(conversation, a, 10_000), { started: false });
      await p.setTyping(conversation, b, 150);
      assert.deepEqual((await p.getTyping(conversation)).sort(), [a, b].sort());
      assert.equal(await p.clearTyping(conversation, a), true);
      assert.equal(await p.clearTyping(conversation, a), false);
      await sleep(300);
      assert.deepEqual(await p.getTyping(conversation), [], 'typing expires after its TTL');
      assert.equal(await p.clearTyping(conversation, b), false, 'an expired entry does not count as typing');
      assert.deepEqual(await p.setTyping(conversation, b, 10_000), { started: true });
    });

    test('clearing a user’s typing everywhere returns where it was set', async (p, ids) => {
      const [a, b] = ids(2) as [string, string];
      const [c1, c2, c3] = [`c1-${newId()}`, `c2-${newId()}`, `c3-${newId()}`];
      await p.setTyping(c1, a, 10_000);
      await p.setTyping(c2, a, 10_000);
      await p.setTyping(c3, b, 10_000);
      assert.deepEqual((await p.clearUserTyping(a)).sort(), [c1, c2].sort());
      assert.deepEqual(await p.getTyping(c1), []);
      assert.deepEqual(await p.getTyping(c3), [b]);
      assert.deepEqual(await p.clearUserTyping(a), []);
    });

    test('the conversation-id cache stores, expires and invalidates', async (p, ids) => {
      const [a, b] = ids(2) as [string, string];
      assert.equal(await p.getCachedUserConversations(a), null);
      await p.cacheUserConversations(a, ['c1', 'c2'], 60_000);
      await p.cacheUserConversations(b, [], 150);
      assert.deepEqual(await p.getCachedUserConversations(a), ['c1', 'c2']);
      assert.deepEqual(await p.getCachedUserConversations(b), [], 'an empty list is cached too');
      await sleep(300);
      assert.equal(await p.getCachedUserConversations(b), null);
      await p.invalidateUserConversations([a, b]);
      assert.equal(await p.getCachedUserConversations(a), null);
    });

    test('health check answers', async (p) => {
      assert.equal(await p.healthCheck(), true);
    });
  });
}
