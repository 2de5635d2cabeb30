import { createPostgresStore } from '@parley/adapter-postgres';
import { createRedisPresence } from '@parley/adapter-redis';
import { createSqliteStore, type SqliteStore } from '@parley/adapter-sqlite';
import { createChatServices, createMemoryPresence, RealtimeHub, type Authenticate, type ChatStore, type NewMessage, type PresenceStore } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket } from '@parley/transport-ws';
import pg from 'pg';
import type { PresenceKind, ServerConfig, StoreKind } from '../ipc.js';
import { BENCH_ORIGIN, withoutSync, WS_PATH, type StartServer } from './contract.js';

/**
 * The real library, mounted as a host would: transport-ws + RealtimeHub + services + store +
 * presence, the REST handler with its prom-client metrics (so the hub's metric listeners are
 * on), the Origin allow-list, and rate limits raised so the load is not refused — still
 * counted on every frame and message.
 */

interface StoreSetup {
  store: ChatStore;
  /** Runs the (unmeasured) setup made cheap, then puts the run's durability back. */
  setupAround: <T>(work: () => Promise<T>) => Promise<T>;
  /** What the store does not close itself (a pool the bench owns). */
  close?: () => Promise<void>;
}

/** Connections in the pool Parley's Postgres store uses in a run (the adapter's default). */
const PG_POOL_SIZE = 10;

/** How Parley stores data in a run. */
const stores: Record<StoreKind, (config: ServerConfig) => StoreSetup> = {
  sqlite(config) {
    if (config.durability === 'pg') throw new Error('SQLite runs need a durability of FULL or NORMAL');
    const durability = config.durability;
    const store: SqliteStore = createSqliteStore({ filename: config.filename, synchronous: durability });
    return { store, setupAround: (work) => withoutSync(store.database, durability, work) };
  },
  postgres(config) {
    if (config.databaseUrl === undefined || config.schema === undefined) throw new Error('a Postgres run needs databaseUrl and schema');
    // The bench's own pool, handed to the adapter (which then never ends it), so that setup can
    // run its sessions with synchronous_commit = off and put every one back to the default
    // (on: the WAL flushed before each commit returns) before anything is measured.
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: PG_POOL_SIZE });
    let setup = false;
    pool.on('connect', (client) => {
      if (setup) void client.query('SET synchronous_commit = off').catch(() => undefined);
    });
    /** Every connection the pool has (and up to its size), each checked out at once: none is missed. */
    const onEveryConnection = async (sql: string) => {
      const clients = await Promise.all(Array.from({ length: PG_POOL_SIZE }, () => pool.connect()));
      try {
        return await Promise.all(clients.map(async (client) => (await client.query(sql)).rows));
      } finally {
        for (const client of clients) client.release();
      }
    };
    const store = createPostgresStore({ pool, schema: config.schema });
    return {
      store,
      async setupAround(work) {
        setup = true;
        await onEveryConnection('SET synchronous_commit = off');
        try {
          const result = await work();
          // The planner's statistics, as autovacuum keeps them on a live database: without
          // them a schema filled a moment ago is planned as if empty (sequential scans of
          // members for every contact lookup, 25x slower in the storm).
          const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
          const { rows } = await pool.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1', [config.schema]);
          if (rows.length > 0) await pool.query(`ANALYZE ${rows.map((r) => `${quote(config.schema!)}.${quote(r.tablename)}`).join(', ')}`);
          return result;
        } finally {
          setup = false;
          await onEveryConnection('SET synchronous_commit TO DEFAULT');
          const settings = (await onEveryConnection('SHOW synchronous_commit')).map((rows) => (rows[0] as { synchronous_commit: string }).synchronous_commit);
          if (settings.some((value) => value !== 'on')) throw new Error(`synchronous_commit after setup: ${settings.join(', ')}; the bench measures at Postgres's default, on`);
        }
      },
      close: () => pool.end(),
    };
  },
};

/** Parley's presence in a run: in memory, or on Redis under the run's own key prefix. */
const presences: Record<PresenceKind, (config: ServerConfig) => PresenceStore> = {
  memory: () => createMemoryPresence(),
  redis(config) {
    if (config.redisUrl === undefined || config.redisPrefix === undefined) throw new Error('a Redis presence run needs redisUrl and redisPrefix');
    // Its own connection, closed by chat.close(); the runner deletes the prefix's keys afterwards.
    return createRedisPresence({ url: config.redisUrl, prefix: config.redisPrefix });
  },
};

/** Raised limits, as a host expecting this load would set them: far above what one client sends. */
export const BENCH_LIMITS = {
  messageRate: { limit: 100_000, windowMs: 1_000 },
  frames: { frames: 100_000, frameWindowMs: 1_000, userFrames: 100_000 },
};

/** A message as the services would hand it to the store (seeding skips the per-message checks). */
function seedMessage(conversationId: string, senderId: string, content: string, ms: number): NewMessage {
  return {
    id: `seed-${conversationId}-${ms}`,
    conversationId,
    senderId,
    type: 'text',
    content,
    replyToId: null,
    attachments: [],
    metadata: null,
    clientMessageId: null,
    createdAt: new Date(ms).toISOString(),
    notify: false,
  };
}

/** The bench's users are their tokens; a host would look a session up here. */
const authenticate: Authenticate = (token) => (token === null ? null : { id: token, name: token, status: 'active' });

export const startParley: StartServer = async (config, http) => {
  const { store, setupAround, close: closeStore } = stores[config.store](config);
  const chat = createChatServices({ store, presence: presences[config.presence](config), limits: { messageRate: BENCH_LIMITS.messageRate } });
  await chat.ready();
  const hub = new RealtimeHub({ services: chat, rateLimits: BENCH_LIMITS.frames });
  const api = createHttpHandler(chat, { authenticate, hub, basePath: '/api' });
  http.on('request', (req, res) =>
    api(req, res, () => {
      res.statusCode = 404;
      res.end();
    }),
  );
  // Every bench client comes from 127.0.0.1: the per-address cap (200 by default, added by
  // the hardening work after the harness) is raised as a host behind one proxy would raise it.
  const ws = attachWebSocket(hub, { server: http, path: WS_PATH, authenticate, allowedOrigins: [BENCH_ORIGIN], maxConnectionsPerAddress: 1_000_000 });

  return {
    async setup(seeds) {
      return setupAround(async () => {
        const ids: string[] = [];
        for (const seed of seeds) {
          const [owner, ...others] = seed.members as [string, ...string[]];
          const conversation =
            seed.type === 'direct'
              ? await chat.conversations.createDirectConversation(owner, others[0] as string)
              : await chat.conversations.createGroupConversation(owner, { name: `bench ${ids.length}`, memberIds: others });
          ids.push(conversation.id);
        }
        return ids;
      });
    },
    async seedThread(replies) {
      return setupAround(async () => {
        const [owner, other] = ['thread-owner', 'thread-member'];
        const { id } = await chat.conversations.createGroupConversation(owner, { name: 'long thread', memberIds: [other] });
        const root = await chat.messages.sendMessage(owner, { conversationId: id, content: 'the root of a long thread' });
        // Replies and timeline messages alternate, so each page of either has to pass the other's rows.
        const at = Date.now();
        for (let i = 0; i < replies; i += 250) {
          const batch = Array.from({ length: Math.min(250, replies - i) }, (_, k) => [
            { ...seedMessage(id, k % 2 === 0 ? other : owner, `reply ${i + k}`, at + 2 * (i + k)), threadId: root.id },
            seedMessage(id, owner, `timeline ${i + k}`, at + 2 * (i + k) + 1),
          ]).flat();
          await store.insertMessages(batch);
        }
        return { conversationId: id, threadId: root.id, userId: owner, replies, timeline: replies };
      });
    },
    async close() {
      await ws.close(1_000);
      api.metrics?.close();
      await hub.close();
      await chat.close();
      await closeStore?.();
    },
  };
};
