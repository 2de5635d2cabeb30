import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatError, silentLogger, type ChatServices, type Logger, type WebhookDeliveryStatus } from '@parley/core';
import { sendError, sendJson } from './http-io.js';
import { Router, type Route } from './router.js';

export interface WebhookAdminOptions {
  /**
   * Decides whether a request may see and redeliver webhooks — every conversation's events:
   * an operator, never an ordinary chat user. Answer true to allow; false (or throwing) is 403.
   * The host checks its own admin session, token or network here.
   */
  authorize: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Where the routes live when the handler sees full paths: `/admin`. Default: none. */
  basePath?: string;
  logger?: Logger;
}

/**
 * The host-level webhook routes, apart from the chat API (whose callers are chat users):
 *
 *   GET  /webhooks/deliveries?status=dead&limit=50&cursor=…   the dead letters (or pending, delivered, all)
 *   GET  /webhooks/deliveries/:id
 *   POST /webhooks/deliveries/:id/redeliver                    202, the delivery pending again
 *
 * Mount it on an admin server or path. Answers 404 when no endpoint is configured.
 */
export function createWebhookAdminHandler(services: ChatServices, options: WebhookAdminOptions) {
  if (typeof options.authorize !== 'function') throw new ChatError('VALIDATION_FAILED', 'createWebhookAdminHandler needs authorize(req)', { field: 'authorize' });
  const basePath = options.basePath ?? '';
  const logger = options.logger ?? silentLogger;
  const webhooks = () => {
    if (services.webhooks === null) throw new ChatError('NOT_FOUND', 'Webhooks are not configured');
    return services.webhooks;
  };
  const routes: Route[] = [
    {
      method: 'GET',
      path: '/webhooks/deliveries',
      name: 'webhookDeliveries',
      handle: ({ query }) => {
        const limit = query.get('limit');
        return webhooks().listDeliveries({
          ...(query.has('status') ? { status: query.get('status') as WebhookDeliveryStatus } : {}),
          ...(limit === null ? {} : { limit: /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN }),
          ...(query.has('cursor') ? { cursor: query.get('cursor')! } : {}),
        });
      },
    },
    { method: 'GET', path: '/webhooks/deliveries/:id', name: 'webhookDelivery', handle: ({ params }) => webhooks().getDelivery(params.id!) },
    { method: 'POST', path: '/webhooks/deliveries/:id/redeliver', name: 'redeliverWebhook', status: 202, handle: ({ params }) => webhooks().redeliver(params.id!) },
  ];
  const router = new Router(routes);

  return (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    const serve = async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let path = url.pathname;
      if (basePath !== '') {
        if (!path.startsWith(`${basePath}/`)) return next !== undefined ? next() : sendError(res, new ChatError('NOT_FOUND', `No route ${req.method} ${path}`));
        path = path.slice(basePath.length);
      }
      const method = (req.method ?? 'GET').toUpperCase();
      const match = router.match(method, path);
      if (match.kind === 'none') return next !== undefined ? next() : sendError(res, new ChatError('NOT_FOUND', `No route ${method} ${path}`));
      if (match.kind === 'method') {
        return sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed here; use ${match.allow.join(', ')}` } }, { allow: match.allow.join(', ') });
      }
      const allowed = await Promise.resolve()
        .then(() => options.authorize(req))
        .catch(() => false);
      if (allowed !== true) throw new ChatError('FORBIDDEN', 'Only operators may see or redeliver webhooks');
      const result = await match.route.handle({ req, res, params: match.params, query: url.searchParams, user: { id: 'operator' } as never, body: async () => ({}) });
      sendJson(res, match.route.status ?? 200, result);
    };
    serve().catch((error: unknown) => {
      const chatError = error instanceof ChatError ? error : new ChatError('INTERNAL', 'Internal error', undefined, { cause: error });
      if (!(error instanceof ChatError)) logger.error('webhook admin handler failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      if (res.headersSent) res.destroy();
      else sendError(res, chatError, {});
    });
  };
}
