import { createMemoryStore, type ChatStore, type InsertResult, type NewMessage } from '@parley/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.js';

/**
 * The SQLite send path reads each conversation's head once per batch, writes the conversation
 * row once per batch, and leaves search indexing to a batch after the commit. The in-memory
 * store, which does none of that, is the reference: for any sequence of batches — several
 * conversations in one batch, non-members, a missing conversation, repeated client ids —
 * interleaved with edits, deletes, conversation deletions and index flushes, both stores give
 * the same answers, the same conversation heads and the same search results, and the FTS
 * index holds exactly the live messages' text.
 */

const USERS = ['ua', 'ub', 'uc'] as const;
const WORDS = ['apple', 'banana', 'cherry', 'delta', 'echo'] as const;
const AT = '2026-01-01T00:00:00.000Z';

type Op =
  | { kind: 'batch'; sends: Array<{ conversation: number; sender: number; clientId: number | null; words: number[] }> }
  | { kind: 'edit'; pick: number; words: number[] }
  | { kind: 'delete'; pick: number }
  | { kind: 'drop'; conversation: number }
  | { kind: 'flush' };

const words = fc.array(fc.integer({ min: 0, max: WORDS.length - 1 }), { minLength: 1, maxLength: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      sends: fc.array(
        fc.record({
          conversation: fc.integer({ min: 0, max: 3 }), // 3: a conversation that does not exist
          sender: fc.integer({ min: 0, max: USERS.length - 1 }),
          clientId: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
          words,
        }),
        { minLength: 1, maxLength: 8 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('edit' as const), pick: fc.nat(), words }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), conversation: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
);

/** What a store answered, without what legitimately differs (nothing should). */
const answer = (r: InsertResult) => (r.message === null ? { status: r.status } : { status: r.status, id: r.message.id, seq: r.message.seq, version: r.message.version });

async function setUp(store: ChatStore, conversations: string[]): Promise<void> {
  // ua and ub are in every conversation; uc only in the first.
  for (const [i, id] of conversations.entries()) {
    const members = [{ userId: 'ua', role: 'owner' as const }, { userId: 'ub', role: 'member' as const }, ...(i === 0 ? [{ userId: 'uc', role: 'member' as const }] : [])];
    await store.createConversation({ id, type: 'group', name: id, description: null, avatarUrl: null, createdBy: 'ua', createdAt: AT, directKey: null, members });
  }
}

describe('SQLite batched send and deferred search (property, against the memory store)', () => {
  it('answers, conversation heads and search results match the reference', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const reference = createMemoryStore();
        const sqlite: SqliteStore = createSqliteStore({ searchIndexDelayMs: 60_000 });
        const conversations = ['c0', 'c1', 'c2'];
        await setUp(reference, conversations);
        await setUp(sqlite, conversations);
        const created: string[] = [];
        let n = 0;
        try {
          for (const step of ops) {
            if (step.kind === 'batch') {
              const batch: NewMessage[] = step.sends.map((s) => ({
                id: `m${(n += 1)}`,
                conversationId: s.conversation === 3 ? 'missing' : conversations[s.conversation]!,
                senderId: USERS[s.sender]!,
                type: 'text',
                content: s.words.map((w) => WORDS[w]).join(' '),
                replyToId: null,
                attachments: [],
                metadata: null,
                clientMessageId: s.clientId === null ? null : `k${s.clientId}`,
                createdAt: AT,
                notify: false,
              }));
              const [expected, actual] = [await reference.insertMessages(batch), await sqlite.insertMessages(batch)];
              expect(actual.map(answer)).toEqual(expected.map(answer));
              for (const r of actual) if (r.status === 'created') created.push(r.message.id);
            } else if (step.kind === 'edit' || step.kind === 'delete') {
              if (created.length === 0) continue;
              const id = created[step.pick % created.length]!;
              const [expected, actual] =
                step.kind === 'edit'
                  ? [
                      await reference.updateMessageContent(id, step.words.map((w) => WORDS[w]).join(' '), AT),
                      await sqlite.updateMessageContent(id, step.words.map((w) => WORDS[w]).join(' '), AT),
                    ]
                  : [await reference.deleteMessageForEveryone(id, AT), await sqlite.deleteMessageForEveryone(id, AT)];
              expect(actual?.version ?? null).toEqual(expected?.version ?? null);
            } else if (step.kind === 'drop') {
              const drop = async (store: ChatStore) => store.changeConversation(conversations[step.conversation]!, AT, () => ({ plan: { delete: true }, value: null }));
              await drop(reference);
              await drop(sqlite);
            } else sqlite.flushSearch();
          }
          for (const id of conversations) {
            const [expected, actual] = [await reference.getConversation(id), await sqlite.getConversation(id)];
            expect([actual?.lastSeq, actual?.version, actual?.lastMessage?.id]).toEqual([expected?.lastSeq, expected?.version, expected?.lastMessage?.id]);
          }
          for (const word of WORDS) {
            for (const user of USERS) {
              const query = { terms: [word], text: word, limit: 100, offset: 0 };
              const ids = async (store: ChatStore) => (await store.searchMessages(user, query)).items.map((i) => i.message.id).sort();
              expect(await ids(sqlite)).toEqual(await ids(reference));
            }
          }
          // The index itself, after the searches caught it up: one row per live message, its current text.
          const db = sqlite.database;
          const indexed = db.prepare('SELECT rowid, body FROM message_search ORDER BY rowid').all();
          const live = db
            .prepare(`SELECT rowid, content AS body FROM messages WHERE content IS NOT NULL AND type <> 'system' AND deleted_for_everyone = 0 ORDER BY rowid`)
            .all();
          expect(indexed).toEqual(live);
        } finally {
          await sqlite.close?.();
          await reference.close?.();
        }
      }),
      { numRuns: 150 },
    );
  });
});
