import type { OutboxEntry, OutboxStoreMethods } from '@parley/core';
import type { Database } from './database.js';

/** The notification outbox on Postgres: claimed with a lease, SKIP LOCKED so nodes never claim one row twice. */
export function pgOutbox(db: Database): OutboxStoreMethods {
  return {
    async claimOutbox(now, limit, leaseMs) {
      const rows = await db.query<{ id: number; message_id: string; conversation_id: string; attempts: number; created_at: string }>(
        `UPDATE {s}.outbox o SET attempts = o.attempts + 1, next_attempt_at = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
         FROM (SELECT id FROM {s}.outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) due
         WHERE o.id = due.id
         RETURNING o.id, o.message_id, o.conversation_id, o.attempts, o.created_at`,
        [now, limit, leaseMs],
      );
      return rows
        .sort((a, b) => a.id - b.id)
        .map((row): OutboxEntry => ({ id: String(row.id), kind: 'message', messageId: row.message_id, conversationId: row.conversation_id, attempts: row.attempts, createdAt: row.created_at }));
    },

    async completeOutbox(ids) {
      if (ids.length > 0) await db.query('DELETE FROM {s}.outbox WHERE id = ANY ($1::bigint[])', [ids]);
    },

    async failOutbox(id, error, nextAttemptAt) {
      if (nextAttemptAt === null) await db.query(`UPDATE {s}.outbox SET last_error = $2, status = 'dead' WHERE id = $1`, [id, error]);
      else await db.query('UPDATE {s}.outbox SET last_error = $2, next_attempt_at = $3 WHERE id = $1', [id, error, nextAttemptAt]);
    },

    async outboxStats() {
      const rows = await db.query<{ status: string; n: number }>('SELECT status, count(*) AS n FROM {s}.outbox GROUP BY status');
      const counts = new Map(rows.map((r) => [r.status, r.n]));
      return { pending: counts.get('pending') ?? 0, dead: counts.get('dead') ?? 0 };
    },
  };
}
