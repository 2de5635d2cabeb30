import type { ChatUser, UserProfile } from '@parley/core';
import type { Database } from 'better-sqlite3';

/**
 * The demo's own user directory, in the same SQLite file as the chat: pick or create a user
 * by name. A real host has its own users; Parley only needs `resolveUsers` from it.
 */
export class DemoUsers {
  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS demo_users (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL
    )`);
  }

  /** The user with this display name, created when new. */
  login(name: string): ChatUser {
    const clean = name.trim().replace(/\s+/g, ' ').slice(0, 40);
    const id = slug(clean);
    if (id === '') throw new Error('a name needs at least one letter or digit');
    this.db.prepare('INSERT OR IGNORE INTO demo_users (id, name, created_at) VALUES (?, ?, ?)').run(id, clean, new Date().toISOString());
    return this.get(id)!;
  }

  /** Registers a user known from a host token (PARLEY_JWT_SECRET), keeping the name current. */
  upsert(user: ChatUser): void {
    this.db
      .prepare('INSERT INTO demo_users (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name')
      .run(user.id, user.name, new Date().toISOString());
  }

  get(id: string): ChatUser | null {
    const row = this.db.prepare('SELECT id, name FROM demo_users WHERE id = ?').get(id) as { id: string; name: string } | undefined;
    return row === undefined ? null : { id: row.id, name: row.name, status: 'active' };
  }

  list(): UserProfile[] {
    return this.db.prepare('SELECT id, name FROM demo_users ORDER BY name').all() as UserProfile[];
  }

  resolve = async (ids: string[]): Promise<UserProfile[]> => {
    if (ids.length === 0) return [];
    return this.db.prepare('SELECT id, name FROM demo_users WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as UserProfile[];
  };
}

function slug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}
