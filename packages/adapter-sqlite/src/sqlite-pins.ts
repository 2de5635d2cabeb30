import type { PinHistoryStoreMethods, PinOutcome, PinRecord } from '@parley/core';
import { pinFromRow, type PinRow } from '@parley/core/adapter-kit';
import type { MessageRow } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

/** Pins and edit history on SQLite. Pinning runs in one IMMEDIATE transaction, so the cap holds for every connection to the file. */
export function sqlitePins(context: SqliteContext): PinHistoryStoreMethods {
  const { db, reactions } = context;
  const q = {
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    dropExpired: db.prepare('DELETE FROM pins WHERE conversation_id = ? AND expires_at IS NOT NULL AND expires_at <= ?'),
    pinned: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM pins WHERE message_id = ?'),
    count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM pins WHERE conversation_id = ?'),
    upsert: db.prepare(
      `INSERT INTO pins (message_id, conversation_id, pinned_by, pinned_at, expires_at) VALUES (@messageId, @conversationId, @pinnedBy, @pinnedAt, @expiresAt)
       ON CONFLICT (message_id) DO UPDATE SET pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at, expires_at = excluded.expires_at`,
    ),
    unpin: db.prepare<[string], PinRow>('DELETE FROM pins WHERE message_id = ? RETURNING *'),
    list: db.prepare<[string, string], PinRow>(
      `SELECT p.* FROM pins p
       WHERE p.conversation_id = ? AND (p.expires_at IS NULL OR p.expires_at > ?)
       ORDER BY p.pinned_at DESC, p.message_id DESC`,
    ),
    messages: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id IN (SELECT value FROM json_each(?))'),
    history: db.prepare<[string, number, number], { content: string | null; created_at: string; replaced_at: string }>(
      'SELECT content, created_at, replaced_at FROM message_edits WHERE message_id = ? ORDER BY id LIMIT ? OFFSET ?',
    ),
  };

  const pin = db.transaction((record: PinRecord, maxPins: number): PinOutcome => {
    const row = q.message.get(record.messageId);
    if (row === undefined || row.conversation_id !== record.conversationId || row.deleted_for_everyone === 1) return { status: 'not_found' };
    q.dropExpired.run(record.conversationId, record.pinnedAt);
    const replaced = q.pinned.get(record.messageId) !== undefined;
    if (!replaced && q.count.get(record.conversationId)!.n >= maxPins) return { status: 'limit' };
    q.upsert.run(record);
    return { status: 'pinned', pin: { ...record, message: reactions.message(row)! }, replaced };
  });

  return {
    async pinMessage(record, maxPins) {
      return pin.immediate(record, maxPins);
    },

    async unpinMessage(messageId, now) {
      const row = q.unpin.get(messageId);
      return row === undefined || (row.expires_at !== null && row.expires_at <= now) ? null : pinFromRow(row);
    },

    async listPins(conversationId, now) {
      return db.transaction(() => {
        const pins = q.list.all(conversationId, now);
        const messages = new Map(reactions.messages(q.messages.all(JSON.stringify(pins.map((p) => p.message_id)))).map((m) => [m.id, m]));
        return pins.map((row) => ({ ...pinFromRow(row), message: messages.get(row.message_id)! }));
      })();
    },

    async listMessageHistory(messageId, offset, limit) {
      return q.history.all(messageId, limit, offset).map((row) => ({ messageId, content: row.content, createdAt: row.created_at, replacedAt: row.replaced_at }));
    },
  };
}
