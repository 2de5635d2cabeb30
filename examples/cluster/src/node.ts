import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createPostgresStore } from '@parley/adapter-postgres';
import { createRedisBroker, createRedisPresence, createRedisRateLimiter } from '@parley/adapter-redis';
import { createChatServices, RealtimeHub, type ChatLimits } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket, jwtAuthenticator } from '@parley/transport-ws';

export interface ClusterNodeOptions {
  databaseUrl: string;
  redisUrl: string;
  secret: string;
  port?: number;
  nodeId?: string;
  /** Postgres schema and Redis key prefix: nodes of one cluster share both. */
  schema?: string;
  prefix?: string;
  heartbeatIntervalMs?: number;
  nodeTtlMs?: number;
  limits?: Partial<ChatLimits>;
}

/**
 * One node of a Parley cluster: any number of these share one Postgres and one Redis, behind
 * any load balancer — no sticky sessions needed (SPEC §5, "Multi-node"). REST under /api,
 * WebSocket at /chat, JWT authentication.
 */
export async function startClusterNode(options: ClusterNodeOptions) {
  const redis = { url: options.redisUrl, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) };
  const chat = createChatServices({
    store: createPostgresStore({ connectionString: options.databaseUrl, ...(options.schema === undefined ? {} : { schema: options.schema }) }),
    presence: createRedisPresence(redis),
    rateLimiter: createRedisRateLimiter(redis),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  await chat.ready(); // migrations (safe when nodes start together)
  const hub = new RealtimeHub({
    services: chat,
    broker: createRedisBroker(redis),
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
    ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    ...(options.nodeTtlMs === undefined ? {} : { nodeTtlMs: options.nodeTtlMs }),
  });
  const authenticate = jwtAuthenticator({ secret: options.secret, algorithms: ['HS256'] });
  const api = createHttpHandler(chat, { authenticate, hub, basePath: '/api' });
  const server = createServer((req, res) =>
    api(req, res, () => {
      res.statusCode = 404;
      res.end();
    }),
  );
  const ws = attachWebSocket(hub, { server, path: '/chat', authenticate });
  await new Promise<void>((resolve) => server.listen(options.port ?? 3000, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    nodeId: hub.nodeId,
    /** Shutdown order: stop taking frames and answer those taken, then the hub, then storage. */
    async close() {
      await ws.close();
      await hub.close();
      await chat.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env;
  const number = (name: string) => (env[name] === undefined ? undefined : Number(env[name]));
  const messageRate = number('PARLEY_MESSAGE_RATE');
  const node = await startClusterNode({
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    secret: env.PARLEY_JWT_SECRET ?? 'change-me-to-a-long-secret-of-32-chars',
    port: number('PORT') ?? 3000,
    ...(env.PARLEY_NODE_ID === undefined ? {} : { nodeId: env.PARLEY_NODE_ID }),
    ...(env.PARLEY_SCHEMA === undefined ? {} : { schema: env.PARLEY_SCHEMA }),
    ...(env.PARLEY_REDIS_PREFIX === undefined ? {} : { prefix: env.PARLEY_REDIS_PREFIX }),
    ...(number('PARLEY_HEARTBEAT_MS') === undefined ? {} : { heartbeatIntervalMs: number('PARLEY_HEARTBEAT_MS')! }),
    ...(number('PARLEY_NODE_TTL_MS') === undefined ? {} : { nodeTtlMs: number('PARLEY_NODE_TTL_MS')! }),
    ...(messageRate === undefined ? {} : { limits: { messageRate: { limit: messageRate, windowMs: 10_000 } } }),
  });
  process.stdout.write(`Parley node ${node.nodeId} listening on ${node.url}\n`);
  const stop = () => void node.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
