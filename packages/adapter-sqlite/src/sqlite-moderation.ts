import type { AuditEntry, ModerationStoreMethods, NewWebhookDelivery, Report, WebhookWrite } from '@parley/core';
import { AUDIT_COLUMNS, auditFromRow, auditValues, REPORT_COLUMNS, reportFromRow, reportValues, type DecodedAuditRow, type ReportRow } from '@parley/core/adapter-kit';
import type { Database } from 'better-sqlite3';
import type { SqliteContext } from './sqlite-context.js';
import { insertWebhookDeliveries } from './sqlite-webhooks.js';

const placeholders = (columns: string) => columns.split(',').map(() => '?').join(', ');

/** Writes an audit entry; call inside the transaction of the change it records. */
export function insertAudit(db: Database, entry: AuditEntry): void {
  db.prepare(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (${placeholders(AUDIT_COLUMNS)})`).run(...auditValues(entry));
}

type AuditRow = Omit<DecodedAuditRow, 'data'> & { data: string | null };
const decodeAudit = (row: AuditRow): AuditEntry => auditFromRow({ ...row, data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>) });

/** Blocks, reports and the audit log on SQLite. */
export function sqliteModeration({ db, sql }: SqliteContext): ModerationStoreMethods {
  const q = {
    block: db.prepare('INSERT OR IGNORE INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?)'),
    unblock: db.prepare('DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?'),
    blocked: db.prepare<[string], { blocked_id: string }>('SELECT blocked_id FROM blocks WHERE user_id = ? ORDER BY created_at, blocked_id'),
    among: db.prepare<[string, string], { user_id: string; blocked_id: string }>(
      'SELECT user_id, blocked_id FROM blocks WHERE user_id IN (SELECT value FROM json_each(?)) AND blocked_id IN (SELECT value FROM json_each(?))',
    ),
    insertReport: db.prepare(`INSERT OR IGNORE INTO reports (${REPORT_COLUMNS}) VALUES (${placeholders(REPORT_COLUMNS)})`),
    reportBy: db.prepare<[string, string], ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reports WHERE message_id = ? AND reporter_id = ?`),
    report: db.prepare<[string], ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reports WHERE id = ?`),
    openById: db.prepare<[string], ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reports WHERE id = ? AND status = 'open'`),
    openByMessage: db.prepare<[string], ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reports WHERE message_id = ? AND status = 'open' ORDER BY created_at, id`),
    resolve: db.prepare(`UPDATE reports SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ?`),
  };

  const resolve = db.transaction(
    (target: { reportId: string } | { messageId: string }, resolution: Report['resolution'], by: string, at: string, audit?: AuditEntry, webhooks?: WebhookWrite<Report[]>): Report[] => {
      const open = 'reportId' in target ? [q.openById.get(target.reportId)].filter((r): r is ReportRow => r !== undefined) : q.openByMessage.all(target.messageId);
      for (const row of open) q.resolve.run(resolution, by, at, row.id);
      if (open.length > 0 && audit !== undefined) insertAudit(db, audit);
      const resolved = open.map((row) => reportFromRow({ ...row, status: 'resolved', resolution, resolved_by: by, resolved_at: at }));
      if (resolved.length > 0 && webhooks !== undefined) insertWebhookDeliveries(db, webhooks(resolved));
      return resolved;
    },
  );
  const fileReport = db.transaction((report: Report, webhooks?: NewWebhookDelivery[]) => {
    const created = q.insertReport.run(...reportValues(report)).changes === 1;
    if (created) insertWebhookDeliveries(db, webhooks);
    return { report: created ? report : reportFromRow(q.reportBy.get(report.messageId, report.reporterId)!), created };
  });

  return {
    async setBlock(userId, blockedId, blocked, at) {
      return (blocked ? q.block.run(userId, blockedId, at) : q.unblock.run(userId, blockedId)).changes === 1;
    },

    async listBlocked(userId) {
      return q.blocked.all(userId).map((r) => r.blocked_id);
    },

    async blocksAmong(userIds) {
      const ids = JSON.stringify(userIds);
      return q.among.all(ids, ids).map((r) => ({ userId: r.user_id, blockedId: r.blocked_id }));
    },

    async createReport(report, webhooks) {
      return fileReport.immediate(report, webhooks);
    },

    async getReport(reportId) {
      const row = q.report.get(reportId);
      return row === undefined ? null : reportFromRow(row);
    },

    async listReports(query) {
      const where: string[] = [];
      if (query.conversationId !== undefined) where.push('conversation_id = @conversationId');
      if (query.status !== undefined) where.push('status = @status');
      if (query.after !== undefined) where.push('(created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))');
      const rows = sql(
        `SELECT ${REPORT_COLUMNS} FROM reports ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at, id LIMIT @limit`,
      ).all({ conversationId: query.conversationId, status: query.status, afterAt: query.after?.createdAt, afterId: query.after?.id, limit: query.limit }) as ReportRow[];
      return rows.map(reportFromRow);
    },

    async resolveReports(target, resolution, resolvedBy, at, audit, webhooks) {
      return resolve.immediate(target, resolution, resolvedBy, at, audit, webhooks);
    },

    async appendAudit(entries) {
      db.transaction(() => {
        for (const entry of entries) insertAudit(db, entry);
      }).immediate();
    },

    async listAudit(conversationId, query) {
      const before = query.before;
      const rows = sql(
        `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE conversation_id = @conversationId
         ${before === undefined ? '' : 'AND (created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))'}
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
      ).all({ conversationId, beforeAt: before?.createdAt, beforeId: before?.id, limit: query.limit }) as AuditRow[];
      return rows.map(decodeAudit);
    },
  };
}
