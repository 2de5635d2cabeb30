import type { PinHistoryStoreMethods } from '../adapters/chat-store.js';
import type { PinRecord } from '../domain/pins.js';
import type { MemoryRows } from './memory-database.js';

const inForce = (pin: PinRecord, at: string) => pin.expiresAt === null || pin.expiresAt > at;

/** Newest first: pinnedAt, then messageId, descending — the order every store lists pins in. */
const newestFirst = (a: PinRecord, b: PinRecord) =>
  a.pinnedAt < b.pinnedAt ? 1 : a.pinnedAt > b.pinnedAt ? -1 : a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0;

/** Pins and edit history of the memory store. */
export function memoryPins(rows: MemoryRows): PinHistoryStoreMethods {
  const { db } = rows;

  return {
    async pinMessage(pin, maxPins) {
      const message = db.messages.get(pin.messageId);
      if (message === undefined || message.conversationId !== pin.conversationId || message.deletedForEveryone) return { status: 'not_found' };
      let pins = db.pins.get(pin.conversationId);
      if (pins === undefined) {
        pins = new Map();
        db.pins.set(pin.conversationId, pins);
      }
      for (const [id, existing] of pins) if (!inForce(existing, pin.pinnedAt)) pins.delete(id);
      const replaced = pins.has(pin.messageId);
      if (!replaced && pins.size >= maxPins) return { status: 'limit' };
      pins.set(pin.messageId, { ...pin });
      return { status: 'pinned', pin: { ...pin, message: rows.present(message) }, replaced };
    },

    async unpinMessage(messageId, now) {
      const message = db.messages.get(messageId);
      const pins = message === undefined ? undefined : db.pins.get(message.conversationId);
      const pin = pins?.get(messageId);
      if (pins === undefined || pin === undefined) return null;
      pins.delete(messageId);
      return inForce(pin, now) ? { ...pin } : null;
    },

    async listPins(conversationId, now) {
      return [...(db.pins.get(conversationId)?.values() ?? [])]
        .filter((pin) => inForce(pin, now) && db.messages.has(pin.messageId))
        .sort(newestFirst)
        .map((pin) => ({ ...pin, message: rows.present(db.messages.get(pin.messageId)!) }));
    },

    async listMessageHistory(messageId, offset, limit) {
      return (db.edits.get(messageId) ?? []).slice(offset, offset + limit).map((version) => ({ ...version }));
    },
  };
}
