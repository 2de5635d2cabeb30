import assert from 'node:assert/strict';
import { rejectsWith, type CaseFn } from '../harness.js';

/** Edit history (issue 14): every earlier text kept with the edit, readable by members, gone with a delete for everyone. */
export function editHistoryCases(test: CaseFn): void {
  test('every earlier text is kept, oldest first, each with when it was written and replaced', async ({ chat, users, group, send }) => {
    const [owner, b, outsider] = users(3) as [string, string, string];
    const id = await group(owner, [b]);
    const original = await send(b, id, 'one');
    assert.deepEqual((await chat.messages.getMessageHistory(original.id, owner)).versions, [], 'never edited: no history');
    const second = await chat.messages.editMessage(original.id, b, 'two');
    const third = await chat.messages.editMessage(original.id, b, 'three');
    const history = await chat.messages.getMessageHistory(original.id, owner);
    assert.deepEqual(history, {
      messageId: original.id,
      conversationId: id,
      content: 'three',
      editedAt: third.editedAt,
      versions: [
        { messageId: original.id, content: 'one', createdAt: original.createdAt, replacedAt: second.editedAt },
        { messageId: original.id, content: 'two', createdAt: second.editedAt, replacedAt: third.editedAt },
      ],
      hasMore: false,
    });
    await rejectsWith(chat.messages.getMessageHistory(original.id, outsider), 'NOT_FOUND', 'messageId');
    await rejectsWith(chat.messages.getMessageHistory('missing', owner), 'NOT_FOUND', 'messageId');
  });

  test('a long history comes a page at a time, oldest first', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id, 'e0');
    for (let i = 1; i <= 5; i++) await chat.messages.editMessage(message.id, a, `e${i}`);
    const seen: string[] = [];
    let offset = 0;
    for (;;) {
      const page = await chat.messages.getMessageHistory(message.id, b, { offset, limit: 2 });
      assert.ok(page.versions.length <= 2);
      seen.push(...page.versions.map((v) => v.content!));
      offset += page.versions.length;
      if (!page.hasMore) break;
    }
    assert.deepEqual(seen, ['e0', 'e1', 'e2', 'e3', 'e4']);
    assert.deepEqual((await chat.messages.getMessageHistory(message.id, b, { offset: 5 })).versions, []);
    await rejectsWith(chat.messages.getMessageHistory(message.id, b, { limit: 101 }), 'VALIDATION_FAILED', 'limit');
    await rejectsWith(chat.messages.getMessageHistory(message.id, b, { offset: -1 }), 'VALIDATION_FAILED', 'offset');
    await rejectsWith(chat.messages.getMessageHistory(message.id, b, { offset: 'x' as never }), 'VALIDATION_FAILED', 'offset');
  });

  test('concurrent edits each keep the text they replaced: nothing is lost or kept twice', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id, 'v0');
    const texts = Array.from({ length: 6 }, (_, i) => `v${i + 1}`);
    await Promise.all(texts.map((t) => chat.messages.editMessage(message.id, a, t)));
    const history = await chat.messages.getMessageHistory(message.id, b);
    assert.equal(history.versions.length, texts.length);
    assert.equal(history.versions[0]!.content, 'v0');
    const seen = [...history.versions.map((v) => v.content), history.content].sort();
    assert.deepEqual(seen, ['v0', ...texts].sort(), 'each text appears once, in the history or as the current one');
    for (let i = 1; i < history.versions.length; i++) {
      assert.equal(history.versions[i]!.createdAt, history.versions[i - 1]!.replacedAt, 'each version starts where the one before it ended');
    }
  });

  test('a delete for everyone clears the history, in the store too', async ({ chat, users, direct, send, store, inspect }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id, 'regret');
    await chat.messages.editMessage(message.id, a, 'more regret');
    assert.equal((await store.listMessageHistory(message.id, 0, 100)).length, 1);
    if (inspect?.editCount !== undefined) assert.equal(await inspect.editCount(message.id), 1, 'the earlier text is a row of its own');
    await chat.messages.deleteMessage(message.id, a, true);
    assert.deepEqual((await chat.messages.getMessageHistory(message.id, b)).versions, []);
    assert.equal((await chat.messages.getMessageHistory(message.id, b)).content, null);
    assert.deepEqual(await store.listMessageHistory(message.id, 0, 100), [], 'the earlier texts are gone from the database, not only hidden');
    if (inspect?.editCount !== undefined) assert.equal(await inspect.editCount(message.id), 0, 'no row of them is left');
  });

  test('a delete for me keeps the history for the others and hides it from me', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id, 'first');
    await chat.messages.editMessage(message.id, a, 'second');
    await chat.messages.deleteMessage(message.id, b, false);
    await rejectsWith(chat.messages.getMessageHistory(message.id, b), 'NOT_FOUND', 'messageId');
    assert.equal((await chat.messages.getMessageHistory(message.id, a)).versions.length, 1);
  });

  test('search sees only the current text of an edited message', async ({ chat, users, direct, send }) => {
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    const message = await send(a, id, 'meet at the lighthouse');
    await chat.messages.editMessage(message.id, a, 'meet at the harbour');
    await chat.messages.editMessage(message.id, a, 'meet at the station');
    for (const gone of ['lighthouse', 'harbour']) assert.equal((await chat.messages.searchMessages(b, gone)).total, 0, `${gone} was edited away`);
    const found = await chat.messages.searchMessages(b, 'station');
    assert.deepEqual(found.items.map((hit) => [hit.message.id, hit.message.content]), [[message.id, 'meet at the station']]);
  });

  test('a deleted conversation takes the history with it', async ({ chat, users, group, send, store }) => {
    const [owner] = users(1) as [string];
    const id = await group(owner, []);
    const message = await send(owner, id, 'x');
    await chat.messages.editMessage(message.id, owner, 'y');
    await chat.conversations.leaveConversation(id, owner);
    assert.deepEqual(await store.listMessageHistory(message.id, 0, 100), []);
  });
}
