import type { ModerationStoreMethods } from '../adapters/chat-store.js';
import type { AuditEntry, Report } from '../domain/types.js';
import { insertWebhookDeliveries, type MemoryDatabase } from './memory-database.js';

const byCreated = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }) =>
  a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Blocks, reports and the audit log of the memory store. */
export function memoryModeration(db: MemoryDatabase): ModerationStoreMethods {
  const copy = (report: Report): Report => ({ ...report });

  return {
    async setBlock(userId, blockedId, blocked, at) {
      let mine = db.blocks.get(userId);
      if (blocked) {
        if (mine?.has(blockedId) === true) return false;
        if (mine === undefined) db.blocks.set(userId, (mine = new Map()));
        mine.set(blockedId, at);
        return true;
      }
      return mine?.delete(blockedId) ?? false;
    },

    async listBlocked(userId) {
      return [...(db.blocks.get(userId) ?? new Map<string, string>()).entries()].sort((a, b) => a[1].localeCompare(b[1]) || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
    },

    async blocksAmong(userIds) {
      const set = new Set(userIds);
      const pairs: Array<{ userId: string; blockedId: string }> = [];
      for (const userId of set) for (const blockedId of db.blocks.get(userId)?.keys() ?? []) if (set.has(blockedId)) pairs.push({ userId, blockedId });
      return pairs;
    },

    async createReport(report, webhooks) {
      for (const existing of db.reports.values()) {
        if (existing.messageId === report.messageId && existing.reporterId === report.reporterId) return { report: copy(existing), created: false };
      }
      if (webhooks !== undefined) insertWebhookDeliveries(db, webhooks);
      db.reports.set(report.id, copy(report));
      return { report: copy(report), created: true };
    },

    async getReport(reportId) {
      const report = db.reports.get(reportId);
      return report === undefined ? null : copy(report);
    },

    async listReports(query) {
      return [...db.reports.values()]
        .filter((r) => (query.conversationId === undefined || r.conversationId === query.conversationId) && (query.status === undefined || r.status === query.status))
        .filter((r) => query.after === undefined || byCreated(r, query.after) > 0)
        .sort(byCreated)
        .slice(0, query.limit)
        .map(copy);
    },

    async resolveReports(target, resolution, resolvedBy, at, audit, webhooks) {
      const open = [...db.reports.values()].filter(
        (r) => r.status === 'open' && ('reportId' in target ? r.id === target.reportId : r.messageId === target.messageId),
      );
      if (open.length > 0 && webhooks !== undefined) {
        const resolved = open.sort(byCreated).map((r) => ({ ...copy(r), status: 'resolved' as const, resolution, resolvedBy, resolvedAt: at }));
        insertWebhookDeliveries(db, webhooks(resolved));
      }
      for (const report of open) Object.assign(report, { status: 'resolved', resolution, resolvedBy, resolvedAt: at });
      if (open.length > 0 && audit !== undefined) db.audit.push({ ...audit });
      return open.sort(byCreated).map(copy);
    },

    async appendAudit(entries) {
      for (const entry of entries) db.audit.push({ ...entry });
    },

    async listAudit(conversationId, query) {
      const before = query.before;
      return db.audit
        .filter((e) => e.conversationId === conversationId && (before === undefined || byCreated(e, before) < 0))
        .sort((a, b) => byCreated(b, a))
        .slice(0, query.limit)
        .map((e): AuditEntry => ({ ...e, data: e.data === null ? null : structuredClone(e.data) }));
    },
  };
}
