import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createChatServices, createMemoryStore, RealtimeHub, type Authenticate, type ChatServices, type ChatServicesOptions, type ChatStore } from '@parley/core';
import { attachWebSocket } from '@parley/transport-ws';
import { createHttpHandler } from '../src/index.js';
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

/** REST and WebSocket on one server over `store`, with limits out of the way; null when the store is not there. */
export interface ApiServer {
  chat: ChatServices;
  base: string;
  close(): Promise<void>;
}

export async function startApiServer(
  make: () => Promise<StoreUnderTest | null>,
  authenticate: Authenticate,
  options: Pick<ChatServicesOptions, 'attachments' | 'now' | 'retention'> = {},
): Promise<ApiServer | null> {
  const made = await make();
  if (made === null) return null;
  const chat = createChatServices({ store: made.store, limits: { messageRate: { limit: 100_000, windowMs: 1_000 } }, ...options });
  const hub = new RealtimeHub({ services: chat, rateLimits: { frames: 100_000, userFrames: 100_000 } });
  const api = createHttpHandler(chat, { authenticate, hub, writeRateLimit: false });
  const server: Server = createServer((req, res) => api(req, res));
  attachWebSocket(hub, { server, authenticate });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    chat,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await hub.close();
      await chat.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await made.cleanup();
    },
  };
}
