import type { Message, RetentionPurged, RetentionStoreMethods, UserReaction, WebhookWrite } from '@parley/core';
import { conversationFromRow, memberFromRow } from '@parley/core/adapter-kit';
import type { ConversationRow, MemberRow, MessageRow } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';
import { insertWebhookDeliveries } from './sqlite-webhooks.js';

/**
 * Retention and a user's own data on SQLite. Every write runs in one IMMEDIATE transaction,
 * which holds the database's write lock: two retention runners or two erases on several
 * connections take turns, and the second finds the first's work done.
 */
export function sqliteRetention({ db, sql, reactions }: SqliteContext): RetentionStoreMethods {
  // Removing a message: its search row by hand (FTS has no foreign key); reactions and hidden
  // rows follow by ON DELETE CASCADE; its files go to the purge; its outbox rows go.
  const unindexRange = () => sql('DELETE FROM message_search WHERE rowid IN (SELECT rowid FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ?)');
  const unoutboxRange = () => sql('DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ?)');
  const purgeFilesRange = () =>
    sql(`UPDATE attachments SET status = 'purging', purge_lease_until = NULL
         WHERE status <> 'purging' AND message_id IN (SELECT id FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ?)`);
  const deleteRange = () => sql('DELETE FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ?');

  const purge = db.transaction((now: string, defaultSeconds: number | null, limit: number): RetentionPurged[] => {
    // Conversations with retention whose oldest remaining message is past it.
    const due = sql(
      `SELECT c.id, c.purged_through_seq AS purged, c.last_message_id,
              strftime('%Y-%m-%dT%H:%M:%fZ', @now, '-' || COALESCE(c.retention_seconds, @defaultSeconds) || ' seconds') AS cutoff
       FROM conversations c
       WHERE COALESCE(c.retention_seconds, @defaultSeconds) IS NOT NULL AND c.last_seq > c.purged_through_seq
         AND (SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id AND m.seq > c.purged_through_seq ORDER BY m.seq LIMIT 1)
             < strftime('%Y-%m-%dT%H:%M:%fZ', @now, '-' || COALESCE(c.retention_seconds, @defaultSeconds) || ' seconds')
       ORDER BY c.id LIMIT @limit`,
    ).all({ now, defaultSeconds, limit }) as Array<{ id: string; purged: number; last_message_id: string | null; cutoff: string }>;
    const purged: RetentionPurged[] = [];
    let budget = limit;
    for (const conversation of due) {
      if (budget <= 0) break;
      // The expired prefix of the timeline, at most `budget` long.
      const rows = sql('SELECT seq, created_at FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(
        conversation.id,
        conversation.purged,
        budget,
      ) as Array<{ seq: number; created_at: string }>;
      let count = 0;
      while (count < rows.length && rows[count]!.created_at < conversation.cutoff) count += 1;
      if (count === 0) continue;
      const through = rows[count - 1]!.seq;
      const range = [conversation.id, conversation.purged, through] as const;
      unindexRange().run(...range);
      unoutboxRange().run(...range);
      purgeFilesRange().run(...range);
      const removed = deleteRange().run(...range).changes;
      sql(
        `UPDATE conversations SET purged_through_seq = ?,
           last_message_id = CASE WHEN EXISTS (SELECT 1 FROM messages WHERE id = last_message_id) THEN last_message_id ELSE NULL END
         WHERE id = ?`,
      ).run(through, conversation.id);
      budget -= removed;
      purged.push({ conversationId: conversation.id, removed, truncatedBefore: through + 1 });
    }
    return purged;
  });

  const erase = db.transaction((userId: string, at: string, limit: number, webhooks: WebhookWrite<Message> | undefined) => {
    const live = sql('SELECT * FROM messages WHERE sender_id = ? AND deleted_for_everyone = 0 ORDER BY id LIMIT ?').all(userId, limit + 1) as MessageRow[];
    const tombstoned: Message[] = [];
    for (const row of live.slice(0, limit)) {
      sql(`UPDATE messages SET content = NULL, attachments = '[]', metadata = NULL, deleted_at = ?, deleted_for_everyone = 1 WHERE id = ?`).run(at, row.id);
      sql('DELETE FROM message_search WHERE rowid = ?').run(row.rowid);
      sql('DELETE FROM reactions WHERE message_id = ?').run(row.id);
      bump(row.conversation_id, row.id);
      const tombstone = reactions.message(sql('SELECT * FROM messages WHERE id = ?').get(row.id) as MessageRow)!;
      tombstoned.push(tombstone);
      if (webhooks !== undefined) insertWebhookDeliveries(db, webhooks(tombstone));
    }
    const mine = sql('SELECT id, message_id, emoji FROM reactions WHERE user_id = ? ORDER BY message_id, emoji LIMIT ?').all(userId, limit + 1) as Array<{
      id: number;
      message_id: string;
      emoji: string;
    }>;
    const byMessage = new Map<string, string[]>();
    for (const r of mine.slice(0, limit)) {
      sql('DELETE FROM reactions WHERE id = ?').run(r.id);
      byMessage.set(r.message_id, [...(byMessage.get(r.message_id) ?? []), r.emoji]);
    }
    const unreacted = [...byMessage].map(([messageId, emoji]) => {
      const row = sql('SELECT * FROM messages WHERE id = ?').get(messageId) as MessageRow;
      bump(row.conversation_id, messageId);
      return { message: reactions.message(sql('SELECT * FROM messages WHERE id = ?').get(messageId) as MessageRow)!, emoji };
    });
    sql('UPDATE members SET last_read_seq = 0, last_read_at = NULL WHERE user_id = ?').run(userId);
    sql('DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE sender_id = ?)').run(userId);
    sql(`UPDATE attachments SET status = 'purging', purge_lease_until = NULL WHERE uploader_id = ? AND status <> 'purging'`).run(userId);
    return { tombstoned, unreacted, done: live.length <= limit && mine.length <= limit };
  });

  const bump = (conversationId: string, messageId: string) => {
    const { version } = sql('UPDATE conversations SET version = version + 1 WHERE id = ? RETURNING version').get(conversationId) as { version: number };
    sql('UPDATE messages SET version = ? WHERE id = ?').run(version, messageId);
  };

  return {
    async setConversationRetention(conversationId, seconds) {
      return db
        .transaction(() => {
          const row = sql('UPDATE conversations SET retention_seconds = ? WHERE id = ? RETURNING *').get(seconds, conversationId) as ConversationRow | undefined;
          if (row === undefined) return null;
          const last = row.last_message_id === null ? undefined : (sql('SELECT * FROM messages WHERE id = ?').get(row.last_message_id) as MessageRow | undefined);
          return conversationFromRow(row, last === undefined ? null : reactions.message(last));
        })
        .immediate();
    },

    async purgeExpiredMessages({ now, defaultSeconds, limit }) {
      return purge.immediate(now, defaultSeconds, limit);
    },

    async acquireJobLease(job, holder, now, leaseMs) {
      const until = new Date(Date.parse(now) + leaseMs).toISOString();
      const row = sql(
        `INSERT INTO job_leases (job, holder, lease_until) VALUES (@job, @holder, @until)
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
         WHERE job_leases.holder = excluded.holder OR job_leases.lease_until <= @now
         RETURNING holder`,
      ).get({ job, holder, until, now });
      return row !== undefined;
    },

    async releaseJobLease(job, holder) {
      sql('DELETE FROM job_leases WHERE job = ? AND holder = ?').run(job, holder);
    },

    async listUserMessages(userId, after, limit) {
      const rows = (
        after === null
          ? sql('SELECT * FROM messages WHERE sender_id = ? ORDER BY created_at, id LIMIT ?').all(userId, limit)
          : sql('SELECT * FROM messages WHERE sender_id = ? AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?').all(userId, after.createdAt, after.id, limit)
      ) as MessageRow[];
      return reactions.messages(rows);
    },

    async listUserReactions(userId, after, limit) {
      const rows = sql(
        `SELECT r.message_id, m.conversation_id, r.emoji, r.created_at FROM reactions r JOIN messages m ON m.id = r.message_id
         WHERE r.user_id = @userId AND (@afterMessage IS NULL OR (r.message_id, r.emoji) > (@afterMessage, @afterEmoji))
         ORDER BY r.message_id, r.emoji LIMIT @limit`,
      ).all({ userId, afterMessage: after?.messageId ?? null, afterEmoji: after?.emoji ?? null, limit }) as Array<{
        message_id: string;
        conversation_id: string;
        emoji: string;
        created_at: string;
      }>;
      return rows.map((r): UserReaction => ({ messageId: r.message_id, conversationId: r.conversation_id, emoji: r.emoji, createdAt: r.created_at }));
    },

    async listUserMemberships(userId) {
      return (sql('SELECT * FROM members WHERE user_id = ? ORDER BY conversation_id').all(userId) as MemberRow[]).map(memberFromRow);
    },

    async eraseUserData(userId, at, limit, webhooks) {
      return erase.immediate(userId, at, limit, webhooks);
    },
  };
}
