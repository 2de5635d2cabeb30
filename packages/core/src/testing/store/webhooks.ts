import assert from 'node:assert/strict';
import type { ChatStore, NewMessage, NewWebhookDelivery, WebhookDelivery } from '../../adapters/chat-store.js';
import { newId } from '../../util/ids.js';
import { webhookEventSchema, type WebhookEvent } from '../../webhooks/webhook-events.js';
import type { WebhookOptions } from '../../webhooks/webhook-options.js';
import type { CaseFn, Harness, RaceCase } from '../harness.js';

/**
 * Webhook delivery rows (docs/webhooks.md): written by the store in the transaction of the
 * change that raised the event, exactly one per event and endpoint, leased, retried,
 * dead-lettered and redelivered. The services write them; nothing here sends a request
 * (`deliver: false`): sending is tested over real sockets in `packages/core/test/webhooks-delivery.test.ts`.
 */
const endpoints = (): WebhookOptions => ({
  deliver: false,
  endpoints: [
    { id: 'all', url: 'http://127.0.0.1:9/all', secret: 'secret-all' },
    { id: 'sends', url: 'http://127.0.0.1:9/sends', secret: 'secret-sends', events: ['message.sent'] },
  ],
});

async function allDeliveries(store: ChatStore): Promise<WebhookDelivery[]> {
  const rows: WebhookDelivery[] = [];
  for (;;) {
    const last = rows.at(-1);
    const page = await store.listWebhookDeliveries({ limit: 100, ...(last === undefined ? {} : { after: { createdAt: last.createdAt, id: last.id } }) });
    rows.push(...page);
    if (page.length < 100) return rows;
  }
}

const events = (rows: WebhookDelivery[], endpointId = 'all'): WebhookEvent[] =>
  rows.filter((r) => r.endpointId === endpointId).map((r) => webhookEventSchema.parse(JSON.parse(r.body)));

const ofType = <T extends WebhookEvent['type']>(list: WebhookEvent[], type: T) => list.filter((e): e is Extract<WebhookEvent, { type: T }> => e.type === type);

/** A delivery row for store-level cases. */
const row = (conversationId: string | null, at: string, overrides: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
  id: newId(),
  eventId: newId(),
  endpointId: 'e1',
  eventType: 'message.sent',
  conversationId,
  body: '{"id":"x","type":"message.sent"}',
  createdAt: at,
  ...overrides,
});

const newMessage = (conversationId: string, senderId: string, at: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  id: newId(),
  conversationId,
  senderId,
  type: 'text',
  content: 'x',
  replyToId: null,
  attachments: [],
  metadata: null,
  clientMessageId: null,
  createdAt: at,
  notify: false,
  ...extra,
});

async function everyKindOfChange(h: Harness): Promise<{ id: string; people: string[] }> {
  const [owner, a, b, c] = h.users(4) as [string, string, string, string];
  const id = await h.group(owner, [a, b]);
  const sent = await h.send(a, id, 'first');
  await h.chat.messages.editMessage(sent.id, a, 'first, edited');
  await h.chat.messages.deleteMessage(sent.id, a, true);
  await h.chat.conversations.addMembers(id, owner, [c]);
  await h.chat.conversations.updateMemberRole(id, owner, b, 'admin');
  await h.chat.conversations.updateConversation(id, owner, { name: 'Renamed' });
  await h.chat.conversations.removeMember(id, owner, c);
  await h.chat.moderation.silenceMember(id, owner, { userId: a });
  await h.chat.moderation.unsilenceMember(id, owner, a);
  const flagged = await h.send(a, id, 'flag me');
  const report = await h.chat.moderation.reportMessage(flagged.id, b, { reason: 'spam' });
  await h.chat.moderation.resolveReport(report.id, owner, 'dismiss');
  await h.chat.moderation.ban(id, owner, { userId: a, reason: 'spam' });
  await h.chat.moderation.unban(id, owner, a);
  await h.chat.conversations.leaveConversation(id, b);
  return { id, people: [owner, a, b, c] };
}

export function webhookCases(test: CaseFn): void {
  test(
    'every kind of change writes its event, once per subscribed endpoint',
    async (h) => {
      const { id, people } = await everyKindOfChange(h);
      const [owner, a, b, c] = people as [string, string, string, string];
      const rows = await allDeliveries(h.store);
      if (h.inspect?.webhookRows !== undefined) {
        // What the database holds, read past the adapter: the same rows, all pending.
        const raw = await h.inspect.webhookRows();
        assert.deepEqual(raw.map((r) => [r.id, r.eventId, r.endpointId, r.status, r.attempts]), rows.map((r) => [r.id, r.eventId, r.endpointId, 'pending', 0]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
      }
      const pairs = rows.map((r) => `${r.eventId}/${r.endpointId}`);
      assert.equal(new Set(pairs).size, pairs.length, 'one row per event and endpoint');
      assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'delivery ids are unique');
      assert.ok(rows.every((r) => r.status === 'pending' && r.attempts === 0 && r.conversationId === id));
      const all = events(rows, 'all');
      const types = new Set(all.map((e) => e.type));
      for (const type of [
        'conversation.created',
        'conversation.updated',
        'message.sent',
        'message.edited',
        'message.deleted',
        'member.added',
        'member.removed',
        'member.role_changed',
        'member.banned',
        'member.unbanned',
        'member.silenced',
        'member.unsilenced',
        'report.created',
        'report.resolved',
      ] as const) {
        assert.ok(types.has(type), `an event of type ${type}`);
      }
      // The endpoint that takes only sends got exactly the sends, under the same event ids.
      const sends = ofType(all, 'message.sent');
      assert.deepEqual(
        events(rows, 'sends').map((e) => e.id).sort(),
        sends.map((e) => e.id).sort(),
      );
      const userSends = sends.filter((e) => e.data.message.type === 'text');
      assert.deepEqual(userSends.map((e) => e.data.message.content), ['first', 'flag me']);
      assert.equal(userSends[0]!.data.message.seq > 0, true, 'the message as stored, with its seq');
      assert.equal(ofType(all, 'message.edited')[0]!.data.message.content, 'first, edited');
      assert.deepEqual(ofType(all, 'message.deleted').map((e) => [e.data.messageId, e.data.deletedBy]), [[userSends[0]!.data.message.id, a]]);
      assert.deepEqual(ofType(all, 'conversation.created')[0]!.data.members.map((m) => m.userId).sort(), [owner, a, b].sort());
      assert.deepEqual(ofType(all, 'member.added')[0]!.data.members, [{ userId: c, role: 'member' }]);
      assert.deepEqual(ofType(all, 'member.role_changed').map((e) => [e.data.userId, e.data.role, e.data.previousRole]), [[b, 'admin', 'member']]);
      assert.deepEqual(ofType(all, 'conversation.updated')[0]!.data.changes, { name: 'Renamed' });
      assert.deepEqual(
        ofType(all, 'member.removed').map((e) => [e.data.userId, e.data.reason]),
        [
          [c, 'removed'],
          [a, 'banned'],
          [b, 'left'],
        ],
      );
      assert.deepEqual(ofType(all, 'member.silenced').map((e) => [e.data.userId, e.data.until]), [[a, null]]);
      assert.equal(ofType(all, 'report.created')[0]!.data.report.reporterId, b);
      assert.deepEqual(ofType(all, 'report.resolved')[0]!.data.reports.map((r) => r.resolution), ['dismissed']);
      assert.deepEqual(ofType(all, 'member.banned').map((e) => [e.data.userId, e.data.reason]), [[a, 'spam']]);
      assert.deepEqual(ofType(all, 'member.unbanned').map((e) => e.data.userId), [a]);
    },
    { webhooks: endpoints() },
  );

  test(
    'a change that does not happen writes no event',
    async (h) => {
      const [a, b, outsider] = h.users(3) as [string, string, string];
      const id = await h.direct(a, b);
      await h.direct(b, a);
      const before = (await allDeliveries(h.store)).length;
      assert.equal(ofType(events(await allDeliveries(h.store)), 'conversation.created').length, 1, 'a direct conversation opened twice is created once');
      await assert.rejects(h.send(outsider, id, 'refused'));
      const first = await h.send(a, id, 'once', { clientMessageId: 'k1' });
      await h.send(a, id, 'once', { clientMessageId: 'k1' });
      await h.chat.messages.deleteMessage(first.id, a, true);
      await assert.rejects(h.chat.messages.editMessage(first.id, a, 'too late'));
      await h.chat.messages.deleteMessage(first.id, a, true).catch(() => undefined);
      await assert.rejects(h.chat.conversations.removeMember(id, b, a));
      const other = await h.send(b, id, 'report me twice');
      await h.chat.moderation.reportMessage(other.id, a, { reason: 'spam' });
      await h.chat.moderation.reportMessage(other.id, a, { reason: 'spam' });
      const all = events(await allDeliveries(h.store)).slice(0);
      assert.equal(ofType(all, 'message.sent').length, 2, 'the resend with the same key wrote nothing');
      assert.equal(ofType(all, 'message.deleted').length, 1, 'deleting again wrote nothing');
      assert.equal(ofType(all, 'message.edited').length, 0);
      assert.equal(ofType(all, 'member.removed').length, 0);
      assert.equal(ofType(all, 'report.created').length, 1);
      assert.ok((await allDeliveries(h.store)).length > before);
    },
    { webhooks: endpoints() },
  );

  test('without endpoints no delivery rows are written', async (h) => {
    await everyKindOfChange(h);
    assert.deepEqual(await allDeliveries(h.store), []);
    assert.equal(h.chat.webhooks, null);
  });

  test('the rows are written in the change’s transaction: a row that cannot be written undoes the change', async ({ store, users, direct, group, clock, inspect }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await direct(a, b);
    const at = clock.iso();
    const eventId = newId();
    const clash = (conversationId: string | null) => [row(conversationId, at, { eventId }), row(conversationId, at, { eventId })];
    const message = newMessage(id, a, at, { webhooks: () => clash(id) });
    await assert.rejects(store.insertMessages([message]));
    assert.equal(await store.getMessage(message.id), null, 'the message was not stored');
    const stored = newMessage(id, a, at, { webhooks: (m) => [row(id, at, { body: JSON.stringify({ seq: m.seq }) })] });
    const [created] = await store.insertMessages([stored]);
    assert.equal(created?.status, 'created');
    await assert.rejects(store.updateMessageContent(stored.id, 'edited', clock.iso(), () => clash(id)));
    assert.equal((await store.getMessage(stored.id))?.content, 'x', 'the edit was not stored');
    await assert.rejects(store.deleteMessageForEveryone(stored.id, clock.iso(), () => clash(id)));
    assert.equal((await store.getMessage(stored.id))?.deletedForEveryone, false, 'the delete was not stored');
    const gid = await group(a, [b]);
    await assert.rejects(store.changeConversation(gid, clock.iso(), () => ({ plan: { add: [{ userId: c, role: 'member' }], webhooks: clash(gid) }, value: null })));
    assert.equal(await store.getMember(gid, c), null, 'the member was not added');
    const rows = await allDeliveries(store);
    assert.deepEqual(rows.map((r) => r.body), [JSON.stringify({ seq: 1 })], 'only the send that was stored left a row, built from the stored message');
    if (inspect?.webhookRows !== undefined) assert.deepEqual((await inspect.webhookRows()).map((r) => r.id), rows.map((r) => r.id));
  });

  test('deliveries are leased, retried, parked as dead, listed and redelivered', async ({ store, users, group, clock }) => {
    const [a, b] = users(2) as [string, string];
    const id = await group(a, [b]);
    const at = clock.iso();
    const made = [row(id, at), row(id, at), row(id, at, { endpointId: 'e2' })];
    await store.changeConversation(id, at, () => ({ plan: { webhooks: made }, value: null }));
    const later = (ms: number) => new Date(Date.parse(at) + ms).toISOString();
    const claimed = await store.claimWebhookDeliveries(at, 2, 30_000);
    assert.equal(claimed.length, 2, 'at most `limit`');
    assert.ok(claimed.every((d) => d.attempts === 1 && d.status === 'pending' && d.nextAttemptAt === later(30_000)));
    const third = await store.claimWebhookDeliveries(at, 10, 30_000);
    assert.equal(third.length, 1, 'leased rows are not claimed twice');
    assert.deepEqual(await store.claimWebhookDeliveries(later(29_000), 10, 30_000), []);
    const [first, second] = claimed as [WebhookDelivery, WebhookDelivery];
    assert.equal(await store.completeWebhookDelivery(first.id, later(10)), true);
    assert.equal(await store.completeWebhookDelivery(first.id, later(11)), false, 'delivered once');
    assert.equal(await store.failWebhookDelivery(second.id, 1, 'HTTP 500', later(1_000)), true);
    const again = await store.claimWebhookDeliveries(later(1_000), 10, 30_000);
    assert.deepEqual(again.map((d) => [d.id, d.attempts, d.lastError]), [[second.id, 2, 'HTTP 500']]);
    assert.equal(await store.failWebhookDelivery(second.id, 1, 'a stale attempt', later(2_000)), false, 'an older claim cannot reschedule it');
    assert.equal(await store.failWebhookDelivery(second.id, 2, 'timeout', null), true);
    const dead = await store.listWebhookDeliveries({ status: 'dead', limit: 10 });
    assert.deepEqual(dead.map((d) => [d.id, d.status, d.attempts, d.lastError]), [[second.id, 'dead', 2, 'timeout']]);
    assert.deepEqual(await store.claimWebhookDeliveries(later(3_600_000), 10, 30_000).then((l) => l.map((d) => d.id)), [third[0]!.id], 'the lease of the third ran out; the dead one is never claimed');
    const delivered = await store.getWebhookDelivery(first.id);
    assert.equal(delivered?.status, 'delivered');
    assert.equal(delivered?.deliveredAt, later(10));
    assert.equal(await store.redeliverWebhook(third[0]!.id, later(1)), null, 'a pending one is not redelivered');
    const redelivered = await store.redeliverWebhook(second.id, later(4_000_000));
    assert.deepEqual([redelivered?.id, redelivered?.status, redelivered?.attempts, redelivered?.eventId], [second.id, 'pending', 0, second.eventId]);
    const reclaimed = await store.claimWebhookDeliveries(later(4_000_000), 10, 30_000);
    assert.deepEqual(reclaimed.find((d) => d.id === second.id)?.attempts, 1, 'redelivered: claimed again from attempt 1');
    assert.equal(await store.redeliverWebhook('no-such-delivery', at), null);
    assert.deepEqual((await store.listWebhookDeliveries({ status: 'delivered', limit: 10 })).map((d) => d.id), [first.id]);
    assert.equal(await store.pruneWebhookDeliveries(later(10), 10), 0, 'kept until after its delivery time');
    assert.equal(await store.pruneWebhookDeliveries(later(11), 10), 1);
    assert.equal(await store.getWebhookDelivery(first.id), null);
    assert.equal((await allDeliveries(store)).length, 2, 'pending and dead rows are never pruned');
  });

  test(
    'delivery rows outlive their conversation',
    async (h) => {
      const [a, b] = h.users(2) as [string, string];
      const id = await h.group(a, [b]);
      await h.send(a, id, 'before the end');
      await h.chat.conversations.leaveConversation(id, b);
      await h.chat.conversations.leaveConversation(id, a);
      assert.equal(await h.store.getConversation(id), null);
      const all = events(await allDeliveries(h.store));
      assert.deepEqual(ofType(all, 'conversation.deleted').map((e) => [e.data.conversationId, e.data.deletedBy]), [[id, a]]);
      assert.equal(ofType(all, 'message.sent').filter((e) => e.data.message.content === 'before the end').length, 1);
    },
    { webhooks: endpoints() },
  );
}

export const webhookRaceCases: RaceCase[] = [
  {
    name: 'deliveries claimed by several instances at once go to one each',
    instances: 4,
    async run(h) {
      const [a, b] = h.users(2) as [string, string];
      const id = (await h.nodes[0]!.conversations.createGroupConversation(a, { name: 'hooks', memberIds: [b] })).id;
      const at = h.clock.iso();
      const made = Array.from({ length: 60 }, () => row(id, at));
      await h.stores[0]!.changeConversation(id, at, () => ({ plan: { webhooks: made }, value: null }));
      const seen: string[] = [];
      await Promise.all(
        h.stores.map(async (store) => {
          for (;;) {
            const batch = await store.claimWebhookDeliveries(at, 7, 60_000);
            if (batch.length === 0) return;
            seen.push(...batch.map((d) => d.id));
          }
        }),
      );
      assert.equal(seen.length, made.length, 'every row claimed exactly once');
      assert.deepEqual([...new Set(seen)].sort(), made.map((d) => d.id).sort());
    },
  },
];
