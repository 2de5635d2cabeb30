import type { WebhookDelivery, WebhookStoreMethods } from '../adapters/chat-store.js';
import { webhookKey, type MemoryDatabase } from './memory-database.js';

const byCreated = (a: WebhookDelivery, b: WebhookDelivery) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

/** The webhook deliveries of the memory store. */
export function memoryWebhooks(db: MemoryDatabase): WebhookStoreMethods {
  return {
    async claimWebhookDeliveries(now, limit, leaseMs) {
      const due = [...db.webhooks.values()]
        .filter((d) => d.status === 'pending' && d.nextAttemptAt <= now)
        .sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt) || a.id.localeCompare(b.id))
        .slice(0, limit);
      const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
      return due.map((d) => {
        d.attempts += 1;
        d.nextAttemptAt = leaseUntil;
        return { ...d };
      });
    },

    async completeWebhookDelivery(id, deliveredAt) {
      const d = db.webhooks.get(id);
      if (d === undefined || d.status !== 'pending') return false;
      d.status = 'delivered';
      d.deliveredAt = deliveredAt;
      return true;
    },

    async failWebhookDelivery(id, attempt, error, nextAttemptAt) {
      const d = db.webhooks.get(id);
      if (d === undefined || d.status !== 'pending' || d.attempts !== attempt) return false;
      d.lastError = error;
      if (nextAttemptAt === null) d.status = 'dead';
      else d.nextAttemptAt = nextAttemptAt;
      return true;
    },

    async listWebhookDeliveries(query) {
      const after = query.after;
      return [...db.webhooks.values()]
        .filter((d) => query.status === undefined || d.status === query.status)
        .filter((d) => after === undefined || d.createdAt > after.createdAt || (d.createdAt === after.createdAt && d.id > after.id))
        .sort(byCreated)
        .slice(0, query.limit)
        .map((d) => ({ ...d }));
    },

    async getWebhookDelivery(id) {
      const d = db.webhooks.get(id);
      return d === undefined ? null : { ...d };
    },

    async redeliverWebhook(id, now) {
      const d = db.webhooks.get(id);
      if (d === undefined || d.status === 'pending') return null;
      Object.assign(d, { status: 'pending', attempts: 0, nextAttemptAt: now, deliveredAt: null });
      return { ...d };
    },

    async pruneWebhookDeliveries(before, limit) {
      const old = [...db.webhooks.values()]
        .filter((d) => d.status === 'delivered' && d.deliveredAt !== null && d.deliveredAt < before)
        .sort(byCreated)
        .slice(0, limit);
      for (const d of old) {
        db.webhooks.delete(d.id);
        db.webhookKeys.delete(webhookKey(d));
      }
      return old.length;
    },
  };
}
