import { createHmac, timingSafeEqual } from 'node:crypto';
import { ChatError } from '../domain/errors.js';
import { webhookEventSchema, type WebhookEvent } from './webhook-events.js';

/** The headers of every webhook request (lower case, as Node hands them to receivers). */
export const WEBHOOK_HEADERS = {
  /** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, one per configured secret, comma-separated. */
  signature: 'parley-signature',
  /** Unix seconds when this attempt was signed; part of what is signed, so a replay is dated. */
  timestamp: 'parley-timestamp',
  /** The delivery id: one per event and endpoint, the same on every retry. Dedup by it. */
  delivery: 'parley-delivery',
  /** The event type, also in the body. */
  event: 'parley-event',
  /** Which attempt this is, from 1. */
  attempt: 'parley-attempt',
} as const;

/** How far a timestamp may be from the receiver's clock by default: 5 minutes. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

function hmac(secret: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The `Parley-Signature` value for a body signed at `timestamp` (Unix seconds) with each secret. */
export function signWebhook(body: string, secrets: string | readonly string[], timestamp: number): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return list.map((secret) => `v1=${hmac(secret, timestamp, body).toString('hex')}`).join(',');
}

export interface VerifyWebhookOptions {
  /** The raw request body, exactly as received (not re-serialised JSON). */
  body: string | Uint8Array;
  /** The request's headers: Node's `req.headers`, a fetch `Headers`, or a plain object. */
  headers: Headers | Record<string, string | string[] | undefined>;
  /** The endpoint's secret; several while rotating (any one may match). */
  secret: string | readonly string[];
  /** Oldest (and newest) timestamp accepted, in seconds from now. Default 300. */
  toleranceSeconds?: number;
  /** The receiver's clock in ms, for tests. Default `Date.now()`. */
  now?: number;
}

export interface VerifiedWebhook {
  /** Dedup by this: a retry of the same event to the same endpoint carries the same id. */
  deliveryId: string;
  attempt: number;
  event: WebhookEvent;
}

function header(headers: VerifyWebhookOptions['headers'], name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

const refuse = (message: string, field: string) => new ChatError('UNAUTHENTICATED', message, { field });

/**
 * Checks a webhook request the way a receiver must: the timestamp is recent, one `v1`
 * signature matches HMAC-SHA256 of `<timestamp>.<raw body>` under the secret (compared in
 * constant time), and the body is a Parley event. Answers the event with its delivery id;
 * throws `ChatError` `UNAUTHENTICATED` naming the header at fault, or `VALIDATION_FAILED` when
 * a correctly signed body is not an event this version knows.
 */
export function verifyWebhook(options: VerifyWebhookOptions): VerifiedWebhook {
  const stamp = header(options.headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(options.headers, WEBHOOK_HEADERS.signature);
  const deliveryId = header(options.headers, WEBHOOK_HEADERS.delivery);
  if (stamp === undefined || !/^\d{1,12}$/.test(stamp)) throw refuse('Missing or malformed Parley-Timestamp header', WEBHOOK_HEADERS.timestamp);
  if (signatures === undefined) throw refuse('Missing Parley-Signature header', WEBHOOK_HEADERS.signature);
  if (deliveryId === undefined || deliveryId === '') throw refuse('Missing Parley-Delivery header', WEBHOOK_HEADERS.delivery);
  const timestamp = Number(stamp);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) throw refuse(`Parley-Timestamp is more than ${tolerance} s away from now (a replay, or a wrong clock)`, WEBHOOK_HEADERS.timestamp);
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  if (secrets.length === 0 || secrets.some((s) => s === '')) throw new ChatError('VALIDATION_FAILED', 'verifyWebhook needs a non-empty secret', { field: 'secret' });
  const offered = signatures
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  const matches = secrets.some((secret) => {
    const expected = hmac(secret, timestamp, options.body);
    return offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  });
  if (!matches) throw refuse('No Parley-Signature matches the body under the secret', WEBHOOK_HEADERS.signature);
  const text = typeof options.body === 'string' ? options.body : Buffer.from(options.body).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ChatError('VALIDATION_FAILED', 'The webhook body is not JSON', { field: 'body' });
  }
  const parsed = webhookEventSchema.safeParse(json);
  if (!parsed.success) throw new ChatError('VALIDATION_FAILED', 'The webhook body is not a Parley event this version knows', { field: 'body' });
  const attempt = Number(header(options.headers, WEBHOOK_HEADERS.attempt) ?? '1');
  return { deliveryId, attempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1, event: parsed.data };
}
