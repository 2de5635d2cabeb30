import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChatError, createChatServices, createMemoryStore, signWebhook, verifyWebhook, WEBHOOK_EVENT_TYPES } from '../src/index.js';

/** verifyWebhook and signWebhook, and the webhook options, on their own. Delivery is tested over sockets in adapter-sqlite. */
const SECRET = 'whsec-unit-0123456789';
const NOW = Date.UTC(2026, 0, 1, 12);
const body = JSON.stringify({
  id: 'evt-1',
  type: 'member.unbanned',
  createdAt: '2026-01-01T12:00:00.000Z',
  data: { conversationId: 'c1', userId: 'u1', unbannedBy: 'u2' },
});

function headers(at = Math.floor(NOW / 1000), secrets: string | string[] = SECRET, payload = body): Record<string, string> {
  return { 'parley-delivery': 'dlv-1', 'parley-timestamp': String(at), 'parley-signature': signWebhook(payload, secrets, at), 'parley-attempt': '3' };
}

function refusal(fn: () => unknown): { code: string; field: unknown } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ChatError);
    return { code: (error as ChatError).code, field: (error as ChatError).details?.field };
  }
  throw new Error('expected a refusal');
}

describe('webhook signatures', () => {
  it('are HMAC-SHA256 over "<timestamp>.<body>", hex, as the docs say', () => {
    const at = 1_767_268_800;
    const expected = createHmac('sha256', SECRET).update(`${at}.${body}`).digest('hex');
    expect(signWebhook(body, SECRET, at)).toBe(`v1=${expected}`);
  });

  it('verify a genuine request and answer the typed event with its delivery id', () => {
    const verified = verifyWebhook({ body, headers: headers(), secret: SECRET, now: NOW });
    expect(verified.deliveryId).toBe('dlv-1');
    expect(verified.attempt).toBe(3);
    expect(verified.event.type).toBe('member.unbanned');
    if (verified.event.type === 'member.unbanned') expect(verified.event.data.unbannedBy).toBe('u2');
    // Bytes, a fetch Headers and upper-case header names work alike.
    const upper = Object.fromEntries(Object.entries(headers()).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook({ body: Buffer.from(body), headers: upper, secret: SECRET, now: NOW }).deliveryId).toBe('dlv-1');
    expect(verifyWebhook({ body, headers: new Headers(headers()), secret: SECRET, now: NOW }).deliveryId).toBe('dlv-1');
  });

  it('accept any of several secrets while rotating, on either side', () => {
    const both = headers(undefined, ['old-secret', 'new-secret']);
    expect(verifyWebhook({ body, headers: both, secret: 'new-secret', now: NOW }).event.id).toBe('evt-1');
    expect(verifyWebhook({ body, headers: headers(undefined, 'old-secret'), secret: ['new-secret', 'old-secret'], now: NOW }).event.id).toBe('evt-1');
  });

  it('refuse a wrong secret, an altered body, a stale or future timestamp and missing headers, naming the header', () => {
    expect(refusal(() => verifyWebhook({ body, headers: headers(), secret: 'another', now: NOW }))).toEqual({ code: 'UNAUTHENTICATED', field: 'parley-signature' });
    expect(refusal(() => verifyWebhook({ body: body.replace('u1', 'u9'), headers: headers(), secret: SECRET, now: NOW })).field).toBe('parley-signature');
    expect(refusal(() => verifyWebhook({ body, headers: headers(Math.floor(NOW / 1000) - 301), secret: SECRET, now: NOW })).field).toBe('parley-timestamp');
    expect(refusal(() => verifyWebhook({ body, headers: headers(Math.floor(NOW / 1000) + 301), secret: SECRET, now: NOW })).field).toBe('parley-timestamp');
    expect(verifyWebhook({ body, headers: headers(Math.floor(NOW / 1000) - 600), secret: SECRET, now: NOW, toleranceSeconds: 900 }).deliveryId).toBe('dlv-1');
    for (const name of ['parley-timestamp', 'parley-signature', 'parley-delivery']) {
      const { [name]: _gone, ...rest } = headers();
      expect(refusal(() => verifyWebhook({ body, headers: rest, secret: SECRET, now: NOW }))).toEqual({ code: 'UNAUTHENTICATED', field: name });
    }
    expect(refusal(() => verifyWebhook({ body, headers: { ...headers(), 'parley-signature': 'v1=zz' }, secret: SECRET, now: NOW })).field).toBe('parley-signature');
    expect(refusal(() => verifyWebhook({ body, headers: headers(), secret: '', now: NOW })).field).toBe('secret');
  });

  it('refuse a correctly signed body that is not an event this version knows', () => {
    const odd = JSON.stringify({ id: 'e', type: 'message.exploded', createdAt: 'x', data: {} });
    expect(refusal(() => verifyWebhook({ body: odd, headers: headers(undefined, SECRET, odd), secret: SECRET, now: NOW }))).toEqual({ code: 'VALIDATION_FAILED', field: 'body' });
    expect(refusal(() => verifyWebhook({ body: 'not json', headers: headers(undefined, SECRET, 'not json'), secret: SECRET, now: NOW })).code).toBe('VALIDATION_FAILED');
  });
});

describe('webhook options', () => {
  const store = () => createMemoryStore();
  const bad = (webhooks: unknown) => refusal(() => createChatServices({ store: store(), webhooks: webhooks as never }));

  it('are checked up front, naming the bad option', () => {
    expect(bad({ endpoints: [{ url: 'ftp://x', secret: 's' }] })).toEqual({ code: 'VALIDATION_FAILED', field: 'webhooks.endpoints.0.url' });
    expect(bad({ endpoints: [{ url: 'https://x.example', secret: '' }] }).field).toBe('webhooks.endpoints.0.secret');
    expect(bad({ endpoints: [{ url: 'https://x.example', secret: 's', events: ['message.exploded'] }] }).field).toBe('webhooks.endpoints.0.events.0');
    expect(bad({ endpoints: [{ url: 'https://x.example', secret: 's' }, { url: 'https://x.example', secret: 't' }] }).field).toBe('webhooks.endpoints.1.id');
    expect(bad({ endpoints: [], timeoutMs: 5_000, leaseMs: 5_000 }).field).toBe('webhooks.leaseMs');
  });

  it('give services without `webhooks` when no endpoint is configured, and list every event type', async () => {
    const none = createChatServices({ store: store(), webhooks: { endpoints: [] } });
    expect(none.webhooks).toBeNull();
    await none.close();
    expect(WEBHOOK_EVENT_TYPES).toHaveLength(15);
  });
});
