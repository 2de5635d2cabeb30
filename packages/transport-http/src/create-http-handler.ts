import type { IncomingMessage, ServerResponse } from 'node:http';
import { admitUser, bearerToken, ChatError, silentLogger, type Authenticate, type ChatServices, type ChatUser, type HubHealth, type Logger, type RealtimeHub } from '@parley/core';
import { z } from 'zod';
import { readJsonBody, sendError, sendJson, STATUS_BY_CODE } from './http-io.js';
import { createParleyMetrics, type ParleyMetrics } from './metrics.js';
import { chatRoutes } from './routes.js';
import { Router } from './router.js';

export interface HttpHandlerOptions {
  authenticate: Authenticate;
  /** Where the API lives when the handler sees full paths (Koa, plain node:http): `/api`. With
   * Express's `app.use('/api', handler)` Express strips the prefix, so leave it empty. */
  basePath?: string;
  /** The realtime hub, for /health and connection metrics. */
  hub?: RealtimeHub;
  /** Metrics to record into and serve at /metrics; `false` turns /metrics off. */
  metrics?: ParleyMetrics | false;
  /** Largest request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Requests that change state, per user, across nodes when the services' rate limiter is
   * shared (sends also count against the message limit). Default 120 per 60 s; `false` turns
   * it off.
   */
  writeRateLimit?: { limit: number; windowMs: number } | false;
  logger?: Logger;
}

/** `(req, res, next?)`: Express middleware, a Koa bridge, or a plain `node:http` listener. */
export type HttpHandler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void) & {
  metrics: ParleyMetrics | null;
};

const optionsSchema = z.object({
  authenticate: z.custom<Authenticate>((v) => typeof v === 'function', 'must be a function (token, request) => user | null'),
  basePath: z
    .string()
    .regex(/^(\/[^/]+)*$/, 'must be empty or start with / and not end with /')
    .default(''),
  maxBodyBytes: z.number().int().positive().default(1024 * 1024),
  writeRateLimit: z
    .union([z.literal(false), z.object({ limit: z.number().int().positive(), windowMs: z.number().int().positive() })])
    .default({ limit: 120, windowMs: 60_000 }),
});

/**
 * The REST API of SPEC §4 as a plain handler. Errors are `{ error: { code, message, details? } }`
 * with the status of their code; nothing a request sends can crash the process. Every state
 * change goes through the services, so it raises the same realtime events as over WebSocket.
 */
export function createHttpHandler(services: ChatServices, options: HttpHandlerOptions): HttpHandler {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ChatError(
      'VALIDATION_FAILED',
      `Invalid createHttpHandler options — ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const { basePath, maxBodyBytes, writeRateLimit } = parsed.data;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics === false ? null : (options.metrics ?? createParleyMetrics({ services, ...(options.hub ? { hub: options.hub } : {}) }));
  const router = new Router(chatRoutes(services, logger));

  const health = async (): Promise<HubHealth | Omit<HubHealth, 'nodeId' | 'connections'>> => {
    if (options.hub !== undefined) return options.hub.healthCheck();
    const storage = await services.storeHealth().then((h) => h.healthy, () => false);
    const presence = await services.presence.healthCheck().catch(() => false);
    return { status: !storage ? 'unhealthy' : presence ? 'healthy' : 'degraded', storage, presence, broker: true };
  };

  const authenticate = async (req: IncomingMessage): Promise<ChatUser> => {
    const token = bearerToken(req.headers.authorization);
    if (token === null) throw new ChatError('UNAUTHENTICATED', 'Send Authorization: Bearer <token>');
    let user: ChatUser | null;
    try {
      user = await options.authenticate(token, req);
    } catch (error) {
      if (error instanceof ChatError && error.code !== 'UNAUTHENTICATED') throw error;
      throw new ChatError('UNAUTHENTICATED', 'Invalid token');
    }
    return admitUser(user);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> => {
    const started = performance.now();
    // A storage serving its own upload and download links (local disk) answers those first:
    // they carry signed tokens instead of a bearer, and their bodies are files, not JSON.
    const files = services.attachments.storage;
    if (files?.handleHttpRequest !== undefined && (await files.handleHttpRequest(req, res))) {
      metrics?.observeHttp('files', (req.method ?? 'GET').toUpperCase(), res.statusCode, (performance.now() - started) / 1000);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = url.pathname;
    if (basePath !== '') {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) {
        if (next !== undefined) return next();
        return sendError(res, new ChatError('NOT_FOUND', `No route ${req.method} ${path}`));
      }
      path = path.slice(basePath.length) || '/';
    }
    const method = (req.method ?? 'GET').toUpperCase();
    let routeName = 'unmatched';
    let status = 500;
    try {
      if (path === '/health' && method === 'GET') {
        routeName = 'health';
        const report = await health();
        status = report.status === 'unhealthy' ? 503 : 200;
        return sendJson(res, status, report);
      }
      if (path === '/metrics' && method === 'GET' && metrics !== null) {
        routeName = 'metrics';
        status = 200;
        const text = await metrics.render();
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(text);
        return;
      }
      const match = router.match(method, path);
      if (match.kind === 'none') throw new ChatError('NOT_FOUND', `No route ${method} ${path}`);
      if (match.kind === 'method') {
        status = 405;
        return sendJson(
          res,
          405,
          { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed here; use ${match.allow.join(', ')}`, details: { field: 'method' } } },
          { allow: match.allow.join(', ') },
        );
      }
      routeName = match.route.name;
      const user = await authenticate(req);
      if (method !== 'GET' && writeRateLimit !== false) await services.rateLimits.consume(`rest:${user.id}`, writeRateLimit, 'requests that change something');
      let body: Promise<Record<string, unknown>> | undefined;
      const result = await match.route.handle({
        req,
        res,
        params: match.params,
        query: url.searchParams,
        user,
        body: () => (body ??= readJsonBody(req, maxBodyBytes)),
      });
      status = match.route.status ?? 200;
      sendJson(res, status, result ?? { ok: true });
    } catch (error) {
      let chatError = error instanceof ChatError ? error : new ChatError('INTERNAL', 'Internal error', undefined, { cause: error });
      const fields = router.match(method, path);
      if (fields.kind === 'found' && fields.route.fields !== undefined) chatError = renameFields(chatError, fields.route.fields);
      if (!(error instanceof ChatError)) logger.error('REST handler failed', { route: routeName, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      status = STATUS_BY_CODE[chatError.code];
      sendError(res, chatError, chatError.code === 'PAYLOAD_TOO_LARGE' ? { connection: 'close' } : {});
    } finally {
      metrics?.observeHttp(routeName, method, status, (performance.now() - started) / 1000);
    }
  };

  const handler = ((req, res, next) => {
    serve(req, res, next).catch((error: unknown) => {
      logger.error('REST handler crashed', { error: String(error) });
      if (!res.headersSent) sendError(res, new ChatError('INTERNAL', 'Internal error'));
      else res.destroy();
    });
  }) as HttpHandler;
  handler.metrics = metrics;
  return handler;
}

/** The error with its fields named as the request names them (`q`, not the service's `query`). */
function renameFields(error: ChatError, names: Record<string, string>): ChatError {
  if (error.details === undefined) return error;
  const rename = (field: string) => names[field] ?? field;
  const details = {
    ...error.details,
    ...(error.details.field === undefined ? {} : { field: rename(error.details.field) }),
    ...(error.details.issues === undefined ? {} : { issues: error.details.issues.map((i) => ({ ...i, field: rename(i.field) })) }),
  };
  return new ChatError(error.code, error.message, details, { cause: error.cause });
}
