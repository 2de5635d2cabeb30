import type { InsertResult, MessageStoreMethods, NewMessage, ReactionChange } from '@parley/core';
import { insertedMessage, unreadCondition } from '@parley/core/adapter-kit';
import type { Database } from './database.js';
import { insertWebhookDeliveries } from './pg-webhooks.js';
import { PURGE_ATTACHMENTS } from './pg-attachments.js';
import { changesSince, messagePage, TIMELINE } from './pg-reads.js';
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from './rows.js';

const VISIBLE_TO = (viewer: string) => `NOT EXISTS (SELECT 1 FROM {s}.hidden_messages h WHERE h.message_id = m.id AND h.user_id = ${viewer})`;
const BUMP = 'UPDATE {s}.conversations SET version = version + 1 WHERE id = $1 RETURNING version';

const keyOf = (m: NewMessage) => (m.clientMessageId === null ? null : JSON.stringify([m.conversationId, m.senderId, m.clientMessageId]));

/** Messages, reactions and read state on Postgres. */
export function pgMessages(db: Database): MessageStoreMethods {
  const readMessage = async (id: string, on?: Parameters<Database['query']>[2]) => {
    const row = await db.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = $1`, [id], on);
    return row === undefined ? null : toMessage(row);
  };

  /** The stored function settles the batch in one round trip; this sends it and reads the answers. */
  const insertUnique = async (batch: NewMessage[], on?: Parameters<Database['query']>[2]): Promise<InsertResult[]> => {
    const rows = await db.query<{
      r_ord: number;
      r_status: 'created' | 'duplicate' | 'refused' | 'refused_attachment';
      r_id: string | null;
      r_seq: number | null;
      r_version: number | null;
      r_reply_count: number | null;
      r_last_reply_at: string | null;
      r_participants: string[] | null;
    }>(
      'SELECT * FROM {s}.insert_messages($1, $2, $3, $4, $5, $6, $7::jsonb[], $8::jsonb[], $9, $10::timestamptz[], $11, $12::text[], $13::boolean[], $14::jsonb[], $15::boolean[])',
      [
        batch.map((m) => m.id),
        batch.map((m) => m.conversationId),
        batch.map((m) => m.senderId),
        batch.map((m) => m.type),
        batch.map((m) => m.content),
        batch.map((m) => m.replyToId),
        batch.map((m) => JSON.stringify(m.attachments)),
        batch.map((m) => (m.metadata === null ? null : JSON.stringify(m.metadata))),
        batch.map((m) => m.clientMessageId),
        batch.map((m) => m.createdAt),
        batch.map((m) => m.notify),
        batch.map((m) => m.threadId ?? null),
        batch.map((m) => m.alsoToConversation === true),
        batch.map((m) => JSON.stringify(m.mentions ?? [])),
        batch.map((m) => m.mentionEveryone === true),
      ],
      on,
    );
    const duplicates = rows.filter((r) => r.r_status === 'duplicate').map((r) => r.r_id!);
    const stored = new Map(
      duplicates.length === 0
        ? []
        : (await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = ANY ($1::text[])`, [duplicates], on)).map((r) => [r.id, toMessage(r)]),
    );
    return rows.map((row): InsertResult => {
      const input = batch[row.r_ord - 1]!;
      if (row.r_status === 'refused') return { status: 'refused', message: null, reason: 'not_member' };
      if (row.r_status === 'refused_attachment') return { status: 'refused', message: null, reason: 'attachment' };
      if (row.r_status === 'duplicate') return { status: 'duplicate', message: stored.get(row.r_id!)! };
      const message = insertedMessage(input, row.r_seq!, row.r_version!);
      if (row.r_reply_count === null) return { status: 'created', message };
      return { status: 'created', message, thread: { replyCount: row.r_reply_count, lastReplyAt: row.r_last_reply_at, participantIds: row.r_participants ?? [] } };
    });
  };

  return {
    async insertMessages(batch) {
      if (batch.length === 0) return [];
      // A key repeated within the batch (a resend made before the first was stored) is
      // answered by the first one's outcome.
      const firstOfKey = new Map<string, number>();
      const unique: NewMessage[] = [];
      const slot = batch.map((m) => {
        const key = keyOf(m);
        const first = key === null ? undefined : firstOfKey.get(key);
        if (first !== undefined) return -1 - first;
        if (key !== null) firstOfKey.set(key, unique.length);
        unique.push(m);
        return unique.length - 1;
      });
      // With webhooks, the stored function and the delivery rows share one transaction.
      const results = unique.some((m) => m.webhooks !== undefined)
        ? await db.transaction(async (client) => {
            const inserted = await insertUnique(unique, client);
            const rows = inserted.flatMap((result, i) => (result.status === 'created' ? (unique[i]!.webhooks?.(result.message) ?? []) : []));
            await insertWebhookDeliveries(db, client, rows);
            return inserted;
          })
        : await insertUnique(unique);
      return slot.map((i): InsertResult => {
        if (i >= 0) return results[i]!;
        const first = results[-1 - i]!;
        return first.status === 'refused' ? first : { status: 'duplicate', message: first.message };
      });
    },

    async getMessageByClientId(conversationId, senderId, clientMessageId) {
      const row = await db.one<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3`,
        [conversationId, senderId, clientMessageId],
      );
      return row === undefined ? null : toMessage(row);
    },

    async getMessage(messageId, viewerId) {
      const row =
        viewerId === undefined
          ? await db.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = $1`, [messageId])
          : await db.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = $1 AND ${VISIBLE_TO('$2')}`, [messageId, viewerId]);
      return row === undefined ? null : toMessage(row);
    },

    async listMessages(conversationId, viewerId, range) {
      return messagePage(db, conversationId, viewerId, range, TIMELINE);
    },

    async updateMessageContent(messageId, content, editedAt, webhooks) {
      return db.transaction(async (client) => {
        // The row lock orders this edit with every other change of the message, so the text
        // kept in the history is exactly the one this edit replaces.
        const before = await db.one<{ content: string | null; written_at: string }>(
          'SELECT content, COALESCE(edited_at, created_at) AS written_at FROM {s}.messages WHERE id = $1 AND NOT deleted_for_everyone FOR UPDATE',
          [messageId],
          client,
        );
        if (before === undefined) return null;
        const row = await db.one<{ conversation_id: string }>(
          'UPDATE {s}.messages SET content = $2, edited_at = $3 WHERE id = $1 RETURNING conversation_id',
          [messageId, content, editedAt],
          client,
        );
        if (row === undefined) return null;
        await db.query(
          'INSERT INTO {s}.message_edits (message_id, content, created_at, replaced_at) VALUES ($1, $2, $3, $4)',
          [messageId, before.content, before.written_at, editedAt],
          client,
        );
        await bump(row.conversation_id, messageId, client);
        const edited = await readMessage(messageId, client);
        if (edited !== null && webhooks !== undefined) await insertWebhookDeliveries(db, client, webhooks(edited));
        return edited;
      });
    },

    async deleteMessageForEveryone(messageId, deletedAt, webhooks) {
      return db.transaction(async (client) => {
        const row = await db.one<{ conversation_id: string; deleted_for_everyone: boolean }>(
          'SELECT conversation_id, deleted_for_everyone FROM {s}.messages WHERE id = $1 FOR UPDATE',
          [messageId],
          client,
        );
        if (row === undefined) return null;
        if (!row.deleted_for_everyone) {
          await db.query(
            `UPDATE {s}.messages SET content = NULL, attachments = '[]', metadata = NULL, deleted_at = $2, deleted_for_everyone = true WHERE id = $1`,
            [messageId, deletedAt],
            client,
          );
          await db.query('DELETE FROM {s}.reactions WHERE message_id = $1', [messageId], client);
          await db.query('DELETE FROM {s}.message_edits WHERE message_id = $1', [messageId], client);
          await db.query('DELETE FROM {s}.pins WHERE message_id = $1', [messageId], client);
          await db.query(PURGE_ATTACHMENTS('message_id'), [messageId], client);
          await bump(row.conversation_id, messageId, client);
          if (webhooks !== undefined) await insertWebhookDeliveries(db, client, webhooks((await readMessage(messageId, client))!));
        }
        return readMessage(messageId, client);
      });
    },

    async hideMessageForUser(messageId, userId) {
      return db.transaction(async (client) => {
        const row = await db.one<{ conversation_id: string }>('SELECT conversation_id FROM {s}.messages WHERE id = $1', [messageId], client);
        if (row === undefined) return null;
        // The conversation's row lock orders this bump with every other change of the
        // conversation; the next statement then reads its version as it now stands.
        await db.query('SELECT 1 FROM {s}.conversations WHERE id = $1 FOR UPDATE', [row.conversation_id], client);
        const bumped = await db.one<{ version: number }>(
          `WITH hidden AS (
             INSERT INTO {s}.hidden_messages (message_id, user_id, version)
             SELECT $1, $2, c.version + 1 FROM {s}.conversations c WHERE c.id = $3
             ON CONFLICT DO NOTHING RETURNING version
           )
           UPDATE {s}.conversations c SET version = h.version FROM hidden h WHERE c.id = $3 RETURNING c.version`,
          [messageId, userId, row.conversation_id],
          client,
        );
        return bumped === undefined ? null : { version: bumped.version };
      });
    },

    async changeReaction(messageId, userId, emoji, at, decide): Promise<ReactionChange> {
      return db.transaction(async (client) => {
        // The message's row lock makes the read and the write one step for every node. It is
        // taken first, on its own: a statement that waited for a lock still reads the rest of
        // the data as it was when it began, so the state is read by the next statement.
        await db.query('SELECT 1 FROM {s}.messages WHERE id = $1 FOR UPDATE', [messageId], client);
        const row = await db.one<{ conversation_id: string; deleted_for_everyone: boolean; mine: string | null; emoji_used: boolean; distinct_emoji: number }>(
          `SELECT m.conversation_id, m.deleted_for_everyone,
                  (SELECT id::text FROM {s}.reactions WHERE message_id = m.id AND user_id = $2 AND emoji = $3) AS mine,
                  EXISTS (SELECT 1 FROM {s}.reactions WHERE message_id = m.id AND emoji = $3) AS emoji_used,
                  (SELECT count(DISTINCT emoji) FROM {s}.reactions WHERE message_id = m.id) AS distinct_emoji
           FROM {s}.messages m WHERE m.id = $1`,
          [messageId, userId, emoji],
          client,
        );
        if (row === undefined) {
          decide(null);
          return { action: 'unchanged', message: null };
        }
        const verdict = decide({ deletedForEveryone: row.deleted_for_everyone, mine: row.mine !== null, emojiUsed: row.emoji_used, distinctEmoji: row.distinct_emoji });
        if (verdict === 'add' && row.mine === null) {
          await db.query('INSERT INTO {s}.reactions (message_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4)', [messageId, userId, emoji, at], client);
          await bump(row.conversation_id, messageId, client);
          return { action: 'added', message: await readMessage(messageId, client) };
        }
        if (verdict === 'remove' && row.mine !== null) {
          await db.query('DELETE FROM {s}.reactions WHERE id = $1', [row.mine], client);
          await bump(row.conversation_id, messageId, client);
          return { action: 'removed', message: await readMessage(messageId, client) };
        }
        return { action: 'unchanged', message: await readMessage(messageId, client) };
      });
    },

    async markRead(conversationId, userId, upToSeq, at) {
      // One statement: lock the member's row, move it forward only, count what it covered.
      const row = await db.one<{ before: number; after: number; marked: number }>(
        `WITH current AS (
           SELECT mb.last_read_seq AS before, LEAST(COALESCE($3::bigint, c.last_seq), c.last_seq) AS target
           FROM {s}.members mb JOIN {s}.conversations c ON c.id = mb.conversation_id
           WHERE mb.conversation_id = $1 AND mb.user_id = $2 FOR UPDATE OF mb
         ),
         moved AS (
           UPDATE {s}.members mb SET last_read_seq = cur.target, last_read_at = $4
           FROM current cur WHERE mb.conversation_id = $1 AND mb.user_id = $2 AND cur.target > cur.before
           RETURNING mb.last_read_seq
         )
         SELECT cur.before, COALESCE((SELECT last_read_seq FROM moved), cur.before) AS after,
                (SELECT count(*) FROM {s}.messages m WHERE m.conversation_id = $1 AND m.seq > cur.before AND m.seq <= cur.target
                   AND EXISTS (SELECT 1 FROM moved)
                   AND ${unreadCondition({ message: 'm', viewer: '$2', falseValue: 'false', hiddenTable: '{s}.hidden_messages' })}) AS marked
         FROM current cur`,
        [conversationId, userId, upToSeq, at],
      );
      if (row === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
      return { previousReadSeq: row.before, lastReadSeq: row.after, markedCount: row.marked };
    },

    async setReadPosition(conversationId, userId, seq, at) {
      const row = await db.one<{ before: number; after: number }>(
        `WITH current AS (
           SELECT mb.last_read_seq AS before, GREATEST(0, LEAST($3::bigint, c.last_seq)) AS target
           FROM {s}.members mb JOIN {s}.conversations c ON c.id = mb.conversation_id
           WHERE mb.conversation_id = $1 AND mb.user_id = $2 FOR UPDATE OF mb
         )
         UPDATE {s}.members mb SET last_read_seq = cur.target, last_read_at = $4
         FROM current cur WHERE mb.conversation_id = $1 AND mb.user_id = $2
         RETURNING cur.before, mb.last_read_seq AS after`,
        [conversationId, userId, seq, at],
      );
      return row === undefined ? { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 } : { previousReadSeq: row.before, lastReadSeq: row.after, markedCount: 0 };
    },

    async getChangesSince(conversationId, viewerId, since, limit) {
      return changesSince(db, conversationId, viewerId, since, limit);
    },
  };

  async function bump(conversationId: string, messageId: string, client: Parameters<Database['query']>[2]): Promise<void> {
    const { version } = (await db.one<{ version: number }>(BUMP, [conversationId], client))!;
    await db.query('UPDATE {s}.messages SET version = $2 WHERE id = $1', [messageId, version], client);
  }
}

