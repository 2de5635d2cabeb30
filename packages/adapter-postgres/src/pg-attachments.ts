import type { AttachmentStoreMethods } from '@parley/core';
import { ATTACHMENT_COLUMNS, attachmentFromRow, attachmentValues, type AttachmentRow } from '@parley/core/adapter-kit';
import type { Database } from './database.js';

/** Hands the attachments whose `column` is `$1` to the purge (a deleted message's, a deleted conversation's). */
export const PURGE_ATTACHMENTS = (column: 'message_id' | 'conversation_id') =>
  `UPDATE {s}.attachments SET status = 'purging', purge_lease_until = NULL WHERE ${column} = $1 AND status <> 'purging'`;

/** Uploaded files' rows on Postgres. Claims happen in `insert_messages` (migrations.ts). */
export function pgAttachments(db: Database): AttachmentStoreMethods {
  const get = async (attachmentId: string) => {
    const row = await db.one<AttachmentRow>(`SELECT ${ATTACHMENT_COLUMNS} FROM {s}.attachments WHERE id = $1`, [attachmentId]);
    return row === undefined ? null : attachmentFromRow(row);
  };

  return {
    async createAttachment(record) {
      const values = attachmentValues(record);
      await db.query(`INSERT INTO {s}.attachments (${ATTACHMENT_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
    },

    getAttachment: get,

    async completeAttachment(attachmentId, mimeType, completedAt) {
      const row = await db.one<AttachmentRow>(
        `WITH done AS (
           UPDATE {s}.attachments SET status = 'complete', mime_type = $2, completed_at = $3 WHERE id = $1 AND status = 'pending'
           RETURNING ${ATTACHMENT_COLUMNS}
         )
         SELECT ${ATTACHMENT_COLUMNS} FROM done
         UNION ALL
         SELECT ${ATTACHMENT_COLUMNS} FROM {s}.attachments WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM done)`,
        [attachmentId, mimeType, completedAt],
      );
      return row === undefined ? null : attachmentFromRow(row);
    },

    async claimAttachmentPurge(now, limit, leaseMs) {
      // SKIP LOCKED: nodes purging at once take different rows, and a row a send is
      // claiming right now is left for the next round.
      const rows = await db.query<{ id: string; storage_key: string; created_at: string }>(
        `UPDATE {s}.attachments t SET status = 'purging', purge_lease_until = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
         FROM (
           SELECT id FROM {s}.attachments
           WHERE (status = 'purging' AND (purge_lease_until IS NULL OR purge_lease_until <= $1))
              OR (status <> 'purging' AND message_id IS NULL AND expires_at <= $1)
           ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
         ) due
         WHERE t.id = due.id
         RETURNING t.id, t.storage_key, t.created_at`,
        [now, limit, leaseMs],
      );
      return rows
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || (a.id < b.id ? -1 : 1))
        .map((row) => ({ id: row.id, storageKey: row.storage_key }));
    },

    async deleteAttachments(attachmentIds) {
      if (attachmentIds.length > 0) await db.query('DELETE FROM {s}.attachments WHERE id = ANY ($1::text[])', [attachmentIds]);
    },
  };
}
