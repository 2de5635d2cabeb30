import type { ChatStore, WebhookDelivery, WebhookDeliveryStatus } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { Logger } from '../util/logger.js';
import type { WebhookEndpoint, WebhookSettings } from './webhook-options.js';
import { signWebhook, WEBHOOK_HEADERS } from './webhook-signature.js';
import { PollingJob, retryDelayMs } from '../util/polling-job.js';

/** A page of deliveries for the host's admin tools. */
export interface WebhookDeliveryPage {
  items: WebhookDelivery[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

const STATUSES: readonly WebhookDeliveryStatus[] = ['pending', 'delivered', 'dead'];
const MAX_ERROR_LENGTH = 500;

/**
 * Sends the webhook delivery rows the services wrote with each change. Safe on any number of
 * nodes: rows are claimed with a lease (a claim is an attempt), so each goes to one node at a
 * time, and a node that dies mid-attempt only delays its rows until the lease runs out. Each
 * attempt is one signed POST with a timeout; a 2xx answer completes the row, anything else
 * (another status, a refused connection, the timeout) schedules the next attempt with
 * exponential backoff and jitter, honouring `Retry-After`, until `maxAttempts` parks it as dead.
 * Dead rows are kept: the host lists them and redelivers them (same delivery id).
 *
 * A receiver may see one delivery more than once (its answer lost, or a lease that ran out
 * while it was slow): it dedups by `Parley-Delivery`. It never sees two delivery ids for one
 * event: the rows are written once, with the event, in its transaction.
 */
export class WebhookDispatcher {
  private readonly job: PollingJob;
  private lastPrune = 0;
  private readonly endpoints: Map<string, WebhookEndpoint>;
  /** Aborts attempts in flight when the services close. */
  private readonly closing = new AbortController();

  constructor(
    private readonly store: ChatStore,
    endpoints: readonly WebhookEndpoint[],
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.endpoints = new Map(endpoints.map((e) => [e.id, e]));
    this.job = new PollingJob(() => this.runOnce(), settings.pollIntervalMs, (error) => this.logger.error('webhook pass failed', { error: String(error) }));
  }

  start(): void {
    this.job.start({ runNow: true });
  }

  /** Runs a pass soon; passes never overlap, and a kick during one schedules another. */
  kick(): void {
    this.job.kick();
  }

  /** One pass: claims the due deliveries and sends them in parallel. Returns how many it claimed. */
  async runOnce(): Promise<number> {
    const claimed = await this.store.claimWebhookDeliveries(this.iso(), this.settings.batchSize, this.settings.leaseMs);
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    await this.pruneNowAndThen();
    return claimed.length;
  }

  /** Waits for the pass in progress, for tests and graceful shutdown. */
  idle(): Promise<void> {
    return this.job.idle();
  }

  /** Stops polling and aborts attempts in flight; their rows are retried after their lease, here or on another node. */
  stop(): Promise<void> {
    return this.job.stop(() => this.closing.abort(new Error('the services are closing')));
  }

  /**
   * Deliveries for the host's admin tools, oldest first: `status: 'dead'` lists the dead
   * letters. Host-level: it spans every conversation, so expose it only to operators.
   */
  async listDeliveries(query: { status?: WebhookDeliveryStatus; limit?: number; cursor?: string } = {}): Promise<WebhookDeliveryPage> {
    if (query.status !== undefined && !STATUSES.includes(query.status)) throw ChatError.validation('status', `must be one of ${STATUSES.join(', ')}`);
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw ChatError.validation('limit', 'must be an integer from 1 to 100');
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.store.listWebhookDeliveries({ limit: limit + 1, ...(query.status === undefined ? {} : { status: query.status }), ...(after === undefined ? {} : { after }) });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null };
  }

  async getDelivery(id: string): Promise<WebhookDelivery> {
    const delivery = await this.store.getWebhookDelivery(id);
    if (delivery === null) throw new ChatError('NOT_FOUND', 'No such webhook delivery', { field: 'id' });
    return delivery;
  }

  /**
   * Sends a dead (or delivered) delivery again, from attempt 1, with its own delivery id so the
   * receiver can still dedup. `CONFLICT` while it is pending.
   */
  async redeliver(id: string): Promise<WebhookDelivery> {
    const delivery = await this.store.redeliverWebhook(id, this.iso());
    if (delivery === null) {
      await this.getDelivery(id);
      throw new ChatError('CONFLICT', 'The delivery is still pending; it is retried on its own', { field: 'id' });
    }
    this.kick();
    return delivery;
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const endpoint = this.endpoints.get(delivery.endpointId);
    if (endpoint === undefined) {
      // Not retried: no attempt can succeed until the host configures the endpoint again (then: redeliver).
      await this.store.failWebhookDelivery(delivery.id, delivery.attempts, `endpoint "${delivery.endpointId}" is no longer configured`, null);
      this.logger.error('webhook delivery dead: its endpoint is no longer configured', { id: delivery.id, endpointId: delivery.endpointId });
      return;
    }
    let failure: { reason: string; retryAfterMs: number | null };
    try {
      failure = await this.post(endpoint, delivery);
    } catch (error) {
      failure = { reason: describe(error, this.settings.timeoutMs), retryAfterMs: null };
    }
    if (failure.reason === '') {
      await this.store.completeWebhookDelivery(delivery.id, this.iso());
      return;
    }
    await this.retryLater(delivery, failure.reason, failure.retryAfterMs);
  }

  /** One signed POST; answers an empty reason on a 2xx. */
  private async post(endpoint: WebhookEndpoint, delivery: WebhookDelivery): Promise<{ reason: string; retryAfterMs: number | null }> {
    const timestamp = Math.floor(this.now() / 1000);
    const response = await fetch(endpoint.url, {
      method: 'POST',
      body: delivery.body,
      redirect: 'manual',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Parley-Webhooks/1',
        [WEBHOOK_HEADERS.delivery]: delivery.id,
        [WEBHOOK_HEADERS.event]: delivery.eventType,
        [WEBHOOK_HEADERS.attempt]: String(delivery.attempts),
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(delivery.body, endpoint.secrets, timestamp),
      },
      signal: AbortSignal.any([AbortSignal.timeout(this.settings.timeoutMs), this.closing.signal]),
    });
    // The answer's body is not used: dropped unread, so a huge one costs nothing.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { reason: '', retryAfterMs: null };
    return { reason: `HTTP ${response.status}`, retryAfterMs: retryAfter(response.headers.get('retry-after'), this.now()) };
  }

  private async retryLater(delivery: WebhookDelivery, reason: string, retryAfterMs: number | null): Promise<void> {
    const error = reason.slice(0, MAX_ERROR_LENGTH);
    if (delivery.attempts >= this.settings.maxAttempts) {
      this.logger.error('webhook delivery dead after its last attempt', { id: delivery.id, endpointId: delivery.endpointId, attempts: delivery.attempts, error });
      await this.store.failWebhookDelivery(delivery.id, delivery.attempts, error, null);
      return;
    }
    const delay = retryDelayMs(delivery.attempts, this.settings.baseDelayMs, this.settings.maxDelayMs, retryAfterMs ?? 0);
    this.logger.warn('webhook attempt failed; will retry', { id: delivery.id, endpointId: delivery.endpointId, attempts: delivery.attempts, retryInMs: Math.round(delay), error });
    await this.store.failWebhookDelivery(delivery.id, delivery.attempts, error, new Date(this.now() + delay).toISOString());
  }

  /** Delivered rows past their retention go, a batch at a time, at most once a minute. */
  private async pruneNowAndThen(): Promise<void> {
    const now = this.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    await this.store.pruneWebhookDeliveries(new Date(now - this.settings.retainDeliveredMs).toISOString(), 500);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'aborted: the services closed';
  }
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const base = error instanceof Error ? error.message : String(error);
  return cause?.code !== undefined ? `${base} (${cause.code})` : cause?.message !== undefined ? `${base}: ${cause.message}` : base;
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
function retryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function encodeCursor(d: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([d.createdAt, d.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    // reported below
  }
  throw ChatError.validation('cursor', 'is not a cursor this listing handed out');
}
