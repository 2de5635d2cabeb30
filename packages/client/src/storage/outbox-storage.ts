import type { SendMessageData } from '@parley/core/protocol';

/** A message as the app sends it, without the ids the outbox adds. */
export type OutgoingMessage = Omit<SendMessageData, 'conversationId' | 'tempId' | 'clientMessageId'>;

/** A send kept until the server has stored it, as storage holds it. */
export interface OutboxRecord {
  clientMessageId: string;
  conversationId: string;
  /** Whose send it is, once known: a record of another user is never sent on this user's socket. */
  userId: string | null;
  message: OutgoingMessage;
  createdAt: string;
  /** Sends go out in this order (ascending), across reloads. */
  order: number;
  /** Set when the server refused it for good. */
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
}

/**
 * Where the outbox keeps its sends so they survive a reload. Operations of one outbox arrive
 * one at a time, in order. `memoryStorage` is the default; browsers use `localStorageOutbox`
 * or `indexedDbOutbox`.
 */
export interface OutboxStorage {
  load(): Promise<OutboxRecord[]>;
  save(record: OutboxRecord): Promise<void>;
  remove(clientMessageId: string): Promise<void>;
}

/**
 * Keeps records in memory: they survive reconnects, not the process. Pass the same instance to
 * a new client to hand over its sends (what a test of a "reload" does).
 */
export function memoryStorage(): OutboxStorage {
  const records = new Map<string, OutboxRecord>();
  return {
    load: async () => [...records.values()].map((r) => structuredClone(r)),
    save: async (record) => void records.set(record.clientMessageId, structuredClone(record)),
    remove: async (id) => void records.delete(id),
  };
}
