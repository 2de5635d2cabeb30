import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.js';

/** One receiver of webhooks, as the host configures it. */
export interface WebhookEndpointOptions {
  /**
   * Names the endpoint in delivery rows; keep it stable across restarts and deploys (rows
   * waiting for retry find their endpoint by it). Default: the URL.
   */
  id?: string;
  /** Where events are POSTed (http or https). */
  url: string;
  /** Signs every request (HMAC-SHA256). Several while rotating: each signs, any may verify. */
  secret: string | string[];
  /** The event types this endpoint takes. Default: all of them. */
  events?: WebhookEventType[];
}

export interface WebhookOptions {
  endpoints: WebhookEndpointOptions[];
  /** Attempts before a delivery is parked as dead. Default 10. */
  maxAttempts?: number;
  /** Delay after the first failure; doubled for each next one (±20 % jitter). Default 5 s. */
  baseDelayMs?: number;
  /** The longest delay between attempts. Default 1 hour. */
  maxDelayMs?: number;
  /** One attempt's limit, connecting and answering included. Default 10 s. */
  timeoutMs?: number;
  /** A claimed delivery not finished within this time (a crashed node) is claimed again. Default 60 s; must exceed `timeoutMs`. */
  leaseMs?: number;
  /** How often due deliveries are looked for. Default 1 s. */
  pollIntervalMs?: number;
  /** Deliveries claimed (and sent in parallel) per pass. Default 20. */
  batchSize?: number;
  /** How long delivered rows are kept (for `listDeliveries` and redelivery) before they are pruned. Default 7 days. */
  retainDeliveredMs?: number;
  /**
   * Whether this process sends deliveries (polls, claims, POSTs). Default true. With false it
   * only writes them with each change — for web nodes when dedicated workers send — and
   * `chat.webhooks` still lists and redelivers; `runOnce()` sends one batch by hand.
   */
  deliver?: boolean;
}

/** An endpoint as the writer and the dispatcher use it. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  secrets: string[];
  /** null: every event type. */
  events: ReadonlySet<WebhookEventType> | null;
}

export type WebhookSettings = Required<Omit<WebhookOptions, 'endpoints'>>;

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  maxAttempts: 10,
  baseDelayMs: 5_000,
  maxDelayMs: 60 * 60_000,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  pollIntervalMs: 1_000,
  batchSize: 20,
  retainDeliveredMs: 7 * 24 * 60 * 60_000,
  deliver: true,
};

const positive = z.number().int().positive();
const secret = z.string().min(1, 'must not be empty');

export const webhookOptionsSchema = z
  .object({
    endpoints: z.array(
      z.object({
        id: z.string().min(1).max(200).optional(),
        url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
        secret: z.union([secret, z.array(secret).min(1)]),
        events: z.array(z.enum(WEBHOOK_EVENT_TYPES as [WebhookEventType, ...WebhookEventType[]])).optional(),
      }),
    ),
    maxAttempts: positive.optional(),
    baseDelayMs: positive.optional(),
    maxDelayMs: positive.optional(),
    timeoutMs: positive.optional(),
    leaseMs: positive.optional(),
    pollIntervalMs: positive.optional(),
    batchSize: positive.max(1000).optional(),
    retainDeliveredMs: positive.optional(),
    deliver: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.endpoints.forEach((endpoint, i) => {
      const id = endpoint.id ?? endpoint.url;
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'id'], message: `endpoint id "${id}" is used twice` });
      seen.add(id);
    });
    const timeout = value.timeoutMs ?? DEFAULT_WEBHOOK_SETTINGS.timeoutMs;
    const lease = value.leaseMs ?? DEFAULT_WEBHOOK_SETTINGS.leaseMs;
    if (lease <= timeout) ctx.addIssue({ code: 'custom', path: ['leaseMs'], message: `must exceed timeoutMs (${timeout}), or a slow attempt could be sent twice at once` });
  });

/** The endpoints and settings, defaults filled in (options already checked by `webhookOptionsSchema`). */
export function resolveWebhookOptions(options: WebhookOptions | undefined): { endpoints: WebhookEndpoint[]; settings: WebhookSettings } {
  const endpoints = (options?.endpoints ?? []).map((e) => ({
    id: e.id ?? e.url,
    url: e.url,
    secrets: typeof e.secret === 'string' ? [e.secret] : [...e.secret],
    events: e.events === undefined ? null : new Set(e.events),
  }));
  const { endpoints: _e, ...rest } = options ?? { endpoints: [] };
  const settings = { ...DEFAULT_WEBHOOK_SETTINGS };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  return { endpoints, settings };
}
