import assert from 'node:assert/strict';
import { rejectsWith, type CaseFn } from '../harness.js';

export function changesCases(test: CaseFn): void {
  test('changes since 0 are the whole conversation', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    for (let i = 0; i < 5; i++) await send(a, id, `${i}`);
    const changes = await chat.messages.getChangesSince(id, b, 0);
    assert.deepEqual(changes.messages.map((m) => m.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(changes.changes, []);
    assert.deepEqual(changes.hiddenIds, []);
    assert.equal(changes.lastSeq, 5);
    assert.equal(changes.hasMore, false);
  });

  test('after a disconnect: new messages, and older ones edited, deleted or reacted to', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const m1 = await send(a, id, 'one');
    const m2 = await send(a, id, 'two');
    const m3 = await send(a, id, 'three');
    const since = m3.seq;
    await chat.messages.editMessage(m1.id, a, 'one, edited');
    await chat.messages.reactToMessage(m2.id, a, '👀');
    await chat.messages.deleteMessage(m3.id, a, true);
    const m4 = await send(a, id, 'four');
    const changes = await chat.messages.getChangesSince(id, b, since);
    assert.deepEqual(changes.messages.map((m) => m.id), [m4.id]);
    assert.deepEqual(changes.changes.map((m) => m.id), [m1.id, m2.id, m3.id]);
    assert.equal(changes.changes[0]!.content, 'one, edited');
    assert.equal(changes.changes[1]!.reactions.length, 1);
    assert.equal(changes.changes[2]!.deletedForEveryone, true);
    const none = await chat.messages.getChangesSince(id, b, (await chat.conversations.getConversationById(id, b)).version);
    assert.deepEqual([none.messages, none.changes], [[], []]);
  });

  test('a message deleted for me on one device is reported to my other devices, and to nobody else', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const m1 = await send(b, id, 'one');
    await send(b, id, 'two');
    const since = (await chat.conversations.getConversationById(id, a)).version;
    await chat.messages.deleteMessage(m1.id, a, false);
    const mine = await chat.messages.getChangesSince(id, a, since);
    assert.deepEqual(mine.hiddenIds, [m1.id]);
    assert.deepEqual(mine.changes, []);
    const theirs = await chat.messages.getChangesSince(id, b, since);
    assert.deepEqual([theirs.hiddenIds, theirs.changes, theirs.messages], [[], [], []]);
    const later = (await chat.conversations.getConversationById(id, a)).version;
    assert.deepEqual((await chat.messages.getChangesSince(id, a, later)).hiddenIds, []);
    await chat.messages.deleteMessage(m1.id, a, false).catch(() => undefined);
    assert.equal((await chat.conversations.getConversationById(id, a)).version, later, 'hiding twice changes nothing');
  });

  test(
    'a long absence comes in pages: hasMore until caught up',
    async ({ chat, users, direct, send }) => {
      const [a, b] = users(2) as [string, string];
      const id = await direct(a, b);
      for (let i = 0; i < 12; i++) await send(a, id, `${i}`);
      const first = await chat.messages.getChangesSince(id, b, 0);
      assert.equal(first.messages.length, 5);
      assert.equal(first.hasMore, true);
      const seen = [...first.messages];
      let since = first.messages[first.messages.length - 1]!.seq;
      for (;;) {
        const next = await chat.messages.getChangesSince(id, b, since);
        seen.push(...next.messages);
        if (!next.hasMore) break;
        since = next.messages[next.messages.length - 1]!.seq;
      }
      assert.deepEqual(seen.map((m) => m.seq), Array.from({ length: 12 }, (_, i) => i + 1));
    },
    { limits: { maxPageSize: 5, messageRate: { limit: 100, windowMs: 1000 } } },
  );

  test('catch-up is for members, from a valid seq', async ({ chat, users, direct }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    await rejectsWith(chat.messages.getChangesSince(id, 'stranger', 0), 'NOT_FOUND');
    await rejectsWith(chat.messages.getChangesSince(id, a, -1), 'VALIDATION_FAILED', 'seq');
    await rejectsWith(chat.messages.getChangesSince(id, a, Number.NaN), 'VALIDATION_FAILED', 'seq');
  });
}
