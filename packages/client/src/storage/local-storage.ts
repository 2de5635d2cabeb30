import type { OutboxRecord, OutboxStorage } from './outbox-storage.js';

/** The part of the Web Storage API used (`window.localStorage`). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface LocalStorageOutboxOptions {
  /** Default: the global `localStorage`. */
  storage?: StorageLike;
  /** Default `parley:outbox`. Use one key per signed-in user when a browser may hold several. */
  key?: string;
}

/**
 * The outbox in `localStorage`, as one JSON array under one key. Writes are synchronous, so a
 * send is on disk before `sendMessage()` returns: the safest choice against a reload. Fine for
 * the handful of sends an outbox holds; `localStorage` is small (about 5 MB).
 */
export function localStorageOutbox(options: LocalStorageOutboxOptions = {}): OutboxStorage {
  const key = options.key ?? 'parley:outbox';
  const storage = () => {
    const s = options.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
    if (s === undefined) throw new Error('localStorageOutbox: no localStorage here; pass { storage }');
    return s;
  };
  const read = (): OutboxRecord[] => {
    const text = storage().getItem(key);
    if (text === null) return [];
    try {
      const value = JSON.parse(text) as unknown;
      return Array.isArray(value) ? (value as OutboxRecord[]) : [];
    } catch {
      return [];
    }
  };
  const write = (records: OutboxRecord[]) => storage().setItem(key, JSON.stringify(records));
  return {
    load: async () => read(),
    save: async (record) => write([...read().filter((r) => r.clientMessageId !== record.clientMessageId), record]),
    remove: async (id) => write(read().filter((r) => r.clientMessageId !== id)),
  };
}
