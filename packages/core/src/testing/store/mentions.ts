import assert from 'node:assert/strict';
import type { Notification } from '../../services/notification-dispatcher.js';
import { rejectsWith, type CaseFn, type Harness } from '../harness.js';

async function mentionCount(h: Harness, conversationId: string, userId: string): Promise<number | undefined> {
  const list = await h.chat.conversations.getUserConversations(userId);
  const item = list.items.find((c) => c.id === conversationId);
  const [summary] = await h.store.unreadSummary(conversationId, [userId]);
  assert.equal(item?.mentionCount, summary?.mentionCount, 'the list and the unread summary agree');
  return summary?.mentionCount;
}

export function mentionCases(test: CaseFn): void {
  test('mentions are stored deduplicated, on every read', async (h) => {
    const [a, b, c] = h.users(3) as [string, string, string];
    const id = await h.group(a, [b, c]);
    const sent = await h.send(a, id, 'hi @b @c', { mentions: [b, c, b] });
    assert.deepEqual(sent.mentions, [b, c]);
    assert.equal(sent.mentionEveryone, false);
    assert.deepEqual((await h.chat.messages.getMessageById(sent.id, b)).mentions, [b, c]);
    const page = await h.chat.messages.getConversationMessages(id, c);
    assert.deepEqual(page.messages.find((m) => m.id === sent.id)!.mentions, [b, c]);
    const plain = await h.send(a, id, 'no one');
    assert.deepEqual(plain.mentions, []);
  });

  test('mentions must name members; bad mentions are refused and nothing is stored', async (h) => {
    const [a, b, stranger] = h.users(3) as [string, string, string];
    const id = await h.group(a, [b]);
    const before = (await h.store.getConversation(id))!.lastSeq;
    const error = await rejectsWith(h.send(a, id, 'hey', { mentions: [b, stranger] }), 'VALIDATION_FAILED', 'mentions');
    assert.deepEqual(error.details?.userIds, [stranger]);
    await rejectsWith(h.send(a, id, 'hey', { mentions: 'b' as unknown as string[] }), 'VALIDATION_FAILED', 'mentions');
    await rejectsWith(h.send(a, id, 'hey', { mentions: [' b'] }), 'VALIDATION_FAILED', 'mentions.0');
    const many = Array.from({ length: 51 }, (_, i) => `user-${i}`);
    await rejectsWith(h.send(a, id, 'hey', { mentions: many }), 'VALIDATION_FAILED', 'mentions');
    await rejectsWith(h.send(a, id, 'hey', { mentionEveryone: 'yes' as unknown as boolean }), 'VALIDATION_FAILED', 'mentionEveryone');
    assert.equal((await h.store.getConversation(id))!.lastSeq, before);
  });

  test('mention counts sit beside unread counts and clear with a read', async (h) => {
    const [a, b, c] = h.users(3) as [string, string, string];
    const id = await h.group(a, [b, c]);
    await h.chat.messages.markAsRead(id, b);
    assert.equal(await mentionCount(h, id, b), 0);
    await h.send(a, id, '@b one', { mentions: [b] });
    await h.send(a, id, 'plain');
    const deleted = await h.send(c, id, '@b two', { mentions: [b] });
    const hidden = await h.send(c, id, '@b three', { mentions: [b, a] });
    await h.send(b, id, 'my own @b', { mentions: [b] });
    assert.equal(await mentionCount(h, id, b), 3);
    await h.chat.messages.deleteMessage(deleted.id, c, true);
    assert.equal(await mentionCount(h, id, b), 2, 'a message deleted for everyone no longer mentions');
    await h.chat.messages.deleteMessage(hidden.id, b, false);
    assert.equal(await mentionCount(h, id, b), 1, 'nor one deleted for me');
    assert.equal(await mentionCount(h, id, a), 1, 'a was mentioned in the hidden one, which a still sees');
    await h.chat.messages.markAsRead(id, b);
    assert.equal(await mentionCount(h, id, b), 0);
  });

  test('a mention in a thread reply counts in the thread, not in the conversation', async (h) => {
    const [a, b] = h.users(2) as [string, string];
    const id = await h.group(a, [b]);
    const root = await h.send(b, id, 'root');
    await h.chat.messages.markAsRead(id, b);
    await h.send(a, id, '@b in the thread', { threadId: root.id, mentions: [b] });
    assert.equal(await mentionCount(h, id, b), 0);
    assert.equal((await h.store.threadReadStates(root.id, [b]))[0]!.unreadCount, 1);
    await h.send(a, id, '@b also here', { threadId: root.id, mentions: [b], alsoToConversation: true });
    assert.equal(await mentionCount(h, id, b), 1);
  });

  test('@everyone needs the mentionEveryone capability and mentions every member', async (h) => {
    const [owner, admin, member] = h.users(3) as [string, string, string];
    const id = await h.group(owner, [admin, member]);
    await h.chat.conversations.updateMemberRole(id, owner, admin, 'admin');
    await rejectsWith(h.send(member, id, '@everyone', { mentionEveryone: true }), 'FORBIDDEN');
    await h.chat.messages.markAsRead(id, member);
    await h.chat.messages.markAsRead(id, owner);
    const sent = await h.send(admin, id, '@everyone', { mentionEveryone: true, mentions: [member] });
    assert.equal(sent.mentionEveryone, true);
    assert.equal(await mentionCount(h, id, member), 1, 'mentioned by name and by everyone: one message');
    assert.equal(await mentionCount(h, id, owner), 1);
    assert.equal(await mentionCount(h, id, admin), 0, 'not by one\'s own message');
    const direct = await h.direct(owner, member);
    await rejectsWith(h.send(owner, direct, '@everyone', { mentionEveryone: true }), 'FORBIDDEN');
  });

  const delivered: Notification[] = [];
  /** Delivery passes until `count` notifications arrived (a pass a send kicked may still hold one), at most 20. */
  const deliveredUpTo = async (h: Harness, count: number) => {
    for (let i = 0; i < 20 && delivered.length < count; i++) {
      await h.chat.notifications!.idle();
      await h.chat.notifications!.runOnce();
    }
  };
  test(
    'the notifier is told who was mentioned; a mention gets through a mute',
    async (h) => {
      delivered.length = 0;
      const [a, b, c, d] = h.users(4) as [string, string, string, string];
      const id = await h.group(a, [b, c, d]);
      await h.chat.conversations.muteConversation(id, b);
      await h.chat.conversations.muteConversation(id, c);
      await h.send(a, id, 'no mention');
      await h.send(a, id, '@b', { mentions: [b] });
      await deliveredUpTo(h, 2);
      assert.equal(delivered.length, 2);
      delivered.sort((x, y) => x.message.seq - y.message.seq);
      assert.deepEqual(delivered[0]!.recipientIds, [d]);
      assert.deepEqual(delivered[0]!.mentionedIds, []);
      assert.deepEqual([...delivered[1]!.recipientIds].sort(), [b, d].sort(), 'muted b is notified of the mention, muted c is not');
      assert.deepEqual(delivered[1]!.mentionedIds, [b]);
      // A reply kept in its thread: its followers and the mentioned, not everyone.
      const root = await h.send(d, id, 'root');
      await h.send(a, id, 'in thread', { threadId: root.id });
      await h.send(a, id, 'in thread @c', { threadId: root.id, mentions: [c] });
      await deliveredUpTo(h, 5);
      assert.equal(delivered.length, 5);
      const threadOnes = delivered.filter((n) => n.message.threadId === root.id).sort((x, y) => x.message.seq - y.message.seq);
      assert.deepEqual(threadOnes.map((n) => [...n.recipientIds].sort()), [[d], [c, d].sort()]);
      assert.deepEqual(threadOnes.map((n) => n.mentionedIds), [[], [c]]);
    },
    { notifier: (n) => void delivered.push(n), notificationRetry: { pollIntervalMs: 3_600_000 } },
  );
}
