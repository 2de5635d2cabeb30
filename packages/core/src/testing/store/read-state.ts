import assert from 'node:assert/strict';
import { collectEvents, rejectsWith, type CaseFn } from '../harness.js';

export function readStateCases(test: CaseFn): void {
  test('unread counts others’ messages only, not my own nor system messages', async ({ chat, users, group, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await group(a, [b]);
    await send(a, id, 'mine');
    await send(b, id, 'theirs 1');
    await send(b, id, 'theirs 2');
    assert.equal((await chat.conversations.getConversationById(id, a)).unreadCount, 2);
    assert.equal((await chat.conversations.getConversationById(id, b)).unreadCount, 1);
  });

  test('markAsRead moves to the latest message and reports what it covered', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    await send(b, id, '1');
    await send(a, id, '2');
    const last = await send(b, id, '3');
    const result = await chat.messages.markAsRead(id, a);
    assert.deepEqual(result, { markedCount: 2, lastReadSeq: last.seq });
    assert.equal((await chat.conversations.getConversationById(id, a)).unreadCount, 0);
    assert.deepEqual(await chat.messages.markAsRead(id, a), { markedCount: 0, lastReadSeq: last.seq });
  });

  test('markAsRead never moves back', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const m1 = await send(b, id, '1');
    const m2 = await send(b, id, '2');
    const m3 = await send(b, id, '3');
    assert.deepEqual(await chat.messages.markAsRead(id, a, m2.id), { markedCount: 2, lastReadSeq: m2.seq });
    assert.deepEqual(await chat.messages.markAsRead(id, a, m1.id), { markedCount: 0, lastReadSeq: m2.seq });
    assert.equal((await chat.conversations.getConversationById(id, a)).unreadCount, 1);
    assert.deepEqual(await chat.messages.markAsRead(id, a, m3.id), { markedCount: 1, lastReadSeq: m3.seq });
    const events = await collectEvents(chat, 'messages_read', () => chat.messages.markAsRead(id, a, m1.id));
    assert.equal(events.length, 0, 'nothing moved, nothing announced');
  });

  test('markAsRead is announced to members; a foreign message id is refused', async ({ chat, users, group, send }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await group(a, [b, c]);
    const other = await group(a, [b]);
    const foreign = await send(a, other, 'elsewhere');
    await send(a, id, 'x');
    const events = await collectEvents(chat, 'messages_read', () => chat.messages.markAsRead(id, b));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.userId, b);
    assert.equal(events[0]!.markedCount, 1);
    assert.deepEqual([...events[0]!.audience].sort(), [a, b, c].sort());
    await rejectsWith(chat.messages.markAsRead(id, b, foreign.id), 'NOT_FOUND', 'messageId');
    await rejectsWith(chat.messages.markAsRead(id, 'stranger'), 'NOT_FOUND', 'conversationId');
  });

  test('unread counts follow deletes, for everyone and for me', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const m1 = await send(b, id, '1');
    const m2 = await send(b, id, '2');
    await send(b, id, '3');
    assert.equal((await chat.conversations.getConversationById(id, a)).unreadCount, 3);
    await chat.messages.deleteMessage(m1.id, b, true);
    assert.equal((await chat.conversations.getConversationById(id, a)).unreadCount, 2);
    await chat.messages.deleteMessage(m2.id, a, false);
    assert.equal((await chat.conversations.getConversationById(id, a)).unreadCount, 1);
    assert.equal((await chat.conversations.getConversationStats(a)).unreadMessages, 1);
    assert.deepEqual(await chat.messages.markAsRead(id, a), { markedCount: 1, lastReadSeq: 3 });
  });

  test('read receipts are derived from members’ read positions', async ({ chat, users, group, send }) => {
    const [a, b, c, d] = users(4) as [string, string, string, string];
    const id = await group(a, [b, c, d]);
    const first = await send(a, id, 'first');
    const second = await send(a, id, 'second');
    await chat.messages.markAsRead(id, b);
    await chat.messages.markAsRead(id, c, first.id);
    const onFirst = await chat.messages.getReadReceiptStats(first.id, a);
    assert.equal(onFirst.memberCount, 3);
    assert.equal(onFirst.readCount, 2);
    assert.equal(onFirst.percentage, 66.7);
    assert.deepEqual(onFirst.readers.map((r) => r.userId).sort(), [b, c].sort());
    assert.ok(onFirst.readers.every((r) => r.readAt !== null));
    const onSecond = await chat.messages.getReadReceiptStats(second.id, d);
    assert.deepEqual(onSecond.readers.map((r) => r.userId), [b]);
    await rejectsWith(chat.messages.getReadReceiptStats(second.id, 'stranger'), 'NOT_FOUND');
  });

  test('message stats count by type and sender with first and last times', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const first = await send(a, id, 'one');
    await send(b, id, 'two');
    await send(a, id, 'pic', { type: 'image', attachments: [{ url: 'https://x.example/p.png', name: 'p.png', mimeType: 'image/png', size: 1 }] });
    const gone = await send(b, id, 'gone');
    const last = await send(a, id, 'three');
    await chat.messages.deleteMessage(gone.id, b, true);
    const stats = await chat.messages.getMessageStats(id, b);
    assert.equal(stats.total, 4);
    assert.deepEqual(stats.byType, { text: 3, image: 1 });
    assert.deepEqual(stats.bySender, [
      { senderId: a, count: 3 },
      { senderId: b, count: 1 },
    ]);
    assert.equal(stats.firstMessageAt, first.createdAt);
    assert.equal(stats.lastMessageAt, last.createdAt);
    await rejectsWith(chat.messages.getMessageStats(id, 'stranger'), 'NOT_FOUND');
  });

  test('unread summary: count, first unread and the total over conversations not archived', async ({ chat, store, users, group, direct, send }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const g = await group(a, [b, c]);
    const d = await direct(a, b);
    await send(b, g, 'one');
    const two = await send(c, g, 'two');
    await send(a, g, 'mine');
    await send(b, d, 'direct');
    const [summary] = await store.unreadSummary(g, [a]);
    assert.deepEqual(summary, { userId: a, unreadCount: 2, firstUnreadSeq: 2, totalUnread: 3, mentionCount: 0 });
    const item = await chat.conversations.getConversationById(g, a);
    assert.equal(item.firstUnreadSeq, 2);
    assert.equal((await chat.conversations.getUserConversations(a)).items.find((i) => i.id === d)?.firstUnreadSeq, 1);
    await chat.messages.markAsRead(g, a, two.id);
    assert.deepEqual((await store.unreadSummary(g, [a]))[0], { userId: a, unreadCount: 0, firstUnreadSeq: null, totalUnread: 1, mentionCount: 0 });
    await chat.conversations.archiveConversation(d, a);
    assert.equal((await store.unreadSummary(g, [a]))[0]!.totalUnread, 0, 'archived conversations are left out of the total');
    assert.deepEqual(await store.unreadSummary(g, ['stranger']), [], 'non-members are left out');
  });

  test('unread states: every conversation of the user in one snapshot, each with the last seq its counts cover', async ({ chat, store, users, group, direct, send }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const g = await group(a, [b, c]);
    const d = await direct(a, b);
    const one = await send(b, g, 'one');
    await send(c, g, 'two @a', { mentions: [a] });
    const hidden = await send(c, g, 'hidden later');
    await send(a, g, 'mine');
    const last = await send(b, d, 'direct');
    await chat.messages.deleteMessage(hidden.id, a, false);
    await chat.conversations.archiveConversation(d, a);
    const byId = (states: Awaited<ReturnType<typeof store.unreadStates>>) => new Map(states.map((s) => [s.conversationId, s]));
    const states = byId(await store.unreadStates(a));
    assert.equal(states.size, 2);
    assert.deepEqual(states.get(g), { conversationId: g, unreadCount: 2, firstUnreadSeq: one.seq, mentionCount: 1, archived: false, lastSeq: (await store.getConversation(g))!.lastSeq });
    assert.deepEqual(states.get(d), { conversationId: d, unreadCount: 1, firstUnreadSeq: last.seq, mentionCount: 0, archived: true, lastSeq: last.seq });
    // The same counts as the summary, conversation by conversation.
    const [summary] = await store.unreadSummary(g, [a]);
    assert.equal(summary!.unreadCount, states.get(g)!.unreadCount);
    assert.equal(summary!.totalUnread, states.get(g)!.unreadCount, 'the archived conversation is out of the total');
    await chat.messages.markAsRead(g, a);
    assert.deepEqual(byId(await store.unreadStates(a)).get(g), { conversationId: g, unreadCount: 0, firstUnreadSeq: null, mentionCount: 0, archived: false, lastSeq: (await store.getConversation(g))!.lastSeq });
    assert.deepEqual(await store.unreadStates('stranger'), [], 'no conversations, no states');
  });

  test('mark as unread moves the read position back to just before a message, for the caller only', async ({ chat, users, group, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await group(a, [b]);
    const one = await send(a, id, 'one');
    await send(a, id, 'two');
    await chat.messages.markAsRead(id, b);
    const events = await collectEvents(chat, 'read_position_changed', async () => {
      assert.deepEqual(await chat.messages.markAsUnread(id, b, one.id), { lastReadSeq: one.seq - 1 });
    });
    assert.deepEqual(events.map((e) => [e.userId, e.lastReadSeq, e.audience]), [[b, one.seq - 1, [b]]]);
    const item = await chat.conversations.getConversationById(id, b);
    assert.equal(item.unreadCount, 2);
    assert.equal(item.firstUnreadSeq, one.seq);
    await rejectsWith(chat.messages.markAsUnread(id, b, 'no-such-message'), 'NOT_FOUND', 'messageId');
    await rejectsWith(chat.messages.markAsUnread(id, 'stranger', one.id), 'NOT_FOUND', 'conversationId');
  });
}
