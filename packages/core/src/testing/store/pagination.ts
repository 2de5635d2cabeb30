import assert from 'node:assert/strict';
import { rejectsWith, type CaseFn, type Harness } from '../harness.js';

async function conversationWith(h: Harness, count: number) {
  const [a, b] = h.users(2) as [string, string];
  const id = await h.direct(a, b);
  for (let i = 1; i <= count; i++) await h.send(i % 2 === 0 ? b : a, id, `m${i}`);
  const page = (options: Parameters<typeof h.chat.messages.getConversationMessages>[2]) =>
    h.chat.messages.getConversationMessages(id, a, options);
  const seqs = async (options: Parameters<typeof h.chat.messages.getConversationMessages>[2]) => {
    const p = await page(options);
    return { seqs: p.messages.map((m) => m.seq), before: p.hasMoreBefore, after: p.hasMoreAfter };
  };
  return { a, b, id, page, seqs };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function paginationCases(test: CaseFn): void {
  test('no cursor gives the newest page, ascending', async (h) => {
    const { seqs } = await conversationWith(h, 25);
    assert.deepEqual(await seqs({ limit: 10 }), { seqs: range(16, 25), before: true, after: false });
    assert.deepEqual(await seqs({ limit: 100 }), { seqs: range(1, 25), before: false, after: false });
  });

  test('before pages backwards to the start of the conversation', async (h) => {
    const { seqs } = await conversationWith(h, 25);
    assert.deepEqual(await seqs({ before: 16, limit: 10 }), { seqs: range(6, 15), before: true, after: true });
    assert.deepEqual(await seqs({ before: 6, limit: 10 }), { seqs: range(1, 5), before: false, after: true });
    assert.deepEqual(await seqs({ before: 1, limit: 10 }), { seqs: [], before: false, after: true });
    assert.deepEqual(await seqs({ before: 1000, limit: 5 }), { seqs: range(21, 25), before: true, after: false });
  });

  test('after pages forwards to the end of the conversation', async (h) => {
    const { seqs } = await conversationWith(h, 25);
    assert.deepEqual(await seqs({ after: 0, limit: 10 }), { seqs: range(1, 10), before: false, after: true });
    assert.deepEqual(await seqs({ after: 20, limit: 10 }), { seqs: range(21, 25), before: true, after: false });
    assert.deepEqual(await seqs({ after: 25, limit: 10 }), { seqs: [], before: true, after: false });
  });

  test('around holds the cursor and fills from the other side at the ends', async (h) => {
    const { seqs } = await conversationWith(h, 25);
    assert.deepEqual(await seqs({ around: 13, limit: 6 }), { seqs: range(11, 16), before: true, after: true });
    assert.deepEqual(await seqs({ around: 1, limit: 6 }), { seqs: range(1, 6), before: false, after: true });
    assert.deepEqual(await seqs({ around: 25, limit: 6 }), { seqs: range(20, 25), before: true, after: false });
    assert.deepEqual(await seqs({ around: 13, limit: 1 }), { seqs: [13], before: true, after: true });
  });

  test('an empty conversation gives an empty page', async (h) => {
    const { seqs } = await conversationWith(h, 0);
    assert.deepEqual(await seqs({}), { seqs: [], before: false, after: false });
    assert.deepEqual(await seqs({ around: 5 }), { seqs: [], before: false, after: false });
  });

  test('bad page options are refused', async (h) => {
    const { page } = await conversationWith(h, 3);
    for (const limit of [0, 101, -1, Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
      await rejectsWith(page({ limit }), 'VALIDATION_FAILED', 'limit');
    }
    await rejectsWith(page({ limit: '10' as unknown as number }), 'VALIDATION_FAILED', 'limit');
    await rejectsWith(page({ before: -1 }), 'VALIDATION_FAILED', 'before');
    await rejectsWith(page({ before: 3, after: 1 }), 'VALIDATION_FAILED');
  });

  test('messages deleted for me leave my pages only', async (h) => {
    const { a, b, id, seqs } = await conversationWith(h, 6);
    const { messages } = await h.chat.messages.getConversationMessages(id, a);
    await h.chat.messages.deleteMessage(messages[2]!.id, a, false);
    await h.chat.messages.deleteMessage(messages[5]!.id, a, false);
    assert.deepEqual(await seqs({ limit: 3 }), { seqs: [2, 4, 5], before: true, after: false });
    assert.deepEqual(await seqs({ after: 5, limit: 3 }), { seqs: [], before: true, after: false });
    const theirs = await h.chat.messages.getConversationMessages(id, b);
    assert.equal(theirs.messages.length, 6);
  });
}
