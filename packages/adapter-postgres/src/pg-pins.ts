import type { PinHistoryStoreMethods } from '@parley/core';
import { pinFromRow, type PinRow } from '@parley/core/adapter-kit';
import type { Database } from './database.js';
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from './rows.js';

const PIN_COLUMNS = 'p.message_id, p.conversation_id, p.pinned_by, p.pinned_at, p.expires_at';

/** Pins and edit history on Postgres. */
export function pgPins(db: Database): PinHistoryStoreMethods {
  return {
    async pinMessage(pin, maxPins) {
      return db.transaction(async (client) => {
        // Locks in the order every message change takes them — the message, then the
        // conversation — so a pin never deadlocks with an edit or a delete. The message's lock
        // keeps a delete for everyone out until this pin is written (the delete then removes it);
        // the conversation's serialises the pins of one conversation, so the cap holds.
        const message = await db.one<{ conversation_id: string; deleted_for_everyone: boolean }>(
          'SELECT conversation_id, deleted_for_everyone FROM {s}.messages WHERE id = $1 FOR SHARE',
          [pin.messageId],
          client,
        );
        if (message === undefined || message.conversation_id !== pin.conversationId || message.deleted_for_everyone) return { status: 'not_found' as const };
        await db.query('SELECT 1 FROM {s}.conversations WHERE id = $1 FOR UPDATE', [pin.conversationId], client);
        await db.query('DELETE FROM {s}.pins WHERE conversation_id = $1 AND expires_at <= $2', [pin.conversationId, pin.pinnedAt], client);
        const state = await db.one<{ pinned: boolean; n: number }>(
          'SELECT EXISTS (SELECT 1 FROM {s}.pins WHERE message_id = $1) AS pinned, (SELECT count(*) FROM {s}.pins WHERE conversation_id = $2) AS n',
          [pin.messageId, pin.conversationId],
          client,
        );
        const replaced = state!.pinned;
        if (!replaced && state!.n >= maxPins) return { status: 'limit' as const };
        await db.query(
          `INSERT INTO {s}.pins (message_id, conversation_id, pinned_by, pinned_at, expires_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (message_id) DO UPDATE SET pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at, expires_at = excluded.expires_at`,
          [pin.messageId, pin.conversationId, pin.pinnedBy, pin.pinnedAt, pin.expiresAt],
          client,
        );
        const row = await db.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = $1`, [pin.messageId], client);
        return { status: 'pinned' as const, pin: { ...pin, message: toMessage(row!) }, replaced };
      });
    },

    async unpinMessage(messageId, now) {
      const row = await db.one<PinRow & { in_force: boolean }>(
        `DELETE FROM {s}.pins p WHERE p.message_id = $1 RETURNING ${PIN_COLUMNS}, (p.expires_at IS NULL OR p.expires_at > $2) AS in_force`,
        [messageId, now],
      );
      return row === undefined || !row.in_force ? null : pinFromRow(row);
    },

    async listPins(conversationId, now) {
      const rows = await db.query<PinRow & MessageRow & { pin_conversation_id: string }>(
        `SELECT ${PIN_COLUMNS}, ${MESSAGE_COLUMNS} FROM {s}.pins p JOIN {s}.messages m ON m.id = p.message_id
         WHERE p.conversation_id = $1 AND (p.expires_at IS NULL OR p.expires_at > $2)
         ORDER BY p.pinned_at DESC, p.message_id DESC`,
        [conversationId, now],
      );
      return rows.map((row) => ({ ...pinFromRow(row), message: toMessage(row) }));
    },

    async listMessageHistory(messageId, offset, limit) {
      const rows = await db.query<{ content: string | null; created_at: string; replaced_at: string }>(
        'SELECT content, created_at, replaced_at FROM {s}.message_edits WHERE message_id = $1 ORDER BY id LIMIT $2 OFFSET $3',
        [messageId, limit, offset],
      );
      return rows.map((row) => ({ messageId, content: row.content, createdAt: row.created_at, replacedAt: row.replaced_at }));
    },
  };
}
