import type { OutboxRecord, OutboxStorage } from './outbox-storage.js';

/** The few IndexedDB shapes used here (typed locally: the client builds without DOM types). */
interface IdbRequest<T = unknown> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string, options: { keyPath: string }): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
}
interface IdbTransaction {
  objectStore(name: string): { getAll(): IdbRequest<OutboxRecord[]>; put(value: unknown): IdbRequest; delete(key: string): IdbRequest };
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
export interface IdbFactoryLike {
  open(name: string, version?: number): unknown;
}

export interface IndexedDbOutboxOptions {
  /** Default: the global `indexedDB`. */
  indexedDB?: IdbFactoryLike;
  /** Default `parley`. Use one database per signed-in user when a browser may hold several. */
  databaseName?: string;
  /** Default `outbox`. */
  storeName?: string;
}

/**
 * The outbox in IndexedDB: one record per send, keyed by `clientMessageId`. Writes complete
 * asynchronously, so a reload within a few milliseconds of a send can miss it; prefer
 * `localStorageOutbox` when that matters more than space.
 */
export function indexedDbOutbox(options: IndexedDbOutboxOptions = {}): OutboxStorage {
  const storeName = options.storeName ?? 'outbox';
  let database: Promise<IdbDatabase> | null = null;
  const open = (): Promise<IdbDatabase> => {
    database ??= new Promise<IdbDatabase>((resolve, reject) => {
      const factory = options.indexedDB ?? (globalThis as { indexedDB?: IdbFactoryLike }).indexedDB;
      if (factory === undefined) throw new Error('indexedDbOutbox: no indexedDB here; pass { indexedDB }');
      const request = factory.open(options.databaseName ?? 'parley', 1) as IdbOpenRequest;
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(storeName)) request.result.createObjectStore(storeName, { keyPath: 'clientMessageId' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return database;
  };
  const run = async <T>(mode: 'readonly' | 'readwrite', act: (store: ReturnType<IdbTransaction['objectStore']>) => IdbRequest<T>): Promise<T> => {
    const db = await open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const request = act(tx.objectStore(storeName));
      // Resolve once the transaction is durable, not when the request alone succeeded.
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  };
  return {
    load: () => run('readonly', (store) => store.getAll()),
    save: async (record) => void (await run('readwrite', (store) => store.put(record))),
    remove: async (id) => void (await run('readwrite', (store) => store.delete(id))),
  };
}
