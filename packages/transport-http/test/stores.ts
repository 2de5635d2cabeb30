import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
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
  options: Pick<ChatServicesOptions, 'attachments' | 'hooks' | 'capabilities'> = {},
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

type Json = Record<string, any>;

/** A server on one store for a `describe` block: started before its tests, closed after. */
export interface ApiFixture {
  /** True when the store is not there (Postgres down without PARLEY_REQUIRE_SERVICES): each test returns at once. */
  readonly skipped: boolean;
  readonly chat: ChatServices;
  readonly base: string;
  /** A REST call as `user` (the bearer token), answering the status and the JSON body. */
  api(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }>;
}

/**
 * Registers beforeAll/afterAll for a server on `make`'s store; `options` is called in
 * beforeAll, so it may create what the server needs (a folder, a storage).
 */
export function useApiServer(
  make: () => Promise<StoreUnderTest | null>,
  authenticate: Authenticate,
  options: () => Pick<ChatServicesOptions, 'attachments' | 'hooks' | 'capabilities'> = () => ({}),
): ApiFixture {
  let running: ApiServer | null = null;
  let skipped = false;
  beforeAll(async () => {
    running = await startApiServer(make, authenticate, options());
    skipped = running === null;
  });
  afterAll(async () => {
    await running?.close();
  });
  const server = () => {
    if (running === null) throw new Error('the API server is not running');
    return running;
  };
  return {
    get skipped() {
      return skipped;
    },
    get chat() {
      return server().chat;
    },
    get base() {
      return server().base;
    },
    async api(user, method, path, body) {
      const res = await fetch(`${server().base}${path}`, {
        method,
        headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Json };
    },
  };
}
