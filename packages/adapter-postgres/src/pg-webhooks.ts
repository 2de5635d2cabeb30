import type { NewWebhookDelivery, WebhookDelivery, WebhookStoreMethods } from '@parley/core';
import { WEBHOOK_DELIVERY_COLUMNS, webhookDeliveryFromRow, type WebhookDeliveryRow } from '@parley/core/adapter-kit';
import type { PoolClient } from 'pg';
import type { Database } from './database.js';

const COLUMNS = WEBHOOK_DELIVERY_COLUMNS;
type DeliveryRow = WebhookDeliveryRow;
const deliveryFromRow = webhookDeliveryFromRow;

/**
 * Writes webhook delivery rows on `client`, inside the transaction of the change that raised
 * their event. The table's keys (id, and event with endpoint) make a second row for one event
 * and endpoint fail the whole transaction.
 */
export async function insertWebhookDeliveries(db: Database, client: PoolClient, rows: readonly NewWebhookDelivery[] | undefined): Promise<void> {
  if (rows === undefined || rows.length === 0) return;
  await db.query(
    `INSERT INTO {s}.webhook_deliveries (id, event_id, endpoint_id, event_type, conversation_id, body, next_attempt_at, created_at)
     SELECT r.id, r.event_id, r.endpoint_id, r.event_type, r.conversation_id, r.body, r.created_at, r.created_at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS r(id, event_id, endpoint_id, event_type, conversation_id, body, created_at)`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.eventId),
      rows.map((r) => r.endpointId),
      rows.map((r) => r.eventType),
      rows.map((r) => r.conversationId),
      rows.map((r) => r.body),
      rows.map((r) => r.createdAt),
    ],
    client,
  );
}

/** Webhook deliveries on Postgres: claimed with a lease, SKIP LOCKED so nodes never claim one row twice. */
export function pgWebhooks(db: Database): WebhookStoreMethods {
  return {
    async claimWebhookDeliveries(now, limit, leaseMs) {
      const rows = await db.query<DeliveryRow>(
        `UPDATE {s}.webhook_deliveries w SET attempts = w.attempts + 1, next_attempt_at = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
         FROM (SELECT id FROM {s}.webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) due
         WHERE w.id = due.id
         RETURNING ${COLUMNS.split(', ').map((c) => `w.${c}`).join(', ')}`,
        [now, limit, leaseMs],
      );
      return rows.map(deliveryFromRow).sort((a, b) => a.id.localeCompare(b.id));
    },

    async completeWebhookDelivery(id, deliveredAt) {
      const rows = await db.query(`UPDATE {s}.webhook_deliveries SET status = 'delivered', delivered_at = $2 WHERE id = $1 AND status = 'pending' RETURNING id`, [id, deliveredAt]);
      return rows.length === 1;
    },

    async failWebhookDelivery(id, attempt, error, nextAttemptAt) {
      const rows =
        nextAttemptAt === null
          ? await db.query(`UPDATE {s}.webhook_deliveries SET last_error = $3, status = 'dead' WHERE id = $1 AND status = 'pending' AND attempts = $2 RETURNING id`, [id, attempt, error])
          : await db.query(`UPDATE {s}.webhook_deliveries SET last_error = $3, next_attempt_at = $4 WHERE id = $1 AND status = 'pending' AND attempts = $2 RETURNING id`, [
              id,
              attempt,
              error,
              nextAttemptAt,
            ]);
      return rows.length === 1;
    },

    async listWebhookDeliveries(query) {
      const where: string[] = [];
      const values: unknown[] = [];
      if (query.status !== undefined) {
        values.push(query.status);
        where.push(`status = $${values.length}`);
      }
      if (query.after !== undefined) {
        values.push(query.after.createdAt, query.after.id);
        where.push(`(created_at, id) > ($${values.length - 1}::timestamptz, $${values.length})`);
      }
      values.push(query.limit);
      const rows = await db.query<DeliveryRow>(
        `SELECT ${COLUMNS} FROM {s}.webhook_deliveries ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at, id LIMIT $${values.length}`,
        values,
      );
      return rows.map(deliveryFromRow);
    },

    async getWebhookDelivery(id) {
      const row = await db.one<DeliveryRow>(`SELECT ${COLUMNS} FROM {s}.webhook_deliveries WHERE id = $1`, [id]);
      return row === undefined ? null : deliveryFromRow(row);
    },

    async redeliverWebhook(id, now) {
      const row = await db.one<DeliveryRow>(
        `UPDATE {s}.webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, delivered_at = NULL
         WHERE id = $1 AND status <> 'pending' RETURNING ${COLUMNS}`,
        [id, now],
      );
      return row === undefined ? null : deliveryFromRow(row);
    },

    async pruneWebhookDeliveries(before, limit) {
      const rows = await db.query(
        `DELETE FROM {s}.webhook_deliveries WHERE id IN (
           SELECT id FROM {s}.webhook_deliveries WHERE status = 'delivered' AND delivered_at < $1 ORDER BY created_at, id LIMIT $2) RETURNING id`,
        [before, limit],
      );
      return rows.length;
    },
  };
}
