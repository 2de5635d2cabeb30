import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createPostgresStore } from '@parley/adapter-postgres';
import { createRedisBroker, createRedisPresence, createRedisRateLimiter } from '@parley/adapter-redis';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createChatServices, RealtimeHub } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket, jwtAuthenticator } from '@parley/transport-ws';
import Koa from 'koa';

/** Parley inside a Koa app: the REST API under /api, the WebSocket endpoint at /chat. */
export async function startKoaApp(options: { secret: string; port?: number; filename?: string; databaseUrl?: string; redisUrl?: string; schema?: string }) {
  // SQLite and one process by default; Postgres and Redis (several nodes) when given their URLs.
  const store = options.databaseUrl
    ? createPostgresStore({ connectionString: options.databaseUrl, ...(options.schema ? { schema: options.schema } : {}) })
    : createSqliteStore({ filename: options.filename ?? ':memory:' });
  const redis = options.redisUrl ? { url: options.redisUrl, prefix: `${options.schema ?? 'parley'}:` } : null;
  const chat = createChatServices({ store, ...(redis ? { presence: createRedisPresence(redis), rateLimiter: createRedisRateLimiter(redis) } : {}) });
  const hub = new RealtimeHub({ services: chat, ...(redis ? { broker: createRedisBroker(redis) } : {}) });
  const authenticate = jwtAuthenticator({ secret: options.secret, algorithms: ['HS256'] });
  const api = createHttpHandler(chat, { authenticate, hub, basePath: '/api' }); // Koa passes full paths

  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.path !== '/api' && !ctx.path.startsWith('/api/')) return next();
    ctx.respond = false; // Parley writes the response itself
    api(ctx.req, ctx.res);
  });
  app.use((ctx) => {
    ctx.body = 'A Koa app with Parley at /api and /chat';
  });

  const server = createServer(app.callback()); // the WebSocket needs the server, not the app
  const ws = attachWebSocket(hub, { server, path: '/chat', authenticate });
  await new Promise<void>((resolve) => server.listen(options.port ?? 3000, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async close() {
      await ws.close();
      await hub.close();
      await chat.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await startKoaApp({
    secret: process.env.PARLEY_JWT_SECRET ?? 'change-me-to-a-long-secret',
    port: Number(process.env.PORT ?? 3000),
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
  });
  process.stdout.write(`Koa app with Parley on ${app.url}\n`);
}
