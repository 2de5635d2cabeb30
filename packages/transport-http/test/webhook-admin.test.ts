import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatServices, createMemoryStore, type ChatServices } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookAdminHandler } from '../src/index.js';

/** The host-level webhook routes over a real socket: operators only, dead letters listed and redelivered. */
const ADMIN_TOKEN = 'operator-token-for-this-test';
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(chat: ChatServices): Promise<string> {
  const handler = createWebhookAdminHandler(chat, { basePath: '/admin', authorize: (req) => req.headers.authorization === `Bearer ${ADMIN_TOKEN}` });
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`;
}

async function call(base: string, method: string, path: string, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, { method, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

describe('webhook admin routes', () => {
  it('list the dead letters and redeliver them, for operators only', async () => {
    const store = createMemoryStore();
    const chat = createChatServices({ store, webhooks: { deliver: false, endpoints: [{ id: 'crm', url: 'http://127.0.0.1:9/hook', secret: 'admin-test-secret' }] } });
    cleanup.push(() => chat.close());
    await chat.conversations.createGroupConversation('owner', { name: 'g', memberIds: ['member'] });
    // Every attempt failed: the deliveries are parked as dead.
    const at = new Date().toISOString();
    for (const d of await store.claimWebhookDeliveries(at, 100, 60_000)) await store.failWebhookDelivery(d.id, d.attempts, 'HTTP 500', null);
    const base = await serve(chat);

    expect((await call(base, 'GET', '/webhooks/deliveries?status=dead', null)).status).toBe(403);
    expect((await call(base, 'GET', '/webhooks/deliveries?status=dead', 'a-chat-user-token')).body.error.code).toBe('FORBIDDEN');
    const dead = await call(base, 'GET', '/webhooks/deliveries?status=dead&limit=1');
    expect(dead.status).toBe(200);
    expect(dead.body.items).toHaveLength(1);
    expect(dead.body.items[0]).toMatchObject({ status: 'dead', endpointId: 'crm', lastError: 'HTTP 500', attempts: 1 });
    const next = await call(base, 'GET', `/webhooks/deliveries?status=dead&cursor=${dead.body.nextCursor}`);
    expect(next.body.items.length).toBeGreaterThan(0);
    expect(next.body.items[0].id).not.toBe(dead.body.items[0].id);

    const id = dead.body.items[0].id as string;
    expect((await call(base, 'GET', `/webhooks/deliveries/${id}`)).body).toMatchObject({ id, status: 'dead' });
    const redelivered = await call(base, 'POST', `/webhooks/deliveries/${id}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ id, status: 'pending', attempts: 0 });
    expect((await call(base, 'POST', `/webhooks/deliveries/${id}/redeliver`)).body.error.code).toBe('CONFLICT');
    expect((await call(base, 'POST', '/webhooks/deliveries/nope/redeliver')).status).toBe(404);
    const bad = await call(base, 'GET', '/webhooks/deliveries?status=lost');
    expect([bad.status, bad.body.error.details.field]).toEqual([400, 'status']);
    expect((await call(base, 'GET', '/webhooks/deliveries?limit=1000')).body.error.details.field).toBe('limit');
    expect((await call(base, 'GET', '/webhooks/deliveries?cursor=garbage')).body.error.details.field).toBe('cursor');
    expect((await call(base, 'DELETE', '/webhooks/deliveries')).status).toBe(405);
  });

  it('answer 404 when no endpoint is configured', async () => {
    const chat = createChatServices({ store: createMemoryStore() });
    cleanup.push(() => chat.close());
    const base = await serve(chat);
    expect((await call(base, 'GET', '/webhooks/deliveries')).status).toBe(404);
  });
});
