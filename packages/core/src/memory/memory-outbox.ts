import type { OutboxStoreMethods } from '../adapters/chat-store.js';
import type { MemoryDatabase } from './memory-database.js';

/** The notification outbox of the memory store. */
export function memoryOutbox(db: MemoryDatabase): OutboxStoreMethods {
  return {
    async claimOutbox(now, limit, leaseMs) {
      const due = [...db.outbox.values()]
        .filter((e) => e.status === 'pending' && e.nextAttemptAt <= now)
        .sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt) || Number(a.id) - Number(b.id))
        .slice(0, limit);
      const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
      return due.map((entry) => {
        entry.attempts += 1;
        entry.nextAttemptAt = leaseUntil;
        return { id: entry.id, kind: entry.kind, messageId: entry.messageId, conversationId: entry.conversationId, attempts: entry.attempts, createdAt: entry.createdAt };
      });
    },

    async completeOutbox(ids) {
      for (const id of ids) db.outbox.delete(id);
    },

    async failOutbox(id, error, nextAttemptAt) {
      const entry = db.outbox.get(id);
      if (entry === undefined) return;
      entry.lastError = error;
      if (nextAttemptAt === null) entry.status = 'dead';
      else entry.nextAttemptAt = nextAttemptAt;
    },

    async outboxStats() {
      let pending = 0;
      let dead = 0;
      for (const entry of db.outbox.values()) {
        if (entry.status === 'dead') dead += 1;
        else pending += 1;
      }
      return { pending, dead };
    },
  };
}
