import type { StoreInspector } from '@parley/core/testing';
import pg from 'pg';
import { DATABASE_URL } from '../../../test-support/services.js';
import { createPostgresStore, type PostgresStore } from '../src/index.js';

/** A schema name no other test uses. */
export function freshSchema(prefix = 't'): string {
  return `parley_${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export function storeIn(schema: string, maxConnections = 4): PostgresStore {
  return createPostgresStore({ connectionString: DATABASE_URL, schema, maxConnections });
}

/** Drops a test's schema with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

interface Row {
  id: string;
  conversation_id: string;
  seq: string;
  sender_id: string;
  content: string | null;
  attachments: unknown[];
  deleted_for_everyone: boolean;
  version: string;
}

const toRaw = (r: Row) => ({
  id: r.id,
  conversationId: r.conversation_id,
  seq: Number(r.seq),
  senderId: r.sender_id,
  content: r.content,
  attachmentCount: r.attachments.length,
  deletedForEveryone: r.deleted_for_everyone,
  version: Number(r.version),
});

/** Reads the tables directly, around the adapter, for the conformance kit's raw-row checks. */
export function inspectPostgres(store: PostgresStore): StoreInspector {
  const s = `"${store.schema}"`;
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await store.pool.query<R>(text.replaceAll('{s}', s), values)).rows;
  return {
    async messageRow(id) {
      const [row] = await q<Row>('SELECT * FROM {s}.messages WHERE id = $1', [id]);
      return row === undefined ? null : toRaw(row);
    },
    async messageRows(conversationId) {
      return (await q<Row>('SELECT * FROM {s}.messages WHERE conversation_id = $1 ORDER BY seq', [conversationId])).map(toRaw);
    },
    async memberRow(conversationId, userId) {
      const [row] = await q<{ role: string; last_read_seq: string }>('SELECT role, last_read_seq FROM {s}.members WHERE conversation_id = $1 AND user_id = $2', [conversationId, userId]);
      return row === undefined ? null : { role: row.role, lastReadSeq: Number(row.last_read_seq) };
    },
    async webhookRows() {
      return q<{ id: string; eventId: string; endpointId: string; status: string; attempts: number }>(
        'SELECT id, event_id AS "eventId", endpoint_id AS "endpointId", status, attempts FROM {s}.webhook_deliveries ORDER BY id',
      );
    },
    async outboxCount() {
      return Number((await q<{ n: string }>('SELECT count(*) AS n FROM {s}.outbox'))[0]!.n);
    },
    async reactionCount(messageId) {
      return Number((await q<{ n: string }>('SELECT count(*) AS n FROM {s}.reactions WHERE message_id = $1', [messageId]))[0]!.n);
    },
    async editCount(messageId) {
      return Number((await q<{ n: string }>('SELECT count(*) AS n FROM {s}.message_edits WHERE message_id = $1', [messageId]))[0]!.n);
    },
    async pinCount(conversationId) {
      return Number((await q<{ n: string }>('SELECT count(*) AS n FROM {s}.pins WHERE conversation_id = $1', [conversationId]))[0]!.n);
    },
  };
}
