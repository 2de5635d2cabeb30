import type { Database, Statement } from 'better-sqlite3';
import { ReactionLoader } from './rows.js';
import { SearchIndexer } from './search-indexer.js';
import { statementCache } from './statement-cache.js';

/** What every part of the SQLite store shares: the connection, its prepared statements, the reaction loader. */
export interface SqliteContext {
  db: Database;
  /** Prepares a statement once per distinct text. */
  sql: (text: string) => Statement;
  reactions: ReactionLoader;
  /** The FTS index, kept current after the sends' commits (see SearchIndexer). */
  search: SearchIndexer;
}

export function createSqliteContext(db: Database, searchDelayMs: number): SqliteContext {
  return { db, sql: statementCache(db), reactions: new ReactionLoader(db), search: new SearchIndexer(db, searchDelayMs) };
}

/** A message is visible to `@viewer` unless they hid it (deleted for me). */
export const VISIBLE = 'NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.message_id = m.id AND h.user_id = @viewer)';
