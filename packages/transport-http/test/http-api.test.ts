import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatServices, createMemoryStore, RealtimeHub, type Authenticate, type ChatServices } from '@parley/core';
import { attachWebSocket } from '@parley/transport-ws';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../src/index.js';

const authenticate: Authenticate = (token) => {
  if (token === null || !token.startsWith('tok-')) return null;
  const id = token.slice(4);
  return { id, name: id, status: id === 'banned' ? 'banned' : 'active' };
};

let server: Server;
let base: string;
let chat: ChatServices;
let hub: RealtimeHub;

beforeAll(async () => {
  chat = createChatServices({ store: createMemoryStore(), limits: { messageRate: { limit: 1000, windowMs: 1000 } } });
  hub = new RealtimeHub({ services: chat });
  const handler = createHttpHandler(chat, { authenticate, hub, basePath: '/api', maxBodyBytes: 64 * 1024 });
  server = createServer((req, res) => handler(req, res));
  attachWebSocket(hub, { server, authenticate });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await hub.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function api(user: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api${path}`, {
    method,
    headers: {
      ...(user === null ? {} : { authorization: `Bearer tok-${user}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? null : (JSON.parse(text) as any) };
}

describe('the REST API of SPEC §4', () => {
  it('serves every route', async () => {
    const group = await api('ann', 'POST', '/conversations/group', { name: 'Team', description: 'REST', memberIds: ['ben', 'cat'] });
    expect(group.status).toBe(201);
    const id = group.json.id as string;
    const direct = await api('ann', 'POST', '/conversations/direct', { recipientId: 'ben' });
    expect(direct.status).toBe(201);
    expect((await api('ben', 'POST', '/conversations/direct', { recipientId: 'ann' })).json.id).toBe(direct.json.id);

    expect((await api('ann', 'GET', '/conversations?limit=10')).json.items.map((c: { id: string }) => c.id)).toContain(id);
    expect((await api('ann', 'GET', '/conversations?type=direct')).json.items).toHaveLength(1);
    expect((await api('ann', 'GET', `/conversations/${id}`)).json.name).toBe('Team');
    expect((await api('ann', 'PUT', `/conversations/${id}`, { name: 'Renamed' })).json.name).toBe('Renamed');

    const sent = await api('ben', 'POST', '/conversations/messages', { conversationId: id, content: 'hello over REST', clientMessageId: 'r1' });
    expect(sent.status).toBe(201);
    const messageId = sent.json.id as string;
    expect((await api('ben', 'POST', '/conversations/messages', { conversationId: id, content: 'again', clientMessageId: 'r1' })).json.id).toBe(messageId);
    expect((await api('ann', 'GET', `/conversations/${id}/messages?limit=10`)).json.messages.map((m: { content: string }) => m.content)).toContain('hello over REST');
    expect((await api('ann', 'GET', `/conversations/${id}/messages?before=2`)).json.messages).toHaveLength(1);
    expect((await api('ben', 'PUT', `/conversations/messages/${messageId}`, { content: 'edited' })).json.content).toBe('edited');
    expect((await api('ann', 'POST', `/conversations/messages/${messageId}/react`, { emoji: '👍' })).json.action).toBe('added');
    expect((await api('ann', 'GET', `/conversations/messages/${messageId}/reactions`)).json.total).toBe(1);
    expect((await api('ann', 'DELETE', `/conversations/messages/${messageId}/react`, { emoji: '👍' })).json.action).toBe('removed');
    expect((await api('ann', 'POST', '/conversations/messages/read', { conversationId: id })).json).toEqual({ markedCount: 1, lastReadSeq: 2 });
    expect((await api('ben', 'GET', `/conversations/messages/${messageId}/receipts`)).json.readCount).toBe(1);
    expect((await api('ann', 'GET', `/conversations/${id}/messages/stats`)).json.total).toBe(2);
    const search = await api('ann', 'GET', `/conversations/messages/search?q=${encodeURIComponent('edited')}&conversationId=${id}`);
    expect(search.json.items[0].message.id).toBe(messageId);
    expect(search.json.facets.conversations).toEqual([{ conversationId: id, count: 1 }]);
    expect((await api('ann', 'GET', `/conversations/${id}/changes?since=1`)).json.messages).toHaveLength(1);

    expect((await api('ann', 'GET', `/conversations/${id}/members`)).json).toHaveLength(3);
    expect((await api('ann', 'POST', `/conversations/${id}/members`, { memberIds: ['dan'] })).json.map((m: { userId: string }) => m.userId)).toEqual(['dan']);
    expect((await api('ann', 'PUT', `/conversations/${id}/members/dan/role`, { role: 'admin' })).json.role).toBe('admin');
    expect((await api('dan', 'DELETE', `/conversations/${id}/members/cat`)).json.removed).toBe(true);
    expect((await api('ann', 'POST', `/conversations/${id}/archive`)).json.archivedAt).not.toBeNull();
    expect((await api('ann', 'GET', '/conversations?archived=true')).json.items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await api('ann', 'DELETE', `/conversations/${id}/archive`)).json.archivedAt).toBeNull();
    expect((await api('ann', 'POST', `/conversations/${id}/mute`, {})).json.mutedUntil).not.toBeNull();
    expect((await api('ann', 'DELETE', `/conversations/${id}/mute`)).json.mutedUntil).toBeNull();
    expect((await api('ann', 'GET', '/conversations/stats')).json.total).toBe(2);
    expect((await api('ben', 'DELETE', `/conversations/messages/${messageId}?forEveryone=true`)).json.forEveryone).toBe(true);
    expect((await api('ben', 'POST', `/conversations/${id}/leave`)).json.deleted).toBe(false);
  });

  it('a REST change raises the same realtime events as its WebSocket twin', async () => {
    const id = (await api('ann', 'POST', '/conversations/group', { name: 'Live', memberIds: ['ben'] })).json.id as string;
    const ws = new WebSocket(`${base.replace('http', 'ws')}/chat?token=tok-ben`);
    const frames: Array<{ type: string; data: any }> = [];
    ws.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    await expect.poll(() => frames.some((f) => f.type === 'connected')).toBe(true);
    const sent = await api('ann', 'POST', '/conversations/messages', { conversationId: id, content: 'from REST' });
    await expect.poll(() => frames.some((f) => f.type === 'new_message' && f.data.message.id === sent.json.id)).toBe(true);
    await api('ann', 'POST', `/conversations/messages/${sent.json.id}/react`, { emoji: '🔥' });
    await expect.poll(() => frames.some((f) => f.type === 'message_reaction_updated')).toBe(true);
    ws.close();
  });

  it('bad requests get the right status and a named field, and never crash', async () => {
    const id = (await api('ann', 'POST', '/conversations/group', { name: 'Bad input', memberIds: ['ben'] })).json.id as string;
    const unknown = await api('ann', 'GET', '/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('NOT_FOUND');
    const wrongMethod = await api('ann', 'PATCH', `/conversations/${id}`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json.error.code).toBe('METHOD_NOT_ALLOWED');
    expect(wrongMethod.headers.get('allow')).toContain('GET');
    const missingName = await api('ann', 'POST', '/conversations/group', { memberIds: ['ben'] });
    expect(missingName.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'name', issues: [{ field: 'name', message: 'is required' }] } });
    const deep = `${'{"a":'.repeat(5_000)}{}${'}'.repeat(5_000)}`; // 5,000 deep, 30 KB
    const tooDeep = await api('ann', 'POST', '/conversations/messages', `{"conversationId":"${id}","content":"x","metadata":${deep}}`);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.json.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'metadata' } });
    const nulSearch = await api('ann', 'GET', `/conversations/messages/search?q=${encodeURIComponent('\u0000')}`);
    expect(nulSearch.status).toBe(400);
    expect(nulSearch.json.error.details.field).toBe('q');
    const malformed = await api('ann', 'POST', '/conversations/messages', '{"conversationId": ', {});
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.details.field).toBe('body');
    const notObject = await api('ann', 'POST', '/conversations/messages', '[1]');
    expect(notObject.json.error.details.field).toBe('body');
    const wrongType = await api('ann', 'POST', '/conversations/messages', { conversationId: id, content: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error.details.field).toBe('content');
    const badLimit = await api('ann', 'GET', `/conversations/${id}/messages?limit=abc`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.json.error.details.field).toBe('limit');
    expect((await api('ann', 'GET', `/conversations/${id}/messages?limit=101`)).status).toBe(400);
    expect((await api('ann', 'GET', '/conversations?archived=maybe')).json.error.details.field).toBe('archived');
    const huge = await api('ann', 'POST', '/conversations/messages', { conversationId: id, content: 'x'.repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const text = await api('ann', 'POST', '/conversations/messages', 'content=hi', { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
    expect((await api(null, 'GET', '/conversations')).status).toBe(401);
    expect((await api('ann', 'GET', '/conversations', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await api('banned', 'GET', '/conversations')).status).toBe(403);
    const stranger = await api('zed', 'GET', `/conversations/${id}`);
    expect(stranger.status).toBe(404);
    const missing = await api('zed', 'GET', '/conversations/does-not-exist');
    expect(missing.json).toEqual(stranger.json);
    expect((await api('ben', 'PUT', `/conversations/${id}`, { name: 'x' })).status).toBe(403);
    expect((await api('ann', 'GET', '/conversations/%E0%A4%A')).status).toBe(404);
  });

  it('survives arbitrary requests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.array(fc.constantFrom('conversations', 'messages', 'search', 'members', 'role', 'react', 'x', '..', '%00', 'stats', '1'), { maxLength: 5 }),
        fc.option(fc.oneof(fc.json(), fc.string()), { nil: undefined }),
        async (method, segments, body) => {
          const res = await api('ann', method, `/${segments.join('/')}`, method === 'GET' || body === undefined ? undefined : body);
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(600);
          if (res.status >= 400) expect(typeof res.json.error.code).toBe('string');
        },
      ),
      { numRuns: 150 },
    );
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  });
});

describe('health and metrics', () => {
  it('/health reports storage, presence and broker without a token', async () => {
    const res = await fetch(`${base}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'healthy', storage: true, presence: true, broker: true });
  });

  it('/health is unhealthy (503) when storage is down', async () => {
    const store = createMemoryStore();
    store.ping = async () => {
      throw new Error('disk on fire');
    };
    const broken = createChatServices({ store });
    const handler = createHttpHandler(broken, { authenticate, metrics: false });
    const local = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const res = await fetch(`http://127.0.0.1:${(local.address() as AddressInfo).port}/health`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { status: string }).status).toBe('unhealthy');
    expect((await fetch(`http://127.0.0.1:${(local.address() as AddressInfo).port}/metrics`)).status).toBe(404);
    await new Promise<void>((resolve) => local.close(() => resolve()));
  });

  it('/metrics serves Prometheus text with connections, frames, messages, errors, lag and latency', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/chat?token=tok-ann`);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'ping', id: 1 }));
    ws.send('garbage');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const res = await fetch(`${base}/api/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/parley_ws_connections \d+/);
    expect(text).toMatch(/parley_ws_frames_in_total\{type="ping"\} \d+/);
    expect(text).toMatch(/parley_ws_frames_out_total\{type="pong"\} \d+/);
    expect(text).toMatch(/parley_messages_sent_total\{type="text"\} \d+/);
    expect(text).toMatch(/parley_errors_total\{code="VALIDATION_FAILED",transport="ws"\} \d+/);
    expect(text).toMatch(/parley_errors_total\{code="404",transport="http"\} \d+/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds \d/);
    expect(text).toMatch(/parley_http_request_duration_seconds_bucket\{le="0.005",route="sendMessage",method="POST",status="201"\} \d+/);
    expect(text).toMatch(/parley_ws_handler_duration_seconds_count\{type="ping"\} \d+/);
    ws.close();
  });
});

describe('mounting', () => {
  it('outside basePath it calls next(), or answers 404 when there is none', async () => {
    const handler = createHttpHandler(chat, { authenticate, basePath: '/api', metrics: false });
    let nextCalled = false;
    const local = createServer((req, res) =>
      handler(req, res, () => {
        nextCalled = true;
        res.end('host page');
      }),
    );
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const port = (local.address() as AddressInfo).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe('host page');
    expect(nextCalled).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/api/nothing`)).status).toBe(404);
    await new Promise<void>((resolve) => local.close(() => resolve()));
    expect(() => createHttpHandler(chat, { authenticate, basePath: 'api/' })).toThrow(/basePath/);
  });
});

describe('limits on requests that change something', () => {
  it('refuses a user past the write limit with 429 and Retry-After; reads go on', async () => {
    const services = createChatServices({ store: createMemoryStore() });
    const handler = createHttpHandler(services, { authenticate, writeRateLimit: { limit: 3, windowMs: 60_000 } });
    const limited = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(limited.address() as AddressInfo).port}`;
    const post = (user: string) =>
      fetch(`${url}/conversations/group`, { method: 'POST', headers: { authorization: `Bearer tok-${user}`, 'content-type': 'application/json' }, body: '{"name":"g"}' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post('ann')).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await post('ann');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect((await post('ben')).status).toBe(201);
    expect((await fetch(`${url}/conversations`, { headers: { authorization: 'Bearer tok-ann' } })).status).toBe(200);
    limited.closeAllConnections();
    await new Promise<void>((resolve) => limited.close(() => resolve()));
  });
});
