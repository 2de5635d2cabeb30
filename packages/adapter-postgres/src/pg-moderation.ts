import type { AuditEntry, ModerationStoreMethods, Report } from '@parley/core';
import { insertWebhookDeliveries } from './pg-webhooks.js';
import { AUDIT_COLUMNS, auditFromRow, auditValues, REPORT_COLUMNS, reportFromRow, reportValues, type DecodedAuditRow, type ReportRow } from '@parley/core/adapter-kit';
import type { PoolClient } from 'pg';
import type { Database } from './database.js';

const placeholders = (columns: string) => columns.split(',').map((_, i) => `$${i + 1}`).join(', ');

/** Writes an audit entry; pass the client of the transaction of the change it records. */
export async function insertAudit(db: Database, entry: AuditEntry, client?: PoolClient): Promise<void> {
  await db.query(`INSERT INTO {s}.audit_log (${AUDIT_COLUMNS}) VALUES (${placeholders(AUDIT_COLUMNS)})`, auditValues(entry), client);
}

/** Blocks, reports and the audit log on Postgres. */
export function pgModeration(db: Database): ModerationStoreMethods {
  return {
    async setBlock(userId, blockedId, blocked, at) {
      const rows = blocked
        ? await db.query('INSERT INTO {s}.blocks (user_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1 AS one', [userId, blockedId, at])
        : await db.query('DELETE FROM {s}.blocks WHERE user_id = $1 AND blocked_id = $2 RETURNING 1 AS one', [userId, blockedId]);
      return rows.length === 1;
    },

    async listBlocked(userId) {
      return (await db.query<{ blocked_id: string }>('SELECT blocked_id FROM {s}.blocks WHERE user_id = $1 ORDER BY created_at, blocked_id', [userId])).map((r) => r.blocked_id);
    },

    async blocksAmong(userIds) {
      const rows = await db.query<{ user_id: string; blocked_id: string }>(
        'SELECT user_id, blocked_id FROM {s}.blocks WHERE user_id = ANY ($1::text[]) AND blocked_id = ANY ($1::text[])',
        [userIds],
      );
      return rows.map((r) => ({ userId: r.user_id, blockedId: r.blocked_id }));
    },

    async createReport(report, webhooks) {
      return db.transaction(async (client) => {
        const inserted = await db.query<ReportRow>(
          `INSERT INTO {s}.reports (${REPORT_COLUMNS}) VALUES (${placeholders(REPORT_COLUMNS)}) ON CONFLICT (message_id, reporter_id) DO NOTHING RETURNING ${REPORT_COLUMNS}`,
          reportValues(report),
          client,
        );
        if (inserted.length === 1) {
          await insertWebhookDeliveries(db, client, webhooks);
          return { report: reportFromRow(inserted[0]!), created: true };
        }
        const existing = await db.one<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM {s}.reports WHERE message_id = $1 AND reporter_id = $2`, [report.messageId, report.reporterId], client);
        return { report: reportFromRow(existing!), created: false };
      });
    },

    async getReport(reportId) {
      const row = await db.one<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM {s}.reports WHERE id = $1`, [reportId]);
      return row === undefined ? null : reportFromRow(row);
    },

    async listReports(query) {
      const where: string[] = [];
      const values: unknown[] = [];
      const add = (sql: (n: number) => string, value: unknown) => {
        values.push(value);
        where.push(sql(values.length));
      };
      if (query.conversationId !== undefined) add((n) => `conversation_id = $${n}`, query.conversationId);
      if (query.status !== undefined) add((n) => `status = $${n}`, query.status);
      if (query.after !== undefined) {
        values.push(query.after.createdAt, query.after.id);
        where.push(`(created_at, id) > ($${values.length - 1}::timestamptz, $${values.length})`);
      }
      values.push(query.limit);
      const rows = await db.query<ReportRow>(
        `SELECT ${REPORT_COLUMNS} FROM {s}.reports ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at, id LIMIT $${values.length}`,
        values,
      );
      return rows.map(reportFromRow);
    },

    async resolveReports(target, resolution, resolvedBy, at, audit, webhooks) {
      return db.transaction(async (client) => {
        const [column, value] = 'reportId' in target ? ['id', target.reportId] : ['message_id', target.messageId];
        const rows = await db.query<ReportRow>(
          `UPDATE {s}.reports SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = $4
           WHERE ${column} = $1 AND status = 'open' RETURNING ${REPORT_COLUMNS}`,
          [value, resolution, resolvedBy, at],
          client,
        );
        if (rows.length > 0 && audit !== undefined) await insertAudit(db, audit, client);
        const resolved = rows.map(reportFromRow).sort((a: Report, b: Report) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : 1));
        if (resolved.length > 0 && webhooks !== undefined) await insertWebhookDeliveries(db, client, webhooks(resolved));
        return resolved;
      });
    },

    async appendAudit(entries) {
      if (entries.length === 0) return;
      await db.transaction(async (client) => {
        for (const entry of entries) await insertAudit(db, entry, client);
      });
    },

    async listAudit(conversationId, query) {
      const values: unknown[] = [conversationId, query.limit];
      let before = '';
      if (query.before !== undefined) {
        values.push(query.before.createdAt, query.before.id);
        before = 'AND (created_at, id) < ($3::timestamptz, $4)';
      }
      const rows = await db.query<DecodedAuditRow>(
        `SELECT ${AUDIT_COLUMNS} FROM {s}.audit_log WHERE conversation_id = $1 ${before} ORDER BY created_at DESC, id DESC LIMIT $2`,
        values,
      );
      return rows.map(auditFromRow);
    },
  };
}
