import assert from 'node:assert/strict';
import { ChatError } from '../../domain/errors.js';
import { collectEvents, rejectsWith, type CaseFn, type RaceCase } from '../harness.js';

/** Pinned messages (issue 14): who and when, the cap, expiry, unpinning on delete. */
export function pinCases(test: CaseFn): void {
  test('pin, list and unpin: who pinned and when, newest first, announced to every member', async ({ chat, users, group, send, clock }) => {
    const [owner, b, c] = users(3) as [string, string, string];
    const id = await group(owner, [b, c]);
    const first = await send(b, id, 'first');
    const second = await send(c, id, 'second');
    const pinned = await collectEvents(chat, 'message_pinned', async () => {
      await chat.pins.pinMessage(first.id, c);
      await chat.pins.pinMessage(second.id, b);
    });
    assert.deepEqual(pinned.map((e) => [e.pin.messageId, e.pin.pinnedBy]), [[first.id, c], [second.id, b]]);
    assert.deepEqual([...pinned[0]!.audience].sort(), [owner, b, c].sort());
    const pins = await chat.pins.listPins(id, owner);
    assert.deepEqual(pins.map((p) => [p.messageId, p.pinnedBy, p.conversationId, p.expiresAt]), [[second.id, b, id, null], [first.id, c, id, null]]);
    assert.equal(pins[1]!.message.content, 'first', 'each pin carries its message');
    assert.ok(pins[0]!.pinnedAt > pins[1]!.pinnedAt && pins[0]!.pinnedAt <= clock.iso());
    const unpinned = await collectEvents(chat, 'message_unpinned', async () => {
      assert.deepEqual(await chat.pins.unpinMessage(first.id, owner), { messageId: first.id, conversationId: id, unpinned: true });
      assert.equal((await chat.pins.unpinMessage(first.id, owner)).unpinned, false, 'unpinning twice is harmless');
    });
    assert.deepEqual(unpinned.map((e) => [e.messageId, e.unpinnedBy]), [[first.id, owner]], 'announced once');
    assert.deepEqual((await chat.pins.listPins(id, b)).map((p) => p.messageId), [second.id]);
  });

  test('pinning a pinned message again replaces who, when and the expiry, and does not count twice', async ({ chat, users, group, send, clock }) => {
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    const message = await send(b, id, 'x');
    await chat.pins.pinMessage(message.id, b, { expiresAt: clock.iso(60_000) });
    const again = await chat.pins.pinMessage(message.id, owner);
    assert.equal(again.pinnedBy, owner);
    assert.equal(again.expiresAt, null);
    assert.deepEqual((await chat.pins.listPins(id, b)).map((p) => [p.messageId, p.pinnedBy, p.expiresAt]), [[message.id, owner, null]]);
  }, { limits: { maxPinsPerConversation: 1 } });

  test('at most maxPinsPerConversation pins: one more is CONFLICT, and unpinning frees a place', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const messages = [];
    for (let i = 0; i < 4; i++) messages.push(await send(i % 2 ? a : b, id, `m${i}`));
    for (const m of messages.slice(0, 3)) await chat.pins.pinMessage(m.id, a);
    const refused = await rejectsWith(chat.pins.pinMessage(messages[3]!.id, b), 'CONFLICT', 'messageId');
    assert.equal(refused.details?.limit, 3);
    assert.equal((await chat.pins.listPins(id, a)).length, 3);
    await chat.pins.unpinMessage(messages[0]!.id, b);
    await chat.pins.pinMessage(messages[3]!.id, b);
    assert.deepEqual((await chat.pins.listPins(id, a)).map((p) => p.messageId).sort(), messages.slice(1).map((m) => m.id).sort());
  }, { limits: { maxPinsPerConversation: 3 } });

  test('the cap holds when many members pin at once', async ({ chat, users, group, send }) => {
    const people = users(6);
    const id = await group(people[0]!, people.slice(1));
    const messages = await Promise.all(people.map((p, i) => send(p, id, `pin me ${i}`)));
    const results = await Promise.allSettled(messages.map((m, i) => chat.pins.pinMessage(m.id, people[(i + 1) % people.length]!)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 2);
    assert.ok(lost.every((r) => r.reason instanceof ChatError && r.reason.code === 'CONFLICT'));
    assert.equal((await chat.pins.listPins(id, people[0]!)).length, 2);
  }, { limits: { maxPinsPerConversation: 2 } });

  test('an expired pin is neither listed nor counted; an expiry in the past is refused', async ({ chat, users, direct, send, clock, inspect }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const brief = await send(a, id, 'for a minute');
    const lasting = await send(b, id, 'for good');
    const pin = await chat.pins.pinMessage(brief.id, a, { expiresAt: clock.iso(60_000) });
    assert.equal(pin.expiresAt, new Date(Date.parse(pin.expiresAt!)).toISOString(), 'stored as given, in ISO form');
    assert.deepEqual((await chat.pins.listPins(id, b)).map((p) => p.messageId), [brief.id]);
    await rejectsWith(chat.pins.pinMessage(lasting.id, b), 'CONFLICT', 'messageId');
    clock.advance(61_000);
    assert.deepEqual(await chat.pins.listPins(id, b), [], 'expired: not listed');
    await chat.pins.pinMessage(lasting.id, b);
    assert.deepEqual((await chat.pins.listPins(id, a)).map((p) => p.messageId), [lasting.id], 'expired: not counted');
    if (inspect?.pinCount !== undefined) assert.equal(await inspect.pinCount(id), 1, 'the next pin dropped the expired row');
    assert.equal((await chat.pins.unpinMessage(brief.id, a)).unpinned, false, 'an expired pin is not there to unpin');
    await rejectsWith(chat.pins.pinMessage(brief.id, a, { expiresAt: clock.iso(-1_000) }), 'VALIDATION_FAILED', 'expiresAt');
    await rejectsWith(chat.pins.pinMessage(brief.id, a, { expiresAt: 'tomorrow' }), 'VALIDATION_FAILED', 'expiresAt');
  }, { limits: { maxPinsPerConversation: 1 } });

  test('a delete for everyone unpins the message; a deleted message cannot be pinned', async ({ chat, users, group, send, store, clock, inspect }) => {
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    const doomed = await send(b, id, 'doomed');
    const kept = await send(b, id, 'kept');
    await chat.pins.pinMessage(doomed.id, owner);
    await chat.pins.pinMessage(kept.id, owner);
    const unpinEvents = await collectEvents(chat, 'message_unpinned', () => chat.messages.deleteMessage(doomed.id, b, true));
    assert.deepEqual(unpinEvents, [], 'the delete itself tells clients (message_deleted)');
    assert.deepEqual((await chat.pins.listPins(id, owner)).map((p) => p.messageId), [kept.id]);
    assert.deepEqual((await store.listPins(id, clock.iso())).map((p) => p.messageId), [kept.id], 'gone from the store, not filtered');
    if (inspect?.pinCount !== undefined) assert.equal(await inspect.pinCount(id), 1, 'its row is gone');
    assert.equal(await store.unpinMessage(doomed.id, clock.iso()), null);
    await rejectsWith(chat.pins.pinMessage(doomed.id, owner), 'CONFLICT', 'messageId');
    const outcome = await store.pinMessage({ conversationId: id, messageId: doomed.id, pinnedBy: owner, pinnedAt: clock.iso(), expiresAt: null }, 10);
    assert.equal(outcome.status, 'not_found', 'the store refuses it too');
    const hidden = await send(owner, id, 'hidden for b');
    await chat.messages.deleteMessage(hidden.id, b, false);
    await chat.pins.pinMessage(hidden.id, owner);
    assert.equal((await chat.pins.listPins(id, owner)).length, 2, 'a delete for me unpins nothing');
  });

  test('the store pins only a message of the conversation named', async ({ users, direct, send, store, clock }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const one = await direct(a, b);
    const other = await direct(a, c);
    const message = await send(a, one, 'here');
    const pin = (conversationId: string, messageId: string) => store.pinMessage({ conversationId, messageId, pinnedBy: a, pinnedAt: clock.iso(), expiresAt: null }, 10);
    assert.equal((await pin(other, message.id)).status, 'not_found');
    assert.equal((await pin(one, 'missing')).status, 'not_found');
    assert.deepEqual(await store.listPins(other, clock.iso()), []);
  });

  test('members only; the pin capability decides who pins and unpins', async ({ chat, users, group, send }) => {
    const [owner, member, outsider] = users(3) as [string, string, string];
    const id = await group(owner, [member]);
    const message = await send(member, id, 'x');
    await rejectsWith(chat.pins.pinMessage(message.id, outsider), 'NOT_FOUND', 'messageId');
    await rejectsWith(chat.pins.listPins(id, outsider), 'NOT_FOUND', 'conversationId');
    await rejectsWith(chat.pins.unpinMessage(message.id, outsider), 'NOT_FOUND', 'messageId');
    await rejectsWith(chat.pins.pinMessage(message.id, member), 'FORBIDDEN');
    await chat.pins.pinMessage(message.id, owner);
    await rejectsWith(chat.pins.unpinMessage(message.id, member), 'FORBIDDEN');
    assert.equal((await chat.pins.listPins(id, member)).length, 1, 'every member lists');
    await rejectsWith(chat.pins.pinMessage(message.id, owner, { expiresAt: 5 } as never), 'VALIDATION_FAILED', 'expiresAt');
    await rejectsWith(chat.pins.pinMessage('  padded', owner), 'VALIDATION_FAILED', 'messageId');
  }, { capabilities: { group: { member: ['send', 'react', 'editOwn', 'deleteOwn'] } } });

  test('a moderator-muted member neither pins nor unpins', async ({ chat, users, group, send }) => {
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    const message = await send(owner, id, 'x');
    await chat.moderation.silenceMember(id, owner, { userId: b });
    await rejectsWith(chat.pins.pinMessage(message.id, b), 'FORBIDDEN');
    await chat.pins.pinMessage(message.id, owner);
    await rejectsWith(chat.pins.unpinMessage(message.id, b), 'FORBIDDEN');
  });

  test('a deleted conversation takes its pins with it', async ({ chat, users, group, send, store, clock }) => {
    const [owner] = users(1) as [string];
    const id = await group(owner, []);
    const message = await send(owner, id, 'x');
    await chat.pins.pinMessage(message.id, owner);
    await chat.conversations.leaveConversation(id, owner);
    assert.deepEqual(await store.listPins(id, clock.iso()), []);
  });
}

/** The cap under instances racing on one database. */
export const pinRaceCases: RaceCase[] = [
  {
    name: 'pins from several instances at once never pass the cap',
    instances: 3,
    limits: { maxPinsPerConversation: 3 },
    async run(h) {
      const people = h.users(3);
      const id = (await h.nodes[0]!.conversations.createGroupConversation(people[0]!, { name: 'pins', memberIds: people.slice(1) })).id;
      for (let round = 0; round < 4; round++) {
        for (const pin of await h.nodes[0]!.pins.listPins(id, people[0]!)) await h.nodes[0]!.pins.unpinMessage(pin.messageId, people[0]!);
        const messages = [];
        for (let i = 0; i < 9; i++) messages.push(await h.nodes[i % 3]!.messages.sendMessage(people[i % 3]!, { conversationId: id, content: `r${round} m${i}` }));
        const results = await Promise.allSettled(messages.map((m, i) => h.nodes[i % 3]!.pins.pinMessage(m.id, people[i % 3]!)));
        for (const r of results) if (r.status === 'rejected' && !(r.reason instanceof ChatError && r.reason.code === 'CONFLICT')) throw r.reason;
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3, `round ${round}: three pins win`);
        for (const store of h.stores) assert.equal((await store.listPins(id, new Date(h.clock.ms).toISOString())).length, 3, `round ${round}: the cap holds`);
      }
    },
  },
];
