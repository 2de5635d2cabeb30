import type { OutboxStoreMethods, OutboxEntry } from '@parley/core';
import type { SqliteContext } from './sqlite-context.js';

/** The notification outbox on SQLite: rows written with their message, claimed with a lease. */
export function sqliteOutbox({ db }: SqliteContext): OutboxStoreMethods {
  const q = {
    due: db.prepare<[string, number], { id: number; message_id: string; conversation_id: string; attempts: number; created_at: string }>(
      `SELECT id, message_id, conversation_id, attempts, created_at FROM outbox
       WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    ),
    lease: db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?'),
    complete: db.prepare('DELETE FROM outbox WHERE id = ?'),
    retry: db.prepare('UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?'),
    kill: db.prepare(`UPDATE outbox SET last_error = ?, status = 'dead' WHERE id = ?`),
    stats: db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status'),
  };
  return {
    async claimOutbox(now, limit, leaseMs) {
      return db
        .transaction((): OutboxEntry[] => {
          const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
          return q.due.all(now, limit).map((row) => {
            q.lease.run(leaseUntil, row.id);
            return { id: String(row.id), kind: 'message', messageId: row.message_id, conversationId: row.conversation_id, attempts: row.attempts + 1, createdAt: row.created_at };
          });
        })
        .immediate();
    },

    async completeOutbox(ids) {
      db.transaction(() => {
        for (const id of ids) q.complete.run(Number(id));
      }).immediate();
    },

    async failOutbox(id, error, nextAttemptAt) {
      if (nextAttemptAt === null) q.kill.run(error, Number(id));
      else q.retry.run(error, nextAttemptAt, Number(id));
    },

    async outboxStats() {
      const counts = new Map(q.stats.all().map((r) => [r.status, r.n]));
      return { pending: counts.get('pending') ?? 0, dead: counts.get('dead') ?? 0 };
    },
  };
}
