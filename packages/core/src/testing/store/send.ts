import assert from 'node:assert/strict';
import { collectEvents, rejectsWith, type CaseFn } from '../harness.js';

const MB = 1024 * 1024;
/** `{ a: { a: … } }`, `depth` objects deep. */
function deeplyNested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

const attachment = (i = 0) => ({ url: `https://cdn.example.com/f${i}.png`, name: `f${i}.png`, mimeType: 'image/png', size: 1000 });

export function sendCases(test: CaseFn): void {
  test('sends get seq 1, 2, 3… and move the conversation along', async ({ chat, users, direct, send, store }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const m1 = await send(a, id, 'one');
    const m2 = await send(b, id, 'two');
    const m3 = await send(a, id, 'three');
    assert.deepEqual([m1.seq, m2.seq, m3.seq], [1, 2, 3]);
    assert.ok(m1.version < m2.version && m2.version < m3.version);
    assert.equal(m2.senderId, b);
    assert.equal(m2.type, 'text');
    assert.deepEqual(m2.attachments, []);
    assert.deepEqual(m2.reactions, []);
    assert.equal(m2.deletedForEveryone, false);
    const conversation = await store.getConversation(id);
    assert.equal(conversation?.lastSeq, 3);
    assert.equal(conversation?.lastMessage?.id, m3.id);
    assert.ok(conversation!.version >= 3);
  });

  test('concurrent sends from several users leave no duplicate or missing seq', async ({ chat, users, group }) => {
    const people = users(4);
    const id = await group(people[0]!, people.slice(1));
    const sends = [];
    for (let i = 0; i < 60; i++) {
      const sender = people[i % people.length]!;
      sends.push(chat.messages.sendMessage(sender, { conversationId: id, content: `m${i}`, clientMessageId: `c${i}` }));
    }
    const sent = await Promise.all(sends);
    const seqs = sent.map((m) => m.seq).sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => i + 2), 'seq 1 is the system message');
    const { messages } = await chat.messages.getConversationMessages(id, people[0]!, { limit: 100 });
    assert.equal(messages.length, 61);
    assert.deepEqual(messages.map((m) => m.seq), Array.from({ length: 61 }, (_, i) => i + 1));
  });

  test('one sender’s sends are stored in the order they were made', async ({ chat, users, direct }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const sent = await Promise.all(Array.from({ length: 15 }, (_, i) => chat.messages.sendMessage(a, { conversationId: id, content: `${i}` })));
    assert.deepEqual(sent.map((m) => m.seq), Array.from({ length: 15 }, (_, i) => i + 1));
  });

  test('a resend with the same clientMessageId returns the stored message and adds nothing', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const first = await send(a, id, 'hello', { clientMessageId: 'tmp-1' });
    const events = await collectEvents(chat, 'message_created', async () => {
      const again = await send(a, id, 'hello (edited by the client)', { clientMessageId: 'tmp-1' });
      assert.equal(again.id, first.id);
      assert.equal(again.seq, first.seq);
      assert.equal(again.content, 'hello');
    });
    assert.equal(events.length, 0, 'a resend is not announced twice');
    const parallel = await Promise.all([1, 2, 3].map(() => send(a, id, 'p', { clientMessageId: 'tmp-2' })));
    assert.equal(new Set(parallel.map((m) => m.id)).size, 1);
    const other = await send(b, id, 'same id, other sender', { clientMessageId: 'tmp-1' });
    assert.notEqual(other.id, first.id);
    const { messages } = await chat.messages.getConversationMessages(id, a);
    assert.equal(messages.length, 3);
  });

  test('non-members cannot send and learn nothing', async ({ users, group, send }) => {
    const [a, b, stranger] = users(3) as [string, string, string];
    const id = await group(a, [b]);
    await rejectsWith(send(stranger, id), 'NOT_FOUND', 'conversationId');
    await rejectsWith(send(a, 'missing-conversation'), 'NOT_FOUND', 'conversationId');
  });

  test('bad input is refused with the field named, and nothing is stored', async ({ chat, users, direct, group, send, store }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const otherConversation = await group(a, [b]);
    const foreign = await send(a, otherConversation, 'elsewhere');
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ content: 'x'.repeat(10_001) }, 'content'],
      [{ content: '' }, 'content'],
      [{ content: '   ' }, 'content'],
      [{ content: undefined }, 'content'],
      [{ content: 42 }, 'content'],
      [{ attachments: Array.from({ length: 11 }, (_, i) => attachment(i)) }, 'attachments'],
      [{ attachments: [{ ...attachment(), size: 100 * MB + 1 }] }, 'attachments.0.size'],
      [{ attachments: [{ ...attachment(), url: 'ftp://files.example.com/a.png' }] }, 'attachments.0.url'],
      [{ attachments: [{ ...attachment(), url: 'javascript:alert(1)' }] }, 'attachments.0.url'],
      [{ attachments: [{ ...attachment(), mimeType: 'png' }] }, 'attachments.0.mimeType'],
      [{ replyToId: foreign.id }, 'replyToId'],
      [{ replyToId: 'no-such-message' }, 'replyToId'],
      [{ type: 'system' }, 'type'],
      [{ type: 'image', attachments: [] }, 'attachments'],
      [{ clientMessageId: 'x'.repeat(129) }, 'clientMessageId'],
      [{ metadata: deeplyNested(5_000) }, 'metadata'],
      [{ metadata: deeplyNested(9) }, 'metadata'],
      [{ metadata: { blob: 'x'.repeat(16 * 1024) } }, 'metadata'],
      [{ metadata: { n: Number.NaN } }, 'metadata'],
      [{ metadata: { note: 'a\u0000b' } }, 'metadata'],
      [{ content: 'x\u0000y' }, 'content'],
      [{ content: 'x\ud800y' }, 'content'],
      [{ content: 'x\udc00' }, 'content'],
      [{ replyToId: ` ${foreign.id}` }, 'replyToId'],
      [{ attachments: [{ ...attachment(), name: 'a\u0000.png' }] }, 'attachments.0.name'],
    ];
    for (const [patch, field] of bad) {
      await rejectsWith(chat.messages.sendMessage(a, { conversationId: id, content: 'ok', ...patch } as never), 'VALIDATION_FAILED', field);
    }
    await rejectsWith(chat.messages.sendMessage(a, null as never), 'VALIDATION_FAILED');
    assert.equal((await store.getConversation(id))?.lastSeq, 0);
  });

  test('text is stored exactly as acknowledged: astral characters, combining marks, RTL, zero-width', async ({ chat, users, direct }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    for (const content of ['😀👍🏽👨‍👩‍👧', 'e\u0301 vs é', 'שלום عليكم', 'zero\u200Bwidth\uFEFF', '\uD83D\uDE00 paired', 'tab\tnew\nline']) {
      const sent = await chat.messages.sendMessage(a, { conversationId: id, content });
      assert.equal(sent.content, content);
      assert.equal((await chat.messages.getMessageById(sent.id, b)).content, content, JSON.stringify(content));
    }
  });

  test('ids are taken only in canonical form: "victim " is not "victim"', async ({ chat, users, group, send }) => {
    const [victim, other] = users(2) as [string, string];
    const id = await group(victim, [other]);
    await send(victim, id, 'private');
    await rejectsWith(chat.conversations.getUserConversations(`${victim} `), 'VALIDATION_FAILED', 'userId');
    await rejectsWith(chat.messages.getConversationMessages(id, ` ${victim}`), 'VALIDATION_FAILED', 'userId');
    await rejectsWith(chat.messages.getConversationMessages(`${id} `, victim), 'VALIDATION_FAILED', 'conversationId');
    await rejectsWith(chat.messages.sendMessage(`${victim}\n`, { conversationId: id, content: 'x' }), 'VALIDATION_FAILED', 'userId');
  });

  test('the largest valid message is accepted', async ({ chat, users, direct }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await chat.messages.sendMessage(a, {
      conversationId: id,
      type: 'file',
      content: 'x'.repeat(10_000),
      attachments: Array.from({ length: 10 }, (_, i) => ({ ...attachment(i), size: 100 * MB })),
      metadata: { caption: 'ok', nested: { n: 1 }, deep: deeplyNested(7) },
    });
    assert.equal(message.content?.length, 10_000);
    assert.equal(message.attachments.length, 10);
    assert.deepEqual(message.metadata, { caption: 'ok', nested: { n: 1 }, deep: deeplyNested(7) });
    const stored = await chat.messages.getMessageById(message.id, b);
    assert.deepEqual(stored.attachments, message.attachments);
  });

  test('a reply names a message of the same conversation', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const original = await send(a, id, 'question?');
    const reply = await send(b, id, 'answer', { replyToId: original.id });
    assert.equal(reply.replyToId, original.id);
    assert.equal((await chat.messages.getMessageById(reply.id, a)).replyToId, original.id);
  });

  test('a send is announced to every member, with its clientMessageId and origin', async ({ chat, users, group }) => {
    const [a, b, c] = users(3) as [string, string, string];
    const id = await group(a, [b, c]);
    const events = await collectEvents(chat, 'message_created', () =>
      chat.messages.sendMessage(b, { conversationId: id, content: 'hi', clientMessageId: 'temp-9' }, { socketId: 's1' }),
    );
    assert.equal(events.length, 1);
    assert.deepEqual([...events[0]!.audience].sort(), [a, b, c].sort());
    assert.equal(events[0]!.clientMessageId, 'temp-9');
    assert.deepEqual(events[0]!.origin, { socketId: 's1' });
  });

  test(
    'sending faster than the rate limit is refused with retryAfterMs',
    async ({ chat, users, direct, send }) => {
      const [a, b] = users(2) as [string, string];
      const id = await direct(a, b);
      for (let i = 0; i < 3; i++) await send(a, id, `${i}`, { clientMessageId: `k-${i}` });
      const error = await rejectsWith(send(a, id, 'too many'), 'RATE_LIMITED');
      assert.ok((error.details?.retryAfterMs ?? 0) > 0);
      const first = (await chat.messages.getConversationMessages(id, a)).messages[0]!;
      await rejectsWith(send(a, id, 'new, with a key', { clientMessageId: 'never-sent' }), 'RATE_LIMITED');
      assert.equal((await send(a, id, 'a resend is answered', { clientMessageId: 'k-0' })).id, first.id, 'a resend over the limit returns the stored message');
      await send(b, id, 'others are not limited');
    },
    { limits: { messageRate: { limit: 3, windowMs: 10_000 } } },
  );
}
