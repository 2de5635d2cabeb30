import { join } from 'node:path';
import type { SqliteStore } from '@parley/adapter-sqlite';

/** A consistent copy of the live database, taken while Parley keeps serving. */
export async function backUpSqlite(store: SqliteStore, folder: string): Promise<string> {
  const file = join(folder, `chat-${new Date().toISOString().replace(/[:.]/g, '-')}.db`);
  await store.database.backup(file); // SQLite's online backup, a few pages at a time: the WAL's content is included
  return file;
}
