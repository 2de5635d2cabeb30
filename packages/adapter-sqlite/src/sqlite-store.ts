import type { ChatStore } from '@parley/core';
import { classifyStoreFailures, foldText } from '@parley/core/adapter-kit';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { classifySqliteFailure } from './failures.js';
import { migrate } from './migrations.js';
import { createSqliteContext } from './sqlite-context.js';
import { sqliteAttachments } from './sqlite-attachments.js';
import { sqliteModeration } from './sqlite-moderation.js';
import { sqliteConversations } from './sqlite-conversations.js';
import { sqliteMessages } from './sqlite-messages.js';
import { sqliteThreads } from './sqlite-threads.js';
import { sqliteOutbox } from './sqlite-outbox.js';
import { sqliteRetention } from './sqlite-retention.js';
import { sqlitePins } from './sqlite-pins.js';
import { sqliteWebhooks } from './sqlite-webhooks.js';
import { startWalCheckpointer } from './wal-checkpointer.js';
import { sqliteSearch } from './search.js';

export interface SqliteStoreOptions {
  /** A database file (created when missing, with its folder) or `:memory:`. Ignored when `database` is given. */
  filename?: string;
  /** A better-sqlite3 database the host owns; Parley then never closes it. */
  database?: Database;
  /** How long a writer waits for another connection's lock before failing. Default 5 s. */
  busyTimeoutMs?: number;
  /**
   * `FULL` (default) syncs the WAL on every commit, so an acknowledged message survives a
   * power loss or OS crash; sends are group-committed, so that is one sync per batch.
   * `NORMAL` is faster and still safe against a process crash, not against power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * New messages are added to the search index in one batch this long after the first send
   * of a burst, outside the sends' transactions. Searches are current regardless: a search
   * indexes what is still pending first. Default 50 ms.
   */
  searchIndexDelayMs?: number;
  /**
   * Who copies the write-ahead log back into the database file. `background` (the default for
   * a file Parley opens): a worker thread, every `checkpointIntervalMs`, so that no send batch
   * pays for it on the event loop; the store's connection checkpoints itself only past a far
   * backstop. `inline`: SQLite's default, inside the commit that crosses 1,000 pages. A
   * database the host passes in (`database`) keeps the host's settings. Each store with
   * background checkpoints has its own worker thread (a few MB): a host with many SQLite
   * files in one process may prefer `inline`.
   */
  checkpoints?: 'background' | 'inline';
  /** How often the background checkpoint runs. Default 200 ms. */
  checkpointIntervalMs?: number;
}

export interface SqliteStore extends ChatStore {
  /** The underlying database, for the host's own queries and for tests. */
  readonly database: Database;
  /** Indexes every committed message not yet in the search index now (searches do this themselves). */
  flushSearch(): void;
}

/**
 * ChatStore on better-sqlite3: WAL, versioned migrations on open, prepared statements for
 * every hot query, FTS5 search. better-sqlite3 is synchronous, so each method runs to
 * completion inside its promise; every write that spans a read runs in one IMMEDIATE
 * transaction, which holds the database's write lock — so several connections, in one
 * process or several, sharing one file keep every invariant (see the README).
 */
export function createSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  const owned = options.database === undefined;
  const filename = options.filename ?? ':memory:';
  // `./data/chat.db` on a fresh checkout: make the folder rather than fail on it.
  if (owned && filename !== ':memory:' && filename !== '' && !filename.startsWith('file:')) mkdirSync(dirname(resolve(filename)), { recursive: true });
  const db = options.database ?? new BetterSqlite3(filename);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5_000}`);
  if (!db.memory) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  // JavaScript's folding, so that search and list filters agree with the other stores.
  db.function('parley_fold', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? foldText(text) : null));
  db.function('parley_lower', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : null));
  migrate(db);
  const checkpointer =
    owned && !db.memory && !db.name.startsWith('file:') && (options.checkpoints ?? 'background') === 'background'
      ? startWalCheckpointer(db, {
          // Absolute: the worker opens the file after this call returns, whatever the cwd is then.
          filename: resolve(db.name),
          synchronous: options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL',
          intervalMs: options.checkpointIntervalMs ?? 200,
          onError: (message) => process.emitWarning(message, 'ParleySqliteCheckpoint'),
        })
      : null;

  const context = createSqliteContext(db, options.searchIndexDelayMs ?? 50);
  const store: ChatStore = classifyStoreFailures(
    {
      ...sqliteConversations(context),
      ...sqliteMessages(context),
      ...sqliteThreads(context),
      ...sqliteSearch(context),
      ...sqliteOutbox(context),
      ...sqliteAttachments(context),
      ...sqliteModeration(context),
      ...sqliteRetention(context),
      ...sqlitePins(context),
      ...sqliteWebhooks(context),
      async ping() {
        context.sql('SELECT 1').get();
      },
      async close() {
        context.search.close();
        await checkpointer?.stop();
        if (!db.open) return;
        try {
          context.search.flush();
        } catch {
          // Nothing is lost: the next open (or search) indexes what is pending.
        }
        if (owned) db.close();
      },
    },
    classifySqliteFailure,
  );
  return Object.assign(store, { database: db, flushSearch: () => context.search.flush() });
}
