import { createSqliteStore } from '@parley/adapter-sqlite';
import { createMemoryStore, type ChatStore } from '@parley/core';
import { DATABASE_URL, postgresUnavailable } from '../../../test-support/services.js';

/** A store under test, and what to do once done with it. */
export interface StoreUnderTest {
  store: ChatStore;
  cleanup(): Promise<void>;
}

/**
 * The stores every cross-store suite runs on: memory, SQLite, and Postgres in a schema of its
 * own (null when Postgres is down: the suite says so and skips, or fails under
 * PARLEY_REQUIRE_SERVICES=1).
 */
export const STORES: Array<[string, () => Promise<StoreUnderTest | null>]> = [
  ['memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} })],
  ['sqlite', async () => ({ store: createSqliteStore({ filename: ':memory:' }), cleanup: async () => {} })],
  [
    'postgres',
    async () => {
      const down = await postgresUnavailable();
      if (down !== null) {
        if (process.env.PARLEY_REQUIRE_SERVICES === '1') throw new Error(`${down} (PARLEY_REQUIRE_SERVICES=1)`);
        console.warn(`skipping the Postgres run: ${down}`);
        return null;
      }
      const { createPostgresStore } = await import('@parley/adapter-postgres');
      const schema = `http_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
      return {
        store: createPostgresStore({ connectionString: DATABASE_URL, schema, maxConnections: 4 }),
        async cleanup() {
          const pg = (await import('pg')).default;
          const db = new pg.Client({ connectionString: DATABASE_URL });
          await db.connect();
          await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await db.end();
        },
      };
    },
  ],
];
