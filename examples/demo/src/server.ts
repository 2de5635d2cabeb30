import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresStore } from '@parley/adapter-postgres';
import { createRedisBroker, createRedisPresence, createRedisRateLimiter } from '@parley/adapter-redis';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createLocalAttachmentStore } from '@parley/attachments-local';
import { createChatServices, RealtimeHub, type ChatLimits, type Logger } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket } from '@parley/transport-ws';
import BetterSqlite3 from 'better-sqlite3';
import { createDemoAuth } from './demo-auth.js';
import { loadDemoSecrets } from './demo-secrets.js';
import { DemoUsers } from './demo-users.js';

export interface DemoOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the demo hands out tokens to anyone, keep it on your machine. */
  host?: string;
  /** Where parley.db lives. Default ./data. */
  dataDir?: string;
  /** Also accept HS256 tokens signed with this secret. Default: PARLEY_JWT_SECRET. */
  jwtSecret?: string;
  /** Store chat in Postgres instead of ./data/parley.db (the demo's user list stays in ./data). */
  databaseUrl?: string;
  /** Presence, fan-out and limits in Redis, so several demo processes can run side by side. */
  redisUrl?: string;
  /** Overrides of Parley's limits (tests use a small message rate). */
  limits?: Partial<ChatLimits>;
  logger?: Logger;
}

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
/** The page's script, bundled from web/ by scripts/build.mjs (the same path from src/ and dist/). */
const bundleDir = fileURLToPath(new URL('../dist/public/', import.meta.url));

/** Only these files are served; nothing else on disk is reachable. */
const PUBLIC_FILES: Record<string, { dir: string; file: string; type: string }> = {
  '/': { dir: publicDir, file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { dir: publicDir, file: 'index.html', type: 'text/html; charset=utf-8' },
  '/style.css': { dir: publicDir, file: 'style.css', type: 'text/css; charset=utf-8' },
  '/app.js': { dir: bundleDir, file: 'app.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * No inline script can run, whatever a message contains. Images: the page's own origin (the
 * signed download links are under /api/files) and the `blob:` URLs of thumbnails made in the
 * browser before an upload.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The demo behind the README quick start: SQLite on disk, in-memory presence, a chat page —
 * or Postgres and Redis when given their URLs.
 */
export async function startDemo(options: DemoOptions = {}) {
  const dataDir = resolve(options.dataDir ?? 'data');
  mkdirSync(dataDir, { recursive: true });
  const database = new BetterSqlite3(join(dataDir, 'parley.db'));
  const store = options.databaseUrl === undefined ? createSqliteStore({ database }) : createPostgresStore({ connectionString: options.databaseUrl });
  const redis = options.redisUrl === undefined ? null : { url: options.redisUrl };
  const users = new DemoUsers(database);
  const hostSecret = options.jwtSecret ?? process.env.PARLEY_JWT_SECRET;
  const secrets = loadDemoSecrets(dataDir, hostSecret);
  const logger = options.logger ? { logger: options.logger } : {};
  // Uploads on local disk under ./data/files, through the REST handler's signed /api/files links.
  const files = createLocalAttachmentStore({
    directory: join(dataDir, 'files'),
    publicUrl: '/api/files',
    secret: secrets.fileKey,
    ...(options.logger ? { onError: (error: unknown) => options.logger?.error('attachment storage failed', { error: String(error) }) } : {}),
  });
  const chat = createChatServices({
    store,
    resolveUsers: users.resolve,
    attachments: { storage: files },
    ...(options.limits ? { limits: options.limits } : {}),
    ...(redis === null ? {} : { presence: createRedisPresence(redis), rateLimiter: createRedisRateLimiter(redis) }),
    ...logger,
  });
  await chat.ready();
  const hub = new RealtimeHub({ services: chat, ...(redis === null ? {} : { broker: createRedisBroker(redis) }), ...logger });
  const auth = createDemoAuth(users, hostSecret, secrets.tokenKey);
  const api = createHttpHandler(chat, { authenticate: auth.authenticate, hub, basePath: '/api' });

  const demoRoutes = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (req.method === 'POST' && path === '/demo/login') {
      const body = await readSmallJson(req);
      const name = typeof body.name === 'string' ? body.name : '';
      let user;
      try {
        user = users.login(name);
      } catch (error) {
        json(res, 400, { error: { code: 'VALIDATION_FAILED', message: (error as Error).message, details: { field: 'name' } } });
        return true;
      }
      json(res, 200, { user, token: await auth.issue(user), notice: 'Demo token: anyone can sign in as anyone. Not for production.' });
      return true;
    }
    if (req.method === 'GET' && path === '/demo/users') {
      json(res, 200, users.list());
      return true;
    }
    if (req.method === 'GET' && path === '/demo/config') {
      const { maxContentLength, maxAttachments, maxAttachmentBytes, messageRate } = chat.limits;
      json(res, 200, { limits: { maxContentLength, maxAttachments, maxAttachmentBytes, messageRate }, uploads: chat.attachments.enabled });
      return true;
    }
    if (req.method === 'GET' && path === '/demo/online') {
      json(res, 200, await hub.getOnlineUsers());
      return true;
    }
    const asset = req.method === 'GET' ? PUBLIC_FILES[path] : undefined;
    if (asset !== undefined) {
      let content: Buffer;
      try {
        content = readFileSync(join(asset.dir, asset.file));
      } catch {
        json(res, 503, { error: { code: 'UNAVAILABLE', message: `${asset.file} is not built yet: run npm start (or node examples/demo/scripts/build.mjs)` } });
        return true;
      }
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
      res.end(content);
      return true;
    }
    return false;
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/api' || path.startsWith('/api/')) return api(req, res);
    demoRoutes(req, res, path)
      .then((handled) => {
        if (!handled) json(res, 404, { error: { code: 'NOT_FOUND', message: `No route ${req.method} ${path}` } });
      })
      .catch(() => json(res, 400, { error: { code: 'VALIDATION_FAILED', message: 'Bad request', details: { field: 'body' } } }));
  });
  const ws = attachWebSocket(hub, { server, path: '/chat', authenticate: auth.authenticate });
  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
  } catch (error) {
    // Nothing may stay open when the port is taken: the caller prints one line and exits.
    await ws.close(0).catch(() => undefined);
    await hub.close();
    await chat.close();
    database.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://localhost:${port}`,
    port,
    chat,
    hub,
    async close() {
      await ws.close(2_000);
      await hub.close();
      await chat.close();
      database.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readSmallJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > 4096) throw new Error('body too large');
  }
  const value: unknown = text === '' ? {} : JSON.parse(text);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
