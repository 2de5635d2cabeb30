import type { Message, RetentionPurged, RetentionStoreMethods } from '@parley/core';
import { conversationFromRow, memberFromRow } from '@parley/core/adapter-kit';
import type { PoolClient } from 'pg';
import type { Database } from './database.js';
import { insertWebhookDeliveries } from './pg-webhooks.js';
import { MESSAGE_COLUMNS, messageFromJson, toMessage, type ConversationRow, type MemberRow, type MessageRow } from './rows.js';

const BUMP = 'UPDATE {s}.conversations SET version = version + 1 WHERE id = $1 RETURNING version';
/** The messages of one conversation with `$2 < seq <= $3`. */
const RANGE = 'SELECT id FROM {s}.messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3';

/**
 * Retention and a user's own data on Postgres. A retention pass locks the conversations it
 * works on (`FOR UPDATE SKIP LOCKED`: a conversation another runner or a send holds is left
 * for the next pass, never waited on), re-reads where their timeline starts under that lock,
 * and removes the expired prefix; reactions and hidden rows follow by cascade and the search
 * vector is a column of the row. An erase pass locks the user's messages it tombstones.
 */
export function pgRetention(db: Database): RetentionStoreMethods {
  const readMessage = async (id: string, on: PoolClient) => {
    const row = await db.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = $1`, [id], on);
    return toMessage(row!);
  };
  const bump = async (conversationId: string, messageId: string, on: PoolClient) => {
    const { version } = (await db.one<{ version: number }>(BUMP, [conversationId], on))!;
    await db.query('UPDATE {s}.messages SET version = $2 WHERE id = $1', [messageId, version], on);
  };

  return {
    async setConversationRetention(conversationId, seconds) {
      const row = await db.one<ConversationRow & { last_message: Record<string, unknown> | null }>(
        `WITH changed AS (UPDATE {s}.conversations SET retention_seconds = $2 WHERE id = $1 RETURNING *)
         SELECT c.*, (SELECT row_to_json(x) FROM (SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = c.last_message_id) x) AS last_message
         FROM changed c`,
        [conversationId, seconds],
      );
      return row === undefined ? null : conversationFromRow(row, row.last_message === null ? null : messageFromJson(row.last_message));
    },

    async purgeExpiredMessages({ now, defaultSeconds, limit }) {
      return db.transaction(async (client) => {
        const due = await db.query<{ id: string; purged: number; cutoff: string }>(
          `SELECT c.id, c.purged_through_seq AS purged,
                  $1::timestamptz - make_interval(secs => COALESCE(c.retention_seconds, $2::integer)) AS cutoff
           FROM {s}.conversations c
           WHERE COALESCE(c.retention_seconds, $2::integer) IS NOT NULL AND c.last_seq > c.purged_through_seq
             AND (SELECT m.created_at FROM {s}.messages m WHERE m.conversation_id = c.id AND m.seq > c.purged_through_seq ORDER BY m.seq LIMIT 1)
                 < $1::timestamptz - make_interval(secs => COALESCE(c.retention_seconds, $2::integer))
           ORDER BY c.id LIMIT $3
           FOR UPDATE OF c SKIP LOCKED`,
          [now, defaultSeconds, limit],
          client,
        );
        const purged: RetentionPurged[] = [];
        let budget = limit;
        for (const conversation of due) {
          if (budget <= 0) break;
          // Under the lock: the expired prefix of what is left, at most `budget` long.
          const rows = await db.query<{ seq: number; created_at: string }>(
            'SELECT seq, created_at FROM {s}.messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
            [conversation.id, conversation.purged, budget],
            client,
          );
          let count = 0;
          while (count < rows.length && rows[count]!.created_at < conversation.cutoff) count += 1;
          if (count === 0) continue;
          const through = rows[count - 1]!.seq;
          const range = [conversation.id, conversation.purged, through];
          await db.query(`UPDATE {s}.attachments SET status = 'purging', purge_lease_until = NULL WHERE status <> 'purging' AND message_id IN (${RANGE})`, range, client);
          await db.query(`DELETE FROM {s}.outbox WHERE message_id IN (${RANGE})`, range, client);
          const removed = (await db.query<{ id: string }>('DELETE FROM {s}.messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 RETURNING id', range, client)).length;
          await db.query(
            `UPDATE {s}.conversations SET purged_through_seq = $2,
               last_message_id = CASE WHEN EXISTS (SELECT 1 FROM {s}.messages WHERE id = last_message_id) THEN last_message_id ELSE NULL END
             WHERE id = $1`,
            [conversation.id, through],
            client,
          );
          budget -= removed;
          purged.push({ conversationId: conversation.id, removed, truncatedBefore: through + 1 });
        }
        return purged;
      });
    },

    async acquireJobLease(job, holder, now, leaseMs) {
      const row = await db.one(
        `INSERT INTO {s}.job_leases (job, holder, lease_until) VALUES ($1, $2, $3::timestamptz + make_interval(secs => $4::double precision / 1000))
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
         WHERE {s}.job_leases.holder = excluded.holder OR {s}.job_leases.lease_until <= $3::timestamptz
         RETURNING holder`,
        [job, holder, now, leaseMs],
      );
      return row !== undefined;
    },

    async releaseJobLease(job, holder) {
      await db.query('DELETE FROM {s}.job_leases WHERE job = $1 AND holder = $2', [job, holder]);
    },

    async listUserMessages(userId, after, limit) {
      // Two texts rather than one with `$2 IS NULL OR …`, so each pages on messages_by_sender.
      const rows =
        after === null
          ? await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.sender_id = $1 ORDER BY m.created_at, m.id LIMIT $2`, [userId, limit])
          : await db.query<MessageRow>(
              `SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m
               WHERE m.sender_id = $1 AND (m.created_at, m.id) > ($2::timestamptz, $3::text COLLATE "C")
               ORDER BY m.created_at, m.id LIMIT $4`,
              [userId, after.createdAt, after.id, limit],
            );
      return rows.map(toMessage);
    },

    async listUserReactions(userId, after, limit) {
      const rows = await db.query<{ message_id: string; conversation_id: string; emoji: string; created_at: string }>(
        `SELECT r.message_id, m.conversation_id, r.emoji, r.created_at FROM {s}.reactions r JOIN {s}.messages m ON m.id = r.message_id
         WHERE r.user_id = $1 AND ($2::text IS NULL OR (r.message_id, r.emoji) > ($2::text COLLATE "C", $3::text COLLATE "C"))
         ORDER BY r.message_id, r.emoji LIMIT $4`,
        [userId, after?.messageId ?? null, after?.emoji ?? null, limit],
      );
      return rows.map((r) => ({ messageId: r.message_id, conversationId: r.conversation_id, emoji: r.emoji, createdAt: r.created_at }));
    },

    async listUserMemberships(userId) {
      return (await db.query<MemberRow>('SELECT * FROM {s}.members WHERE user_id = $1 ORDER BY conversation_id', [userId])).map(memberFromRow);
    },

    async eraseUserData(userId, at, limit, webhooks) {
      return db.transaction(async (client) => {
        const live = await db.query<{ id: string; conversation_id: string }>(
          'SELECT id, conversation_id FROM {s}.messages WHERE sender_id = $1 AND NOT deleted_for_everyone ORDER BY id LIMIT $2 FOR UPDATE',
          [userId, limit + 1],
          client,
        );
        const tombstoned: Message[] = [];
        for (const row of live.slice(0, limit)) {
          await db.query(
            `UPDATE {s}.messages SET content = NULL, attachments = '[]', metadata = NULL, deleted_at = $2, deleted_for_everyone = true WHERE id = $1`,
            [row.id, at],
            client,
          );
          await db.query('DELETE FROM {s}.reactions WHERE message_id = $1', [row.id], client);
          await bump(row.conversation_id, row.id, client);
          const tombstone = await readMessage(row.id, client);
          tombstoned.push(tombstone);
          if (webhooks !== undefined) await insertWebhookDeliveries(db, client, webhooks(tombstone));
        }
        const mine = await db.query<{ id: number; message_id: string; emoji: string; conversation_id: string }>(
          `SELECT r.id, r.message_id, r.emoji, m.conversation_id FROM {s}.reactions r JOIN {s}.messages m ON m.id = r.message_id
           WHERE r.user_id = $1 ORDER BY r.message_id, r.emoji LIMIT $2 FOR UPDATE OF r`,
          [userId, limit + 1],
          client,
        );
        const byMessage = new Map<string, { conversationId: string; emoji: string[] }>();
        for (const r of mine.slice(0, limit)) {
          await db.query('DELETE FROM {s}.reactions WHERE id = $1', [r.id], client);
          const entry = byMessage.get(r.message_id) ?? { conversationId: r.conversation_id, emoji: [] };
          entry.emoji.push(r.emoji);
          byMessage.set(r.message_id, entry);
        }
        const unreacted: Array<{ message: Message; emoji: string[] }> = [];
        for (const [messageId, { conversationId, emoji }] of byMessage) {
          await bump(conversationId, messageId, client);
          unreacted.push({ message: await readMessage(messageId, client), emoji });
        }
        await db.query('UPDATE {s}.members SET last_read_seq = 0, last_read_at = NULL WHERE user_id = $1', [userId], client);
        await db.query('DELETE FROM {s}.outbox WHERE message_id IN (SELECT id FROM {s}.messages WHERE sender_id = $1)', [userId], client);
        await db.query(`UPDATE {s}.attachments SET status = 'purging', purge_lease_until = NULL WHERE uploader_id = $1 AND status <> 'purging'`, [userId], client);
        return { tombstoned, unreacted, done: live.length <= limit && mine.length <= limit };
      });
    },
  };
}
