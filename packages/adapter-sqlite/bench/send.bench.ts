import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatServices, newId } from '@parley/core';
import BetterSqlite3 from 'better-sqlite3';
import { bench, describe } from 'vitest';
import { createSqliteStore } from '../src/index.js';

/**
 * Sends through the whole service stack (validation, membership cache, batched insert, FTS,
 * events) against a bare baseline: the same rows written to the same schema in one
 * transaction per batch. Read the ratio, not the absolute numbers.
 */
const BATCH = 500;
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));

const store = createSqliteStore({ filename: join(dir, 'parley.db') });
const chat = createChatServices({ store, limits: { messageRate: { limit: Number.MAX_SAFE_INTEGER, windowMs: 1 } } });
const group = await chat.conversations.createGroupConversation('alice', { name: 'bench', memberIds: ['bob', 'carol'] });

const raw = createSqliteStore({ filename: join(dir, 'baseline.db') }); // same pragmas (WAL, synchronous FULL) as Parley's
const db: BetterSqlite3.Database = raw.database;
const { conversation } = await raw.createConversation({
  id: newId(), type: 'group', name: 'bench', description: null, avatarUrl: null, createdBy: 'alice',
  createdAt: new Date().toISOString(), directKey: null, members: [{ userId: 'alice', role: 'owner' }],
});
const advance = db.prepare('UPDATE conversations SET last_seq = last_seq + 1, version = version + 1 WHERE id = ? RETURNING last_seq, version');
const insert = db.prepare(
  `INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, attachments, created_at, version)
   VALUES (?, ?, ?, ?, 'text', ?, '[]', ?, ?)`,
);
const index = db.prepare('INSERT INTO message_search (rowid, body) VALUES (?, ?)');
const baselineBatch = db.transaction((n: number) => {
  for (let i = 0; i < n; i++) {
    const c = advance.get(conversation.id) as { last_seq: number; version: number };
    const text = `hello number ${i}`;
    const info = insert.run(newId(), conversation.id, c.last_seq, 'alice', text, new Date().toISOString(), c.version);
    index.run(info.lastInsertRowid, text);
  }
});

describe(`send ${BATCH} messages`, () => {
  bench('baseline: raw batched inserts into the same schema', () => {
    baselineBatch.immediate(BATCH);
  });

  bench('parley: MessageService.sendMessage over SQLite', async () => {
    const sends = [];
    for (let i = 0; i < BATCH; i++) {
      sends.push(chat.messages.sendMessage(i % 2 ? 'bob' : 'alice', { conversationId: group.id, content: `hello number ${i}`, clientMessageId: newId() }));
    }
    await Promise.all(sends);
  });
});
