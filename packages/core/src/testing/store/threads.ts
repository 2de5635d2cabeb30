import assert from 'node:assert/strict';
import { rejectsWith, type CaseFn, type Harness, type RaceCase } from '../harness.js';

/** A group of three with a root message by `a`, and a way to reply in its thread. */
async function threadOf(h: Harness) {
  const [a, b, c] = h.users(3) as [string, string, string];
  const id = await h.group(a, [b, c]);
  const root = await h.send(a, id, 'root');
  const reply = (userId: string, content: string, extra: Parameters<Harness['send']>[3] = {}) => h.send(userId, id, content, { threadId: root.id, ...extra });
  return { a, b, c, id, root, reply };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function threadCases(test: CaseFn): void {
  test('a reply opens a thread: the root carries count, last reply time and participants', async (h) => {
    const { a, b, c, id, root, reply } = await threadOf(h);
    assert.equal(root.thread ?? null, null, 'no summary before the first reply');
    assert.equal(root.threadId ?? null, null);
    const first = await reply(b, 'one');
    assert.equal(first.threadId, root.id);
    assert.equal(first.alsoToConversation, false);
    await reply(c, 'two');
    const last = await reply(b, 'three');
    const stored = await h.chat.messages.getMessageById(root.id, a);
    assert.deepEqual(stored.thread, { replyCount: 3, lastReplyAt: last.createdAt, participantIds: [b, c] });
    assert.equal(stored.version, last.version, 'the root changed with the reply, at its version');
    assert.equal((await h.store.getConversation(id))!.version, last.version, 'one reply is one change');
  });

  test('thread replies stay out of the timeline unless also sent to the conversation', async (h) => {
    const { a, b, id, root, reply } = await threadOf(h);
    await reply(b, 'only in the thread');
    const also = await reply(b, 'also in the conversation', { alsoToConversation: true });
    const after = await h.send(a, id, 'timeline');
    const page = await h.chat.messages.getConversationMessages(id, a);
    assert.deepEqual(
      page.messages.filter((m) => m.type !== 'system').map((m) => m.content),
      ['root', 'also in the conversation', 'timeline'],
    );
    assert.ok(page.messages.some((m) => m.id === also.id && m.alsoToConversation === true));
    const conversation = await h.store.getConversation(id);
    assert.equal(conversation!.lastMessage?.id, after.id);
    const thread = await h.chat.threads.getThreadMessages(root.id, a);
    assert.equal(thread.root.id, root.id);
    assert.deepEqual(thread.messages.map((m) => m.content), ['only in the thread', 'also in the conversation']);
  });

  test('a reply kept in its thread is not the conversation\'s last message', async (h) => {
    const { a, b, id, root, reply } = await threadOf(h);
    await reply(b, 'quiet');
    const list = await h.chat.conversations.getUserConversations(a);
    assert.equal(list.items.find((c) => c.id === id)!.lastMessage?.id, root.id);
  });

  test('a thread pages by seq like a conversation, before, after and around', async (h) => {
    const { a, b, id, root, reply } = await threadOf(h);
    const seqs: number[] = [];
    for (let i = 1; i <= 25; i++) {
      seqs.push((await reply(i % 2 === 0 ? a : b, `r${i}`)).seq);
      if (i % 5 === 0) await h.send(a, id, `timeline ${i}`);
    }
    const page = async (options: Parameters<Harness['chat']['threads']['getThreadMessages']>[2]) => {
      const p = await h.chat.threads.getThreadMessages(root.id, a, options);
      return { seqs: p.messages.map((m) => m.seq), before: p.hasMoreBefore, after: p.hasMoreAfter };
    };
    assert.deepEqual(await page({ limit: 10 }), { seqs: seqs.slice(15), before: true, after: false });
    assert.deepEqual(await page({ before: seqs[15]!, limit: 10 }), { seqs: seqs.slice(5, 15), before: true, after: true });
    assert.deepEqual(await page({ before: seqs[5]!, limit: 10 }), { seqs: seqs.slice(0, 5), before: false, after: true });
    assert.deepEqual(await page({ after: 0, limit: 10 }), { seqs: seqs.slice(0, 10), before: false, after: true });
    assert.deepEqual(await page({ after: seqs[19]!, limit: 10 }), { seqs: seqs.slice(20), before: true, after: false });
    assert.deepEqual(await page({ after: seqs[24]!, limit: 10 }), { seqs: [], before: true, after: false });
    assert.deepEqual(await page({ around: seqs[12]!, limit: 3 }), { seqs: seqs.slice(11, 14), before: true, after: true });
    const all = await h.chat.threads.getThreadMessages(root.id, a, { limit: 100 });
    assert.deepEqual(all.messages.map((m) => m.content), range(1, 25).map((i) => `r${i}`));
    const timeline = await h.chat.messages.getConversationMessages(id, a, { limit: 100 });
    assert.deepEqual(timeline.messages.filter((m) => m.content?.startsWith('timeline')).length, 5);
    assert.ok(timeline.messages.every((m) => (m.threadId ?? null) === null), 'the timeline holds no thread-only reply');
  });

  test('replies deleted for me leave my thread pages only', async (h) => {
    const { a, b, root, reply } = await threadOf(h);
    const one = await reply(b, 'one');
    await reply(b, 'two');
    await h.chat.messages.deleteMessage(one.id, a, false);
    assert.deepEqual((await h.chat.threads.getThreadMessages(root.id, a)).messages.map((m) => m.content), ['two']);
    assert.deepEqual((await h.chat.threads.getThreadMessages(root.id, b)).messages.map((m) => m.content), ['one', 'two']);
  });

  test('a bad thread is refused and nothing is stored', async (h) => {
    const { a, b, id, root, reply } = await threadOf(h);
    const other = await h.group(a, [b], 'Other');
    const elsewhere = await h.send(a, other, 'elsewhere');
    await rejectsWith(reply(b, 'x', { threadId: elsewhere.id }), 'VALIDATION_FAILED', 'threadId');
    await rejectsWith(reply(b, 'x', { threadId: 'no-such-message' }), 'VALIDATION_FAILED', 'threadId');
    const first = await reply(b, 'first');
    await rejectsWith(reply(b, 'nested', { threadId: first.id }), 'VALIDATION_FAILED', 'threadId');
    await rejectsWith(h.send(b, id, 'x', { alsoToConversation: true }), 'VALIDATION_FAILED', 'alsoToConversation');
    await rejectsWith(reply(b, 'x', { threadId: 42 as unknown as string }), 'VALIDATION_FAILED', 'threadId');
    assert.equal((await h.chat.messages.getMessageById(root.id, a)).thread?.replyCount, 1);
    const [outsider] = h.users(1) as [string];
    await rejectsWith(h.chat.threads.getThreadMessages(root.id, outsider), 'NOT_FOUND', 'threadId');
    await rejectsWith(h.chat.threads.getThreadMessages(first.id, a), 'VALIDATION_FAILED', 'threadId');
  });

  test('resending a reply with its clientMessageId counts it once', async (h) => {
    const { a, b, root, reply } = await threadOf(h);
    const one = await reply(b, 'once', { clientMessageId: 'k1' });
    const again = await reply(b, 'once', { clientMessageId: 'k1' });
    assert.equal(again.id, one.id);
    assert.equal((await h.chat.messages.getMessageById(root.id, a)).thread?.replyCount, 1);
  });

  test('thread replies do not count as conversation unread, unless also sent to it', async (h) => {
    const { a, b, c, id, reply } = await threadOf(h);
    await h.chat.messages.markAsRead(id, c);
    await reply(b, 'quiet');
    await reply(b, 'loud', { alsoToConversation: true });
    const [summary] = await h.store.unreadSummary(id, [c]);
    assert.equal(summary!.unreadCount, 1);
    const list = await h.chat.conversations.getUserConversations(c);
    assert.equal(list.items.find((x) => x.id === id)!.unreadCount, 1);
    const read = await h.chat.messages.markAsRead(id, c);
    assert.equal(read.markedCount, 1);
    void a;
  });

  test('per-thread read position: followers, unread counts, forward only', async (h) => {
    const { a, b, c, id, root, reply } = await threadOf(h);
    const r1 = await reply(b, 'one');
    await reply(b, 'two');
    const r3 = await reply(c, 'three');
    // a started the thread, b and c replied: all three follow it.
    const states = await h.chat.store.threadReadStates(root.id);
    assert.deepEqual(
      states.map((s) => [s.userId, s.unreadCount]).sort(),
      [[a, 3], [b, 1], [c, 0]].sort(),
    );
    assert.equal(states.find((s) => s.userId === c)!.lastReadSeq, r3.seq, 'a reply reads the thread up to it');
    const partly = await h.chat.threads.markThreadRead(root.id, a, r1.id);
    assert.deepEqual({ markedCount: partly.markedCount, lastReadSeq: partly.lastReadSeq, unreadCount: partly.unreadCount }, { markedCount: 1, lastReadSeq: r1.seq, unreadCount: 2 });
    const back = await h.chat.threads.markThreadRead(root.id, a, r1.id);
    assert.equal(back.markedCount, 0, 'marking again moves nothing');
    const all = await h.chat.threads.markThreadRead(root.id, a);
    assert.deepEqual({ markedCount: all.markedCount, lastReadSeq: all.lastReadSeq, unreadCount: all.unreadCount }, { markedCount: 2, lastReadSeq: r3.seq, unreadCount: 0 });
    assert.equal((await h.chat.threads.markThreadRead(root.id, a, r1.id)).lastReadSeq, r3.seq, 'never back');
    // Deleted and hidden replies do not count.
    const r4 = await reply(b, 'four');
    const r5 = await reply(b, 'five');
    await h.chat.messages.deleteMessage(r4.id, b, true);
    await h.chat.messages.deleteMessage(r5.id, a, false);
    assert.equal((await h.store.threadReadStates(root.id, [a]))[0]!.unreadCount, 0);
    // The conversation's list of followed threads.
    const mine = await h.chat.threads.getThreadReadStates(id, c);
    assert.deepEqual(mine.map((s) => [s.threadId, s.unreadCount]), [[root.id, 1]], 'c has not read five (four was deleted)');
    await rejectsWith(h.chat.threads.markThreadRead(root.id, a, 'nope'), 'NOT_FOUND', 'messageId');
    await rejectsWith(h.chat.threads.markThreadRead(root.id, a, root.id), 'NOT_FOUND', 'messageId');
  });

  test('marking a thread read makes a member follow it', async (h) => {
    const { a, b, c, id, root, reply } = await threadOf(h);
    await reply(b, 'one');
    assert.deepEqual(await h.store.threadReadStates(root.id, [c]), []);
    const first = await h.chat.threads.markThreadRead(root.id, c);
    assert.equal(first.markedCount, 1);
    await reply(a, 'two');
    assert.deepEqual((await h.store.threadReadStates(root.id, [c])).map((s) => s.unreadCount), [1]);
    assert.equal((await h.chat.threads.getThreadReadStates(id, c)).length, 1);
    const [outsider] = h.users(1) as [string];
    await rejectsWith(h.chat.threads.getThreadReadStates(id, outsider), 'NOT_FOUND', 'conversationId');
  });

  test('a conversation that ends takes its threads and their read positions with it', async (h) => {
    const { a, b, c, id, root, reply } = await threadOf(h);
    await reply(b, 'one');
    await h.chat.threads.markThreadRead(root.id, c);
    for (const user of [b, c, a]) await h.chat.conversations.leaveConversation(id, user);
    assert.equal(await h.store.getConversation(id), null);
    assert.deepEqual(await h.store.threadReadStates(root.id), []);
    assert.deepEqual(await h.store.listThreadReadStates(c, id, 10), []);
  });

  test('catch-up covers thread replies (messages) and the root\'s new summary (changes)', async (h) => {
    const { a, b, id, root, reply } = await threadOf(h);
    const held = await h.store.getConversation(id);
    const r1 = await reply(b, 'one');
    const changes = await h.chat.messages.getChangesSince(id, a, { seq: held!.lastSeq, version: held!.version });
    assert.deepEqual(changes.messages.map((m) => [m.id, m.threadId]), [[r1.id, root.id]]);
    assert.deepEqual(changes.changes.map((m) => [m.id, m.thread?.replyCount]), [[root.id, 1]]);
    const later = await h.chat.threads.getThreadMessages(root.id, a, { after: r1.seq });
    assert.deepEqual(later.messages, []);
  });
}

/** Replies racing from several instances on one database. */
export const threadRaceCases: RaceCase[] = [
  {
    name: 'concurrent replies from several instances: the root counts every one, lists every participant',
    instances: 3,
    async run(h) {
      const people = h.users(4);
      const id = (await h.nodes[0]!.conversations.createGroupConversation(people[0]!, { name: 'thread race', memberIds: people.slice(1) })).id;
      const root = await h.nodes[0]!.messages.sendMessage(people[0]!, { conversationId: id, content: 'root' });
      const sends: Array<Promise<unknown>> = [];
      for (let round = 0; round < 6; round++) {
        for (const [i, node] of h.nodes.entries()) {
          const sender = people[(round + i) % people.length]!;
          sends.push(node.messages.sendMessage(sender, { conversationId: id, content: `r${round}-${i}`, threadId: root.id }));
          // Replies through the store directly too, in batches of two, as a busy node's batcher sends them.
          sends.push(
            h.stores[i]!.insertMessages([0, 1].map((k) => ({
              id: `${root.id}-${round}-${i}-${k}`,
              conversationId: id,
              senderId: people[(round + i + k + 1) % people.length]!,
              type: 'text' as const,
              content: `batch ${round}-${i}-${k}`,
              replyToId: null,
              attachments: [],
              metadata: null,
              clientMessageId: null,
              createdAt: new Date(Date.UTC(2026, 0, 2) + round * 10 + i).toISOString(),
              notify: false,
              threadId: root.id,
            }))),
          );
        }
      }
      await Promise.all(sends);
      const total = 6 * 3 * 3;
      const stored = await h.stores[1]!.getMessage(root.id);
      assert.equal(stored!.thread?.replyCount, total, 'no reply lost from the count');
      assert.deepEqual([...stored!.thread!.participantIds].sort(), [...people].sort(), 'every replier listed once');
      const page = await h.stores[2]!.listThreadMessages(root.id, people[0]!, { limit: 100 });
      assert.equal(page.messages.length, total);
      const seqs = page.messages.map((m) => m.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
      const latest = page.messages.reduce((a, b) => (a.createdAt > b.createdAt ? a : b));
      assert.equal(stored!.thread!.lastReplyAt! >= latest.createdAt, true);
      assert.equal(stored!.version, Math.max(...page.messages.map((m) => m.version)), 'the root carries the last reply\'s version');
    },
  },
];
