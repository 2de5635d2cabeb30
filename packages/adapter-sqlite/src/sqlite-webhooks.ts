import type { NewWebhookDelivery, WebhookDelivery, WebhookStoreMethods } from '@parley/core';
import { WEBHOOK_DELIVERY_COLUMNS, webhookDeliveryFromRow, type WebhookDeliveryRow } from '@parley/core/adapter-kit';
import type { Database } from 'better-sqlite3';
import type { SqliteContext } from './sqlite-context.js';

const COLUMNS = WEBHOOK_DELIVERY_COLUMNS;
type DeliveryRow = WebhookDeliveryRow;
const deliveryFromRow = webhookDeliveryFromRow;

/**
 * Writes webhook delivery rows; call inside the transaction of the change that raised their
 * event. The table's keys (id, and event with endpoint) make a second row for one event and
 * endpoint fail the whole transaction.
 */
export function insertWebhookDeliveries(db: Database, rows: readonly NewWebhookDelivery[] | undefined): void {
  if (rows === undefined || rows.length === 0) return;
  const insert = db.prepare(
    `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, event_type, conversation_id, body, next_attempt_at, created_at)
     VALUES (@id, @eventId, @endpointId, @eventType, @conversationId, @body, @createdAt, @createdAt)`,
  );
  for (const row of rows) insert.run(row);
}

/** Webhook deliveries on SQLite: claimed with a lease in an IMMEDIATE transaction, so one connection claims each. */
export function sqliteWebhooks({ db, sql }: SqliteContext): WebhookStoreMethods {
  const q = {
    due: db.prepare<[string, number], DeliveryRow>(
      `SELECT ${COLUMNS} FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    ),
    lease: db.prepare('UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?'),
    complete: db.prepare(`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ? WHERE id = ? AND status = 'pending'`),
    retry: db.prepare(`UPDATE webhook_deliveries SET last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?`),
    kill: db.prepare(`UPDATE webhook_deliveries SET last_error = ?, status = 'dead' WHERE id = ? AND status = 'pending' AND attempts = ?`),
    one: db.prepare<[string], DeliveryRow>(`SELECT ${COLUMNS} FROM webhook_deliveries WHERE id = ?`),
    redeliver: db.prepare<[string, string], DeliveryRow>(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL
       WHERE id = ? AND status <> 'pending' RETURNING ${COLUMNS}`,
    ),
    prune: db.prepare(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < ? ORDER BY created_at, id LIMIT ?)`,
    ),
  };
  const claim = db.transaction((now: string, limit: number, leaseMs: number): WebhookDelivery[] => {
    const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
    return q.due.all(now, limit).map((row) => {
      q.lease.run(leaseUntil, row.id);
      return deliveryFromRow({ ...row, attempts: row.attempts + 1, next_attempt_at: leaseUntil });
    });
  });

  return {
    async claimWebhookDeliveries(now, limit, leaseMs) {
      return claim.immediate(now, limit, leaseMs);
    },

    async completeWebhookDelivery(id, deliveredAt) {
      return q.complete.run(deliveredAt, id).changes === 1;
    },

    async failWebhookDelivery(id, attempt, error, nextAttemptAt) {
      return (nextAttemptAt === null ? q.kill.run(error, id, attempt) : q.retry.run(error, nextAttemptAt, id, attempt)).changes === 1;
    },

    async listWebhookDeliveries(query) {
      const where: string[] = [];
      if (query.status !== undefined) where.push('status = @status');
      if (query.after !== undefined) where.push('(created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))');
      const rows = sql(
        `SELECT ${COLUMNS} FROM webhook_deliveries ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at, id LIMIT @limit`,
      ).all({ status: query.status, afterAt: query.after?.createdAt, afterId: query.after?.id, limit: query.limit }) as DeliveryRow[];
      return rows.map(deliveryFromRow);
    },

    async getWebhookDelivery(id) {
      const row = q.one.get(id);
      return row === undefined ? null : deliveryFromRow(row);
    },

    async redeliverWebhook(id, now) {
      const row = q.redeliver.get(now, id);
      return row === undefined ? null : deliveryFromRow(row);
    },

    async pruneWebhookDeliveries(before, limit) {
      return q.prune.run(before, limit).changes;
    },
  };
}
