import assert from 'node:assert/strict';
import type { ChatServices } from '../../create-chat-services.js';
import type { Message } from '../../domain/types.js';
import { rejectsWith, type CaseFn } from '../harness.js';

/** What a client holds after catching up: every message by id, as last reported. */
async function catchUp(chat: ChatServices, conversationId: string, userId: string, since: { seq: number; version: number }, held = new Map<string, Message>()) {
  let cursor = { ...since };
  let calls = 0;
  const hidden = new Set<string>();
  for (;;) {
    calls += 1;
    const page = await chat.messages.getChangesSince(conversationId, userId, cursor);
    for (const m of [...page.messages, ...page.changes]) held.set(m.id, m);
    for (const id of page.hiddenIds) {
      held.delete(id);
      hidden.add(id);
    }
    const lastSeq = page.messages.length === 0 ? cursor.seq : page.messages[page.messages.length - 1]!.seq;
    cursor = { seq: lastSeq, version: page.version };
    if (!page.hasMore && !page.hasMoreChanges) return { held, hidden, cursor, calls, lastSeq: page.lastSeq };
    assert.ok(calls < 1_000, 'catch-up ends');
  }
}

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

  test('a message untouched since it was stored is never a change, even to a cursor whose version lags its seq', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const m1 = await send(a, id, 'one');
    await chat.messages.editMessage(m1.id, a, 'one, edited'); // the version runs ahead of the seq
    const m2 = await send(a, id, 'two');
    assert.ok(m2.version > m2.seq);
    // A plain seq as the cursor (version = seq): m2 is covered by the seq and untouched.
    const plain = await chat.messages.getChangesSince(id, b, m2.seq);
    assert.deepEqual([plain.messages, plain.changes], [[], []]);
    await chat.messages.reactToMessage(m2.id, b, '👍');
    assert.deepEqual((await chat.messages.getChangesSince(id, b, m2.seq)).changes.map((m) => m.id), [m2.id], 'once touched, it is one');
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

  test(
    'changes have their own cursor and pages: all of 2,500 edits, deletes, reactions and hides arrive',
    async ({ chat, users, direct }) => {
      const [a, b] = users(2) as [string, string];
      const id = await direct(a, b);
      const sent = await Promise.all(Array.from({ length: 2_500 }, (_, i) => chat.messages.sendMessage(i % 2 ? a : b, { conversationId: id, content: `m${i}` })));
      const first = await catchUp(chat, id, b, { seq: 0, version: 0 });
      assert.equal(first.held.size, 2_500, 'new messages arrive in pages');
      assert.ok(first.calls >= 25);
      const expected = new Map<string, string>();
      for (const [i, m] of sent.entries()) {
        const mine = m.senderId === b;
        if (i % 4 === 0) {
          await chat.messages.reactToMessage(m.id, b, '👍');
          expected.set(m.id, 'reacted');
        } else if (i % 4 === 1 && mine) {
          await chat.messages.editMessage(m.id, b, `edited ${i}`);
          expected.set(m.id, 'edited');
        } else if (i % 4 === 3 && mine) {
          await chat.messages.deleteMessage(m.id, b, true);
          expected.set(m.id, 'deleted');
        } else {
          await chat.messages.deleteMessage(m.id, b, false);
          expected.set(m.id, 'hidden');
        }
      }
      const after = await catchUp(chat, id, b, first.cursor, new Map(first.held));
      assert.ok(after.calls >= 25, `${after.calls} pages for 2,500 changes`);
      for (const [messageId, change] of expected) {
        const held = after.held.get(messageId);
        if (change === 'hidden') assert.ok(after.hidden.has(messageId) && held === undefined, `hidden ${messageId} reported`);
        else if (change === 'reacted') assert.deepEqual(held?.reactions.map((r) => r.emoji), ['👍']);
        else if (change === 'edited') assert.match(held?.content ?? '', /^edited/);
        else assert.equal(held?.deletedForEveryone, true);
      }
      const again = await chat.messages.getChangesSince(id, b, after.cursor);
      assert.deepEqual([again.messages, again.changes, again.hiddenIds, again.hasMoreChanges], [[], [], [], false], 'caught up');
    },
    { limits: { maxPageSize: 100, messageRate: { limit: 10_000, windowMs: 1_000 } } },
    120_000, // 2,500 changes one by one: seconds on a network database
  );

  test(
    'changes made while paging through new messages are not lost',
    async ({ chat, users, direct, send }) => {
      const [a, b] = users(2) as [string, string];
      const id = await direct(a, b);
      const sent: Message[] = [];
      for (let i = 0; i < 12; i++) sent.push(await send(a, id, `${i}`));
      const page1 = await chat.messages.getChangesSince(id, b, { seq: 0, version: 0 });
      assert.equal(page1.messages.length, 5);
      await chat.messages.editMessage(sent[1]!.id, a, 'already delivered, then edited');
      await chat.messages.editMessage(sent[9]!.id, a, 'not delivered yet, edited');
      const held = new Map(page1.messages.map((m) => [m.id, m]));
      const rest = await catchUp(chat, id, b, { seq: page1.messages[4]!.seq, version: page1.version }, held);
      assert.equal(rest.held.size, 12);
      assert.equal(rest.held.get(sent[1]!.id)?.content, 'already delivered, then edited');
      assert.equal(rest.held.get(sent[9]!.id)?.content, 'not delivered yet, edited');
    },
    { limits: { maxPageSize: 5, messageRate: { limit: 100, windowMs: 1000 } } },
  );

  test('a bare seq is both cursors; a bad cursor is refused', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const m1 = await send(a, id, 'one');
    await send(a, id, 'two');
    const version = (await chat.conversations.getConversationById(id, b)).version;
    await chat.messages.editMessage(m1.id, a, 'one, edited');
    const bare = await chat.messages.getChangesSince(id, b, 2);
    assert.deepEqual(bare.changes.map((m) => m.id), [m1.id]);
    const explicit = await chat.messages.getChangesSince(id, b, { seq: 2, version });
    assert.deepEqual(explicit.changes.map((m) => m.id), [m1.id]);
    assert.ok(explicit.version > version);
    const none = await chat.messages.getChangesSince(id, b, { seq: 2, version: explicit.version });
    assert.deepEqual(none.changes, []);
    assert.equal(none.version, explicit.version);
    await rejectsWith(chat.messages.getChangesSince(id, b, { seq: 2, version: -1 }), 'VALIDATION_FAILED', 'since.version');
    await rejectsWith(chat.messages.getChangesSince(id, b, { seq: 1.5 }), 'VALIDATION_FAILED', 'since.seq');
  });

  test('catch-up is for members, from a valid seq', async ({ chat, users, direct }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    await rejectsWith(chat.messages.getChangesSince(id, 'stranger', 0), 'NOT_FOUND');
    await rejectsWith(chat.messages.getChangesSince(id, a, -1), 'VALIDATION_FAILED', 'seq');
    await rejectsWith(chat.messages.getChangesSince(id, a, Number.NaN), 'VALIDATION_FAILED', 'seq');
  });
}
