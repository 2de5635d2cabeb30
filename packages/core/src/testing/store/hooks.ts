import assert from 'node:assert/strict';
import { ChatError } from '../../domain/errors.js';
import { createWordFilter } from '../../extensions/word-filter.js';
import { reject } from '../../extensions/hooks.js';
import type { CaseFn } from '../harness.js';
import { rejectsWith } from '../harness.js';

const filter = createWordFilter({ words: ['darn'], patterns: [/https?:\/\/\S+/], action: 'mask' });

/**
 * The host's hooks over the store under test: what a hook refuses leaves no trace in the
 * store (no row, no `seq` used, no member added), and what it rewrites is what is stored,
 * read back, searched and caught up on.
 */
export function hookCases(test: CaseFn): void {
  test(
    'a send a hook refuses stores nothing and uses no seq; a masked send is stored masked, everywhere',
    async (h) => {
      const [a, b] = h.users(2) as [string, string];
      const id = await h.direct(a, b);
      const first = await h.send(a, id, 'hello');
      const refused = await rejectsWith(h.send(a, id, 'BLOCKED by the host'), 'FORBIDDEN', 'content');
      assert.equal(refused.message, 'Not here');
      const masked = await h.send(b, id, 'oh darn, see https://spam.example/x');
      assert.equal(masked.seq, first.seq + 1, 'the refused send used no seq');
      assert.equal(masked.content, `oh ****, see ${'*'.repeat(22)}`);
      const stored = await h.chat.messages.getConversationMessages(id, a);
      assert.deepEqual(stored.messages.map((m) => m.content), ['hello', `oh ****, see ${'*'.repeat(22)}`]);
      assert.equal((await h.chat.messages.searchMessages(a, 'darn')).items.length, 0, 'the masked word is not searchable');
      const changes = await h.chat.messages.getChangesSince(id, a, 0);
      assert.ok(changes.messages.every((m) => !(m.content ?? '').includes('darn')));
    },
    {
      hooks: {
        beforeSend: [
          ({ draft }) => {
            if (draft.content?.includes('BLOCKED')) throw reject('Not here', { field: 'content' });
          },
          filter.beforeSend,
        ],
        beforeEdit: filter.beforeEdit,
      },
    },
  );

  test(
    'an edit is stored as the hook rewrote it; an add the hook trims adds only whom it kept',
    async (h) => {
      const [owner, alice, bob, spammer] = h.users(4) as [string, string, string, string];
      const id = await h.group(owner, [alice]);
      const message = await h.send(alice, id, 'fine');
      const edited = await h.chat.messages.editMessage(message.id, alice, 'darn it');
      assert.equal(edited.content, '**** it');
      assert.equal((await h.chat.messages.getMessageById(message.id, owner)).content, '**** it');
      await h.chat.conversations.addMembers(id, owner, [bob, spammer]);
      const members = (await h.chat.conversations.getConversationMembers(id, owner)).map((m) => m.userId).sort();
      assert.deepEqual(members, [alice, bob, owner].sort(), 'the hook kept the spammer out');
      await rejectsWith(h.chat.conversations.addMembers(id, owner, [spammer]), 'FORBIDDEN');
    },
    {
      hooks: {
        beforeEdit: filter.beforeEdit,
        beforeAddMembers: ({ memberIds }) => {
          const kept = memberIds.filter((m) => !m.startsWith('u4-'));
          if (kept.length === 0) throw reject('Nobody left to add');
          return kept;
        },
      },
    },
  );

  test(
    'a hook that throws or hangs refuses the send (onFailure: reject) and the store is untouched',
    async (h) => {
      const [a, b] = h.users(2) as [string, string];
      const id = await h.direct(a, b);
      const broken = await rejectsWith(h.send(a, id, 'crash'), 'UNAVAILABLE');
      assert.ok(broken instanceof ChatError);
      await rejectsWith(h.send(a, id, 'hang'), 'UNAVAILABLE');
      const ok = await h.send(a, id, 'fine');
      assert.equal(ok.seq, 1);
      assert.equal((await h.chat.messages.getConversationMessages(id, a)).messages.length, 1);
    },
    {
      hooks: {
        timeoutMs: 50,
        beforeSend: ({ draft }) => {
          if (draft.content === 'crash') throw new Error('the host’s bug');
          if (draft.content === 'hang') return new Promise(() => {});
          return undefined;
        },
      },
    },
  );
}
