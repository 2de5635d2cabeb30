import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { ServerConfig } from '../ipc.js';
import { BASELINE_SCHEMA, baselinePragmas } from './contract.js';

/**
 * The baselines' database, the only part of the raw relay and the Socket.IO baseline that
 * depends on `--store`: the one-table schema of `contract.ts`, in a SQLite file
 * (better-sqlite3, synchronous) or in a fresh Postgres schema (one `pg` connection).
 *
 * One connection, as SQLite has one writer: statements run and finish in the order they were
 * issued, so a conversation's messages are acknowledged and relayed in seq order. (With a
 * pool, two inserts of one group could commit the other way round and reach the members out
 * of order.)
 */

export interface BaselineMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  content: string;
  clientMessageId: string | null;
  createdAt: string;
}

export interface BaselineConversation {
  id: string;
  type: string;
  members: string[];
}

export interface BaselineDb {
  /** Stores the conversations and their members in one transaction, made cheap (not measured). */
  createConversations(conversations: BaselineConversation[]): Promise<void>;
  /**
   * One INSERT in its own transaction (the Socket.IO baseline). SQLite returns once it is
   * committed (undefined); Postgres returns a promise that settles then.
   */
  insertOne(message: BaselineMessage): void | Promise<void>;
  /** One transaction for the batch (the raw relay): a transaction of single-row INSERTs in SQLite, ONE multi-row INSERT in Postgres. */
  insertBatch(messages: BaselineMessage[]): void | Promise<void>;
  close(): Promise<void>;
}

const INSERT_ONE = 'INSERT INTO messages (id, conversation_id, seq, sender_id, content, client_message_id, created_at) VALUES';

export async function openBaselineDb(config: ServerConfig): Promise<BaselineDb> {
  return config.store === 'postgres' ? openPostgres(config) : openSqlite(config);
}

function openSqlite(config: ServerConfig): BaselineDb {
  if (config.durability === 'pg') throw new Error('SQLite runs need a durability of FULL or NORMAL');
  const durability = config.durability;
  const db = new BetterSqlite3(config.filename);
  baselinePragmas(db, durability);
  db.exec(BASELINE_SCHEMA);
  const insert = db.prepare(`${INSERT_ONE} (?, ?, ?, ?, ?, ?, ?)`);
  const insertConversation = db.prepare('INSERT INTO conversations (id, type, created_at) VALUES (?, ?, ?)');
  const insertMember = db.prepare('INSERT INTO members (conversation_id, user_id) VALUES (?, ?)');
  const run = (m: BaselineMessage) => insert.run(m.id, m.conversationId, m.seq, m.senderId, m.content, m.clientMessageId, m.createdAt);
  const batch = db.transaction((messages: BaselineMessage[]) => {
    for (const m of messages) run(m);
  });
  return {
    async createConversations(conversations) {
      // One transaction: one fsync at FULL, so setup is cheap without lowering `synchronous`.
      db.transaction(() => {
        for (const c of conversations) {
          insertConversation.run(c.id, c.type, new Date().toISOString());
          for (const user of c.members) insertMember.run(c.id, user);
        }
      })();
    },
    insertOne(message) {
      run(message);
    },
    insertBatch(messages) {
      batch.immediate(messages);
    },
    async close() {
      db.close();
    },
  };
}

async function openPostgres(config: ServerConfig): Promise<BaselineDb> {
  const { databaseUrl, schema } = config;
  if (databaseUrl === undefined || schema === undefined) throw new Error('a Postgres run needs databaseUrl and schema');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  // Created here, dropped by the runner once the server has stopped.
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await client.query(`SET search_path TO "${schema}"`);
  await client.query(BASELINE_SCHEMA);
  const { rows } = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  if (rows[0]?.synchronous_commit !== 'on') throw new Error(`synchronous_commit is ${rows[0]?.synchronous_commit} on this server; the bench compares at Postgres's default, on`);
  const columns = (messages: BaselineMessage[]) => [
    messages.map((m) => m.id),
    messages.map((m) => m.conversationId),
    messages.map((m) => m.seq),
    messages.map((m) => m.senderId),
    messages.map((m) => m.content),
    messages.map((m) => m.clientMessageId),
    messages.map((m) => m.createdAt),
  ];
  return {
    async createConversations(conversations) {
      // Setup is not measured: its one commit need not wait for the WAL flush.
      await client.query('BEGIN');
      try {
        await client.query('SET LOCAL synchronous_commit = off');
        const at = new Date().toISOString();
        await client.query('INSERT INTO conversations (id, type, created_at) SELECT id, type, $3 FROM unnest($1::text[], $2::text[]) AS c(id, type)', [
          conversations.map((c) => c.id),
          conversations.map((c) => c.type),
          at,
        ]);
        const members = conversations.flatMap((c) => c.members.map((user) => [c.id, user] as const));
        await client.query('INSERT INTO members (conversation_id, user_id) SELECT * FROM unnest($1::text[], $2::text[])', [members.map((m) => m[0]), members.map((m) => m[1])]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    async insertOne(m) {
      // No BEGIN: the statement is its own transaction, committed (and flushed) before it answers.
      await client.query({ name: 'insert_one', text: `${INSERT_ONE} ($1, $2, $3, $4, $5, $6, $7)`, values: [m.id, m.conversationId, m.seq, m.senderId, m.content, m.clientMessageId, m.createdAt] });
    },
    async insertBatch(messages) {
      // One statement for the whole batch, its own transaction: one commit, one WAL flush.
      await client.query({
        name: 'insert_batch',
        text: `${INSERT_ONE.replace(' VALUES', '')} SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[])`,
        values: columns(messages),
      });
    },
    async close() {
      await client.end();
    },
  };
}
