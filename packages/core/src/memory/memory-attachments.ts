import type { AttachmentStoreMethods } from '../adapters/chat-store.js';
import type { AttachmentRecord } from '../domain/types.js';
import type { AttachmentRow, MemoryDatabase } from './memory-database.js';

/** Uploaded files' rows in the memory store. */
export function memoryAttachments(db: MemoryDatabase): AttachmentStoreMethods {
  const present = ({ purgeLeaseUntil: _lease, ...record }: AttachmentRow): AttachmentRecord => ({ ...record });

  return {
    async createAttachment(record) {
      db.attachments.set(record.id, { ...record, purgeLeaseUntil: null });
    },

    async getAttachment(attachmentId) {
      const row = db.attachments.get(attachmentId);
      return row === undefined ? null : present(row);
    },

    async completeAttachment(attachmentId, mimeType, completedAt) {
      const row = db.attachments.get(attachmentId);
      if (row === undefined) return null;
      if (row.status === 'pending') {
        row.status = 'complete';
        row.mimeType = mimeType;
        row.completedAt = completedAt;
      }
      return present(row);
    },

    async claimAttachmentPurge(now, limit, leaseMs) {
      const due = [...db.attachments.values()]
        .filter((row) =>
          row.status === 'purging'
            ? row.purgeLeaseUntil === null || row.purgeLeaseUntil <= now
            : row.messageId === null && row.expiresAt <= now,
        )
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : 1))
        .slice(0, limit);
      const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
      return due.map((row) => {
        row.status = 'purging';
        row.purgeLeaseUntil = leaseUntil;
        return { id: row.id, storageKey: row.storageKey };
      });
    },

    async deleteAttachments(attachmentIds) {
      for (const id of attachmentIds) db.attachments.delete(id);
    },
  };
}
