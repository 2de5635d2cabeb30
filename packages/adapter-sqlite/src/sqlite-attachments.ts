import type { AttachmentStoreMethods } from '@parley/core';
import { ATTACHMENT_COLUMNS, attachmentFromRow, attachmentValues, type AttachmentRow } from '@parley/core/adapter-kit';
import type { SqliteContext } from './sqlite-context.js';

/** Uploaded files' rows on SQLite. Claims happen in `insertMessages` (sqlite-messages.ts). */
export function sqliteAttachments({ db }: SqliteContext): AttachmentStoreMethods {
  const q = {
    insert: db.prepare(`INSERT INTO attachments (${ATTACHMENT_COLUMNS}) VALUES (${ATTACHMENT_COLUMNS.split(',').map(() => '?').join(', ')})`),
    get: db.prepare<[string], AttachmentRow>(`SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE id = ?`),
    complete: db.prepare(`UPDATE attachments SET status = 'complete', mime_type = ?, completed_at = ? WHERE id = ? AND status = 'pending'`),
    due: db.prepare<{ now: string; limit: number }, { id: string; storage_key: string }>(
      `SELECT id, storage_key, created_at FROM attachments
         WHERE status = 'purging' AND (purge_lease_until IS NULL OR purge_lease_until <= @now)
       UNION ALL
       SELECT id, storage_key, created_at FROM attachments
         WHERE message_id IS NULL AND expires_at <= @now AND status <> 'purging'
       ORDER BY created_at, id LIMIT @limit`,
    ),
    lease: db.prepare(`UPDATE attachments SET status = 'purging', purge_lease_until = ? WHERE id = ?`),
    remove: db.prepare('DELETE FROM attachments WHERE id = ?'),
  };

  return {
    async createAttachment(record) {
      q.insert.run(...attachmentValues(record));
    },

    async getAttachment(attachmentId) {
      const row = q.get.get(attachmentId);
      return row === undefined ? null : attachmentFromRow(row);
    },

    async completeAttachment(attachmentId, mimeType, completedAt) {
      q.complete.run(mimeType, completedAt, attachmentId);
      const row = q.get.get(attachmentId);
      return row === undefined ? null : attachmentFromRow(row);
    },

    async claimAttachmentPurge(now, limit, leaseMs) {
      const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
      return db
        .transaction(() =>
          q.due.all({ now, limit }).map((row) => {
            q.lease.run(leaseUntil, row.id);
            return { id: row.id, storageKey: row.storage_key };
          }),
        )
        .immediate();
    },

    async deleteAttachments(attachmentIds) {
      db.transaction(() => {
        for (const id of attachmentIds) q.remove.run(id);
      }).immediate();
    },
  };
}
