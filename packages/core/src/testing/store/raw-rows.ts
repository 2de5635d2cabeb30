import assert from 'node:assert/strict';
import type { CaseFn } from '../harness.js';

/** What the database holds, read around the adapter: registered only for adapters that give `inspect`. */
export function rawRowCases(test: CaseFn): void {
  test('raw rows: seq 1..n without gaps, one row per clientMessageId', async ({ chat, users, direct, inspect }) => {
    assert.ok(inspect !== undefined);
    const [a, b] = users(2) as [string, string];
    const id = await direct(a, b);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => chat.messages.sendMessage(i % 2 ? a : b, { conversationId: id, content: `${i}`, clientMessageId: `c${i}` })),
    );
    const rows = await inspect.messageRows(id);
    assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 12 }, (_, i) => i + 1));
    const resent = await Promise.all(
      [0, 1, 2].map(() => chat.messages.sendMessage(a, { conversationId: id, content: 'again', clientMessageId: 'c1' })),
    );
    assert.equal(new Set(resent.map((m) => m.id)).size, 1);
    assert.equal((await inspect.messageRows(id)).length, 12);
  });

  test('raw rows: read position and roles as the services left them', async ({ chat, users, group, send, inspect }) => {
    assert.ok(inspect !== undefined);
    const [owner, b] = users(2) as [string, string];
    const id = await group(owner, [b]);
    await send(owner, id, 'x');
    await chat.messages.markAsRead(id, b);
    await chat.conversations.updateMemberRole(id, owner, b, 'owner');
    assert.deepEqual(await inspect.memberRow(id, b), { role: 'owner', lastReadSeq: 2 });
    assert.deepEqual(await inspect.memberRow(id, owner), { role: 'admin', lastReadSeq: 0 });
    const edited = await chat.messages.editMessage((await send(b, id, 'typo')).id, b, 'fixed');
    const row = await inspect.messageRow(edited.id);
    assert.equal(row?.content, 'fixed');
    assert.equal(row?.version, edited.version);
  });
}
