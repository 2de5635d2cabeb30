import type { ChatStore } from '../adapters/chat-store.js';
import { memoryAttachments } from './memory-attachments.js';
import { memoryModeration } from './memory-moderation.js';
import { memoryConversations } from './memory-conversations.js';
import { createMemoryDatabase, MemoryRows, type MemoryDatabase } from './memory-database.js';
import { memoryMessages } from './memory-messages.js';
import { memoryOutbox } from './memory-outbox.js';
import { memoryRetention } from './memory-retention.js';
import { memoryPins } from './memory-pins.js';
import { memorySearch } from './memory-search.js';
import { memoryThreads } from './memory-threads.js';
import { memoryWebhooks } from './memory-webhooks.js';

export interface MemoryStoreOptions {
  /** Tables to share with other memory stores, as connections share one database. Default: new ones. */
  database?: MemoryDatabase;
}

/**
 * The reference ChatStore: plain maps, no I/O. Every method completes without awaiting, so
 * each is atomic with respect to every other call on the same database, as a transaction
 * would be. Rows are copied on the way in and out so callers never mutate stored state.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): ChatStore {
  const db = options.database ?? createMemoryDatabase();
  const rows = new MemoryRows(db);
  return {
    ...memoryConversations(rows),
    ...memoryMessages(rows),
    ...memoryThreads(rows),
    ...memorySearch(rows),
    ...memoryOutbox(db),
    ...memoryAttachments(db),
    ...memoryModeration(db),
    ...memoryRetention(rows),
    ...memoryPins(rows),
    ...memoryWebhooks(db),
    async ping() {},
  };
}

export { createMemoryDatabase, type MemoryDatabase };
