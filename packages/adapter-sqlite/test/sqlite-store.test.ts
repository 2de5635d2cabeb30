import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatServices, newId, type NewMessage } from '@parley/core';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore, LATEST_VERSION, MIGRATIONS } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-own-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, `${name}-${newId()}.db`);

const message = (conversationId: string, senderId: string, content: string): NewMessage => ({
  id: newId(),
  conversationId,
  senderId,
  type: 'text',
  content,
  replyToId: null,
  attachments: [],
  metadata: null,
  clientMessageId: null,
  createdAt: new Date().toISOString(),
  notify: false,
});

describe('SQLite store: schema and durability', () => {
  it('applies migrations on open and records the version; WAL on files', async () => {
    const store = createSqliteStore({ filename: file('wal') });
    expect(store.database.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.database.pragma('synchronous', { simple: true })).toBe(2); // FULL: acknowledged means durable
    await store.close!();
    const faster = createSqliteStore({ filename: file('normal'), synchronous: 'NORMAL' });
    expect(faster.database.pragma('synchronous', { simple: true })).toBe(1);
    await faster.close!();
  });

  it('keeps everything across a close and reopen', async () => {
    const filename = file('reopen');
    const first = createChatServices({ store: createSqliteStore({ filename }) });
    const group = await first.conversations.createGroupConversation('ann', { name: 'Persist', memberIds: ['ben'] });
    const sent = await first.messages.sendMessage('ben', { conversationId: group.id, content: 'still here tomorrow', clientMessageId: 'k1' });
    await first.close();
    const second = createChatServices({ store: createSqliteStore({ filename }) });
    const page = await second.messages.getConversationMessages(group.id, 'ann');
    expect(page.messages.map((m) => m.content)).toContain('still here tomorrow');
    expect((await second.messages.searchMessages('ann', 'tomorrow')).items[0]?.message.id).toBe(sent.id);
    const again = await second.messages.sendMessage('ben', { conversationId: group.id, content: 'dup', clientMessageId: 'k1' });
    expect(again.id).toBe(sent.id);
    await second.close();
  });

  it('upgrades a database of an older schema in place, keeping its rows', async () => {
    const db = new BetterSqlite3(':memory:');
    db.exec(MIGRATIONS[0]!.sql);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO conversations (id, type, created_by, created_at, updated_at, last_seq, version) VALUES ('c1', 'group', 'a', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1, 1)").run();
    db.prepare("INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES ('c1', 'a', 'owner', '2026-01-01T00:00:00.000Z')").run();
    db.prepare("INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, created_at, version) VALUES ('m1', 'c1', 1, 'a', 'text', 'old', '2026-01-01T00:00:00.000Z', 1)").run();
    db.prepare("INSERT INTO hidden_messages (message_id, user_id) VALUES ('m1', 'a')").run();
    const store = createSqliteStore({ database: db });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect((await store.getMessage('m1'))?.content).toBe('old');
    expect(await store.getMessage('m1', 'a')).toBeNull();
    expect((await store.getChangesSince('c1', 'a', { seq: 0, version: 0 }, 10)).hiddenIds).toEqual([]);
    db.close();
  });

  it('applies a migration numbered below the last one applied when its table is missing (branches merged out of order)', async () => {
    const db = new BetterSqlite3(':memory:');
    // A database made by a Parley that had every migration but pins and edit history (6).
    for (const m of MIGRATIONS.filter((m) => m.version !== 6)) db.exec(m.sql);
    db.pragma(`user_version = ${LATEST_VERSION}`);
    const store = createSqliteStore({ database: db });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('pins', 'message_edits') ORDER BY name").all()).toEqual([{ name: 'message_edits' }, { name: 'pins' }]);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(await store.listPins('c1', '2026-01-01T00:00:00.000Z')).toEqual([]);
    createSqliteStore({ database: db }); // and again: nothing to do
    db.close();
  });

  it('refuses a database written by a newer schema', () => {
    const db = new BetterSqlite3(':memory:');
    db.pragma('user_version = 999');
    expect(() => createSqliteStore({ database: db })).toThrow(/newer than this Parley/);
    db.close();
  });

  it('never closes a database the host owns', async () => {
    const db = new BetterSqlite3(':memory:');
    const store = createSqliteStore({ database: db });
    await store.close!();
    expect(db.open).toBe(true);
    db.close();
  });
});

describe('SQLite store: transactions', () => {
  it('a batch with one failing message writes nothing', async () => {
    const store = createSqliteStore();
    const { conversation } = await store.createConversation({
      id: newId(), type: 'group', name: 'g', description: null, avatarUrl: null, createdBy: 'a',
      createdAt: new Date().toISOString(), directKey: null, members: [{ userId: 'a', role: 'owner' }],
    });
    const first = message(conversation.id, 'a', 'ok');
    // The same id twice breaks a unique constraint inside the transaction.
    await expect(store.insertMessages([first, message(conversation.id, 'a', 'ok too'), { ...first, content: 'clash' }])).rejects.toThrow(/UNIQUE/);
    expect((store.database.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n).toBe(0);
    expect((await store.getConversation(conversation.id))?.lastSeq).toBe(0);
    await store.close!();
  });

  it('a message to a missing conversation, or from a non-member, is refused alone', async () => {
    const store = createSqliteStore();
    const { conversation } = await store.createConversation({
      id: newId(), type: 'group', name: 'g', description: null, avatarUrl: null, createdBy: 'a',
      createdAt: new Date().toISOString(), directKey: null, members: [{ userId: 'a', role: 'owner' }],
    });
    const results = await store.insertMessages([message(conversation.id, 'a', 'ok'), message('missing', 'a', 'nowhere'), message(conversation.id, 'x', 'stranger')]);
    expect(results.map((r) => r.status)).toEqual(['created', 'refused', 'refused']);
    expect((store.database.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n).toBe(1);
    await store.close!();
  });

  it('the services store the good sends of a batch that held a bad one', async () => {
    const store = createSqliteStore();
    const chat = createChatServices({ store });
    const { id } = await chat.conversations.createGroupConversation('a', { name: 'g', memberIds: [] });
    const inserts = [store.insertMessages.bind(store)];
    let failNext = true;
    // The first batch fails as a whole (a transient fault); the batcher retries one by one.
    store.insertMessages = async (batch) => {
      if (failNext && batch.length > 1) {
        failNext = false;
        throw new Error('SQLITE_BUSY: database is locked');
      }
      return inserts[0]!(batch);
    };
    const sent = await Promise.all(['1', '2', '3'].map((content) => chat.messages.sendMessage('a', { conversationId: id, content })));
    expect(sent.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(failNext).toBe(false);
    await chat.close();
  });

  it('a storage failure reaches the caller as UNAVAILABLE and is not acknowledged', async () => {
    const store = createSqliteStore();
    const chat = createChatServices({ store });
    const { id } = await chat.conversations.createGroupConversation('a', { name: 'g', memberIds: [] });
    store.database.close();
    await expect(chat.messages.sendMessage('a', { conversationId: id, content: 'lost?' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('SQLite store: search index', () => {
  it('follows edits and deletes, holding folded text only for live messages', async () => {
    const store = createSqliteStore();
    const chat = createChatServices({ store });
    const { id } = await chat.conversations.createGroupConversation('a', { name: 'g', memberIds: [] });
    const m = await chat.messages.sendMessage('a', { conversationId: id, content: 'Đường Phố' });
    const indexed = () => store.database.prepare('SELECT body FROM message_search').pluck().all();
    // Indexed after the send's commit, in a batch of its own: not yet, until the flush.
    expect(indexed()).toEqual([]);
    store.flushSearch();
    expect(indexed()).toEqual(['duong pho']);
    await chat.messages.editMessage(m.id, 'a', 'Hà Nội');
    expect(indexed()).toEqual(['ha noi']);
    await chat.messages.deleteMessage(m.id, 'a', true);
    expect(indexed()).toEqual([]);
    await chat.close();
  });

  it('a search sees a message sent a moment ago, and an edit of one not yet indexed', async () => {
    const store = createSqliteStore({ searchIndexDelayMs: 60_000 });
    const chat = createChatServices({ store });
    const { id } = await chat.conversations.createGroupConversation('a', { name: 'g', memberIds: [] });
    const m = await chat.messages.sendMessage('a', { conversationId: id, content: 'harbour lights' });
    expect((await chat.messages.searchMessages('a', 'harbour')).items.map((i) => i.message.id)).toEqual([m.id]);
    const n = await chat.messages.sendMessage('a', { conversationId: id, content: 'first words' });
    await chat.messages.editMessage(n.id, 'a', 'second words');
    expect((await chat.messages.searchMessages('a', 'first')).items).toEqual([]);
    expect((await chat.messages.searchMessages('a', 'second')).items.map((i) => i.message.id)).toEqual([n.id]);
    await chat.close();
  });

  it('any query text is safe (property)', async () => {
    const store = createSqliteStore();
    const chat = createChatServices({ store });
    const { id } = await chat.conversations.createGroupConversation('a', { name: 'g', memberIds: [] });
    await chat.messages.sendMessage('a', { conversationId: id, content: 'quotes " and \' and % and _ and * and NEAR( AND OR NOT: 🎉' });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), async (query) => {
        if (query.trim() === '') return;
        const result = await chat.messages.searchMessages('a', query);
        expect(result.total).toBeGreaterThanOrEqual(0);
        expect(await chat.messages.searchMessages('stranger', query)).toMatchObject({ total: 0 });
      }),
      { numRuns: 300 },
    );
    await chat.close();
  });
});

describe('SQLite store: indexes', () => {
  it('the hot queries use indexes, never a full scan of messages', () => {
    const store = createSqliteStore();
    const db = store.database;
    const plan = (sql: string, ...params: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
    const hidden = 'NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.message_id = m.id AND h.user_id = ?)';
    const queries = [
      [`SELECT * FROM messages m WHERE m.conversation_id = ? AND ${hidden} AND m.seq < ? ORDER BY m.seq DESC LIMIT 50`, 'c', 'u', 10],
      [`SELECT * FROM messages m WHERE m.conversation_id = ? AND ${hidden} AND m.seq > ? ORDER BY m.seq LIMIT 50`, 'c', 'u', 10],
      [`SELECT * FROM messages m WHERE m.conversation_id = ? AND m.changed = 1 AND m.seq <= ? AND m.version > ? ORDER BY m.version LIMIT 9`, 'c', 1, 1],
      ['SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ?', 'c', 's', 'k'],
      ['SELECT COUNT(*) FROM messages m WHERE m.conversation_id = ? AND m.seq > ? AND m.sender_id <> ?', 'c', 1, 'u'],
      ['SELECT conversation_id FROM members WHERE user_id = ?', 'u'],
      ["SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 5", 'now'],
      ['SELECT 1 FROM reactions WHERE message_id = ? AND emoji = ? LIMIT 1', 'm', 'e'],
    ] as const;
    // A full scan reads "SCAN <table or alias>" with no index after it.
    const fullScan = /(^|\| )SCAN \w+( |$)(?!USING)/;
    expect(plan('SELECT * FROM messages m WHERE m.content = ?', 'x'), 'the check itself sees a scan').toMatch(fullScan);
    for (const [sql, ...params] of queries) {
      const detail = plan(sql, ...params);
      expect(detail, sql).not.toMatch(fullScan);
      expect(detail, sql).toMatch(/USING (COVERING )?INDEX|USING PRIMARY KEY|USING INTEGER PRIMARY KEY/);
    }
    // Catch-up's changes come from the partial index of changed messages, which inserts do not pay for.
    expect(plan(`SELECT * FROM messages m WHERE m.conversation_id = ? AND m.changed = 1 AND m.seq <= ? AND m.version > ? ORDER BY m.version LIMIT 9`, 'c', 1, 1)).toMatch(/messages_changed/);
    db.close();
  });

  it('a message is marked changed by whatever moves its version, and only then', async () => {
    const store = createSqliteStore();
    const chat = createChatServices({ store });
    const { id } = await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] });
    const root = await chat.messages.sendMessage('ann', { conversationId: id, content: 'root' });
    const plain = await chat.messages.sendMessage('ben', { conversationId: id, content: 'plain' });
    const edited = await chat.messages.sendMessage('ben', { conversationId: id, content: 'edit me' });
    const reacted = await chat.messages.sendMessage('ben', { conversationId: id, content: 'react to me' });
    const deleted = await chat.messages.sendMessage('ben', { conversationId: id, content: 'delete me' });
    await chat.messages.sendMessage('ben', { conversationId: id, content: 'a reply', threadId: root.id });
    await chat.messages.editMessage(edited.id, 'ben', 'edited');
    await chat.messages.reactToMessage(reacted.id, 'ann', '👍');
    await chat.messages.deleteMessage(deleted.id, 'ben', true);
    const changed = (messageId: string) => (store.database.prepare('SELECT changed FROM messages WHERE id = ?').get(messageId) as { changed: number }).changed;
    expect([root, plain, edited, reacted, deleted].map((m) => changed(m.id))).toEqual([1, 0, 1, 1, 1]);
    await chat.close();
  });
});

describe('SQLite store: retention and erase leave no search rows behind', () => {
  it('the FTS table holds exactly the live messages after a purge and an erase', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    let now = Date.UTC(2026, 0, 1);
    const chat = createChatServices({ store, now: () => (now += 1) });
    const searchRows = () => (store.database.prepare('SELECT count(*) AS n FROM message_search').get() as { n: number }).n;
    const liveTexts = () =>
      (store.database.prepare(`SELECT count(*) AS n FROM messages WHERE deleted_for_everyone = 0 AND type <> 'system' AND content IS NOT NULL`).get() as { n: number }).n;
    const { id } = await chat.conversations.createGroupConversation('ann', { name: 'fts', memberIds: ['ben'] });
    await chat.retention.setConversationRetention(id, 60);
    for (let i = 0; i < 5; i++) await chat.messages.sendMessage(i % 2 ? 'ann' : 'ben', { conversationId: id, content: `old words ${i}` });
    now += 120_000;
    for (let i = 0; i < 4; i++) await chat.messages.sendMessage(i % 2 ? 'ann' : 'ben', { conversationId: id, content: `new words ${i}` });
    // Sends are indexed in a batch after their commit (SearchIndexer): let it catch up.
    await store.flushSearch();
    expect(searchRows()).toBe(9);
    expect((await chat.retention.runOnce()).removed).toBe(6);
    await store.flushSearch();
    expect(searchRows()).toBe(4);
    await chat.userData.eraseUserData('ann');
    await store.flushSearch();
    expect(searchRows()).toBe(2);
    expect(searchRows()).toBe(liveTexts());
    await chat.close();
  });
});
