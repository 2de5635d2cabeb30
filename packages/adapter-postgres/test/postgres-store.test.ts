import { createChatServices, newId } from '@parley/core';
import { markStoreFailure, storeFailureKind } from '@parley/core/adapter-kit';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { DATABASE_URL, describeWithService, postgresUnavailable } from '../../../test-support/services.js';
import { classifyPostgresFailure, createPostgresStore, LATEST_VERSION, MIGRATIONS } from '../src/index.js';
import { dropSchema, freshSchema, storeIn } from './helpers.js';

const unavailable = await postgresUnavailable();
const schemas: string[] = [];
const schema = (prefix: string) => {
  const name = freshSchema(prefix);
  schemas.push(name);
  return name;
};
afterAll(async () => {
  if (unavailable === null) for (const name of schemas) await dropSchema(name);
});

describeWithService('Postgres store: schema, values, connections', unavailable, () => {
  it('nodes starting at once migrate the schema once, under the advisory lock', async () => {
    const name = schema('migrate');
    const stores = Array.from({ length: 5 }, () => storeIn(name, 2));
    await Promise.all(stores.map((s) => s.init!()));
    const applied = await stores[0]!.pool.query(`SELECT version FROM "${name}".schema_migrations`);
    // Every migration, once (numbers may have gaps: branches are given their numbers ahead of merging).
    expect(applied.rows.map((r) => r.version).sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
    await Promise.all(stores.map((s) => s.init!())); // again: nothing to do
    for (const store of stores) await store.close!();
  });

  it('applies a migration numbered below the last one applied (branches merged out of order)', async () => {
    const name = schema('gap');
    const first = storeIn(name);
    await first.init!();
    // As a schema migrated by a Parley without pins and edit history (5) would be.
    await first.pool.query(`DROP TABLE "${name}".pins, "${name}".message_edits; DELETE FROM "${name}".schema_migrations WHERE version = 5`);
    await first.close!();
    const second = storeIn(name);
    await second.init!();
    const tables = await second.pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename IN ('pins', 'message_edits') ORDER BY tablename`, [name]);
    expect(tables.rows.map((r) => r.tablename)).toEqual(['message_edits', 'pins']);
    expect(await second.listPins('c1', '2026-01-01T00:00:00.000Z')).toEqual([]);
    await second.close!();
  });

  it('refuses a schema written by a newer Parley', async () => {
    const name = schema('newer');
    const first = storeIn(name);
    await first.init!();
    await first.pool.query(`INSERT INTO "${name}".schema_migrations (version, name) VALUES (999, 'from the future')`);
    await first.close!();
    const second = storeIn(name);
    await expect(second.init!()).rejects.toThrow(/newer than this Parley/);
    await second.close!();
  });

  it('hands back timestamps as ISO strings and counters as numbers', async () => {
    const store = storeIn(schema('values'));
    const chat = createChatServices({ store });
    const group = await chat.conversations.createGroupConversation('ann', { name: 'Types', memberIds: ['ben'] });
    const sent = await chat.messages.sendMessage('ben', { conversationId: group.id, content: 'hello', clientMessageId: 'k1' });
    const [fromList] = (await chat.conversations.getUserConversations('ann')).items;
    const page = await chat.messages.getChangesSince(group.id, 'ann', 0);
    for (const message of [sent, fromList!.lastMessage!, page.messages[1]!, (await chat.messages.getMessageById(sent.id, 'ann'))]) {
      expect(typeof message.seq).toBe('number');
      expect(typeof message.version).toBe('number');
      expect(message.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(message.createdAt).toBe(sent.createdAt);
    }
    expect(typeof fromList!.unreadCount).toBe('number');
    expect(fromList!.updatedAt).toBe(sent.createdAt);
    expect((await chat.conversations.getConversationStats('ann')).unreadMessages).toBe(1);
    await chat.close();
  });

  it('never ends a pool the host owns; ends its own', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const store = createPostgresStore({ pool, schema: schema('owned') });
    await store.init!();
    await store.close!();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await pool.end();
    const own = storeIn(schema('own'));
    await own.init!();
    await own.close!();
    expect(own.pool.ended).toBe(true);
  });

  it('a connection killed under the pool does not crash the process; the next call works', async () => {
    const name = schema('killed');
    const store = storeIn(name, 2);
    const chat = createChatServices({ store });
    const group = await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: [] });
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    // Every idle connection of the store's pool is terminated by the server.
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%${name}%' AND state = 'idle'`);
    await admin.end();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = await chat.messages.sendMessage('ann', { conversationId: group.id, content: 'still here' });
    expect(sent.seq).toBe(2);
    await chat.close();
  });

  it('search folds with unaccent: Vietnamese with and without diacritics, and ß, œ', async () => {
    const store = storeIn(schema('search'));
    const chat = createChatServices({ store });
    const group = await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: [] });
    for (const content of ['Tiếng Việt rất đẹp', 'Đường phố Hà Nội', 'Die Straße ist lang', 'Un cœur simple']) {
      await chat.messages.sendMessage('ann', { conversationId: group.id, content });
    }
    const find = async (text: string) => (await chat.messages.searchMessages('ann', text)).items.map((i) => i.message.content);
    expect(await find('tieng viet')).toEqual(['Tiếng Việt rất đẹp']);
    expect(await find('TIẾNG')).toEqual(['Tiếng Việt rất đẹp']);
    expect(await find('duong pho')).toEqual(['Đường phố Hà Nội']);
    expect(await find('ha no')).toEqual(['Đường phố Hà Nội']); // the last word as a prefix
    expect(await find('strasse')).toEqual(['Die Straße ist lang']);
    expect(await find('coeur')).toEqual(['Un cœur simple']);
    expect(await find("'ha':* | !")).toEqual(['Đường phố Hà Nội']); // operators are just text
    expect(await find("'); DROP TABLE messages; --")).toEqual([]);
    expect((await chat.messages.searchMessages('ann', 'nội')).total).toBe(1);
    await chat.close();
  });

  it('uses the GIN index for text search and the seq index for pages', async () => {
    const store = storeIn(schema('plans'));
    await store.init!();
    const explain = async (sql: string) =>
      (await store.pool.query(`SET enable_seqscan = off; EXPLAIN ${sql.replaceAll('{s}', `"${store.schema}"`)}`) as unknown as pg.QueryResult[])[1]!.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(await explain(`SELECT id FROM {s}.messages m WHERE m.search @@ to_tsquery('simple', 'hello:*')`)).toMatch(/message_search/);
    expect(await explain(`SELECT id FROM {s}.messages m WHERE m.conversation_id = 'c' AND m.seq > 10 ORDER BY m.seq LIMIT 50`)).toMatch(/messages_conversation_id_seq_key/);
    await store.close!();
  });
});

it('classifies pg failures: retry what did nothing, UNAVAILABLE when the database is gone, bugs stay bugs', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  expect(classifyPostgresFailure(pgError('40001'))).toBe('transient'); // serialization failure
  expect(classifyPostgresFailure(pgError('40P01'))).toBe('transient'); // deadlock
  expect(classifyPostgresFailure(pgError('ECONNREFUSED'))).toBe('transient');
  expect(classifyPostgresFailure(pgError('57P01'))).toBe('unavailable'); // admin shutdown
  expect(classifyPostgresFailure(pgError('08006'))).toBe('unavailable');
  expect(classifyPostgresFailure(pgError('ECONNRESET'))).toBe('unavailable');
  expect(classifyPostgresFailure(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
  expect(classifyPostgresFailure(pgError('23505'))).toBeUndefined(); // unique violation: a bug
  expect(classifyPostgresFailure(new RangeError('Maximum call stack size exceeded'))).toBeUndefined();
  expect(storeFailureKind(markStoreFailure(new Error(newId()), 'transient'))).toBe('transient');
});
