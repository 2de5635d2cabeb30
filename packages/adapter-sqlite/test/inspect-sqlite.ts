import type { StoreInspector } from '@parley/core/testing';
import type { Database } from 'better-sqlite3';

interface Row {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  content: string | null;
  attachments: string;
  deleted_for_everyone: number;
  version: number;
}

const toRaw = (r: Row) => ({
  id: r.id,
  conversationId: r.conversation_id,
  seq: r.seq,
  senderId: r.sender_id,
  content: r.content,
  attachmentCount: (JSON.parse(r.attachments) as unknown[]).length,
  deletedForEveryone: r.deleted_for_everyone === 1,
  version: r.version,
});

/** Reads the tables directly, around the adapter, for the conformance kit's raw-row checks. */
export function inspectSqlite(db: Database): StoreInspector {
  return {
    async messageRow(id) {
      const row = db.prepare('SELECT * FROM messages WHERE id = ?').get(id) as Row | undefined;
      return row === undefined ? null : toRaw(row);
    },
    async messageRows(conversationId) {
      return (db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq').all(conversationId) as Row[]).map(toRaw);
    },
    async memberRow(conversationId, userId) {
      const row = db.prepare('SELECT role, last_read_seq FROM members WHERE conversation_id = ? AND user_id = ?').get(conversationId, userId) as
        | { role: string; last_read_seq: number }
        | undefined;
      return row === undefined ? null : { role: row.role, lastReadSeq: row.last_read_seq };
    },
    async webhookRows() {
      return db.prepare('SELECT id, event_id AS eventId, endpoint_id AS endpointId, status, attempts FROM webhook_deliveries ORDER BY id').all() as Array<{
        id: string;
        eventId: string;
        endpointId: string;
        status: string;
        attempts: number;
      }>;
    },
    async outboxCount() {
      return (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
    },
    async reactionCount(messageId) {
      return (db.prepare('SELECT COUNT(*) AS n FROM reactions WHERE message_id = ?').get(messageId) as { n: number }).n;
    },
    async editCount(messageId) {
      return (db.prepare('SELECT COUNT(*) AS n FROM message_edits WHERE message_id = ?').get(messageId) as { n: number }).n;
    },
    async pinCount(conversationId) {
      return (db.prepare('SELECT COUNT(*) AS n FROM pins WHERE conversation_id = ?').get(conversationId) as { n: number }).n;
    },
  };
}
