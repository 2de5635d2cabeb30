import assert from 'node:assert/strict';
import type { Notification } from '../../services/notification-dispatcher.js';
import { newId } from '../../util/ids.js';
import type { CaseFn, Harness } from '../harness.js';

/** A notifier that records deliveries and fails the first `failures` calls. */
function recorder(failures = 0) {
  const delivered: Notification[] = [];
  let calls = 0;
  const notifier = async (n: Notification) => {
    calls += 1;
    if (calls <= failures) throw new Error(`push service down (call ${calls})`);
    delivered.push(n);
  };
  return { delivered, notifier, calls: () => calls };
}

/** Runs delivery passes, moving the clock past each backoff, until nothing is due. */
async function drain(h: Harness, rounds = 20): Promise<void> {
  const dispatcher = h.chat.notifications!;
  await dispatcher.idle();
  for (let i = 0; i < rounds; i++) {
    await dispatcher.runOnce();
    h.clock.advance(10 * 60_000);
  }
}

const retry = { pollIntervalMs: 3_600_000, baseDelayMs: 1_000, maxDelayMs: 60_000, leaseMs: 30_000, maxAttempts: 4 };

export function outboxCases(test: CaseFn): void {
  const ok = recorder();
  test(
    'offline, unmuted members other than the sender are notified',
    async (h) => {
      ok.delivered.length = 0;
      const [a, b, c, d] = h.users(4) as [string, string, string, string];
      const id = await h.group(a, [b, c, d]);
      await h.presence.addSocket(c, 'sock-c', 'node-1');
      await h.chat.conversations.muteConversation(id, d);
      const message = await h.send(a, id, 'ping');
      await drain(h);
      assert.equal(ok.delivered.length, 1);
      assert.equal(ok.delivered[0]!.message.id, message.id);
      assert.equal(ok.delivered[0]!.conversation.id, id);
      assert.deepEqual(ok.delivered[0]!.recipientIds, [b]);
      assert.deepEqual(await h.store.outboxStats(), { pending: 0, dead: 0 });
    },
    { notifier: ok.notifier, notificationRetry: retry },
  );

  const flaky = recorder(2);
  test(
    'a failing notifier is retried with backoff and loses nothing',
    async (h) => {
      const [a, b] = h.users(2) as [string, string];
      const id = await h.direct(a, b);
      const sent = [await h.send(a, id, 'one'), await h.send(a, id, 'two')];
      await drain(h);
      assert.deepEqual(flaky.delivered.map((n) => n.message.id).sort(), sent.map((m) => m.id).sort());
      assert.ok(flaky.calls() >= 4);
      assert.deepEqual(await h.store.outboxStats(), { pending: 0, dead: 0 });
    },
    { notifier: flaky.notifier, notificationRetry: retry },
  );

  const broken = recorder(Number.POSITIVE_INFINITY);
  test(
    'after the last attempt an entry is parked as dead, not dropped',
    async (h) => {
      const [a, b] = h.users(2) as [string, string];
      const id = await h.direct(a, b);
      await h.send(a, id, 'never delivered');
      await drain(h);
      assert.equal(broken.calls(), retry.maxAttempts);
      assert.deepEqual(await h.store.outboxStats(), { pending: 0, dead: 1 });
    },
    { notifier: broken.notifier, notificationRetry: retry },
  );

  test('without a notifier no outbox rows are written', async (h) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.direct(a, b);
    await h.send(a, id, 'quiet');
    assert.deepEqual(await h.store.outboxStats(), { pending: 0, dead: 0 });
    if (h.inspect !== undefined) assert.equal(await h.inspect.outboxCount(), 0);
  });

  test('the outbox row is written with the message, claimed with a lease, and reclaimed after it', async ({ store, users, direct, clock, inspect }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const now = clock.iso();
    const [inserted] = await store.insertMessages([
      { id: newId(), conversationId: id, senderId: a, type: 'text', content: 'x', replyToId: null, attachments: [], metadata: null, clientMessageId: null, createdAt: now, notify: true },
    ]);
    if (inspect !== undefined) assert.equal(await inspect.outboxCount(), 1);
    const claimed = await store.claimOutbox(now, 10, 30_000);
    assert.equal(claimed.length, 1);
    assert.equal(inserted?.status, 'created');
    assert.equal(claimed[0]!.messageId, inserted.message?.id);
    assert.equal(claimed[0]!.attempts, 1);
    assert.deepEqual(await store.claimOutbox(now, 10, 30_000), [], 'leased: not claimed twice');
    const later = new Date(Date.parse(now) + 31_000).toISOString();
    const again = await store.claimOutbox(later, 10, 30_000);
    assert.equal(again.length, 1, 'a lease that ran out (a crashed node) is claimed again');
    assert.equal(again[0]!.attempts, 2);
    await store.completeOutbox([again[0]!.id]);
    assert.deepEqual(await store.outboxStats(), { pending: 0, dead: 0 });
  });
}
