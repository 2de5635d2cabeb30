import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createLocalAttachmentStore } from '@parley/attachments-local';
import { createChatServices, createMemoryStore, RealtimeHub, type Authenticate, type ChatServices } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The OpenAPI document checked against a real server: every route is called over HTTP and its
 * answer validated with the response schema the document gives for that status, so the
 * document cannot promise fields or statuses the server does not send.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = JSON.parse(readFileSync(join(root, 'docs/openapi.json'), 'utf8')) as Record<string, any>;
const BASE_ID = 'https://parley.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: BASE_ID, components: doc.components });

const authenticate: Authenticate = (token) => (token === null ? null : { id: token, name: token.toUpperCase(), status: token === 'banned' ? 'banned' : 'active' });

let server: Server;
let base: string;
let chat: ChatServices;
let hub: RealtimeHub;
let files: string;
const checked = new Set<string>();

beforeAll(async () => {
  files = mkdtempSync(join(tmpdir(), 'parley-openapi-'));
  chat = createChatServices({
    store: createMemoryStore(),
    attachments: { storage: createLocalAttachmentStore({ directory: files, publicUrl: '/api/files', secret: 'a-secret-of-at-least-32-bytes-long!' }) },
  });
  hub = new RealtimeHub({ services: chat });
  const api = createHttpHandler(chat, { authenticate, hub, basePath: '/api' });
  server = createServer((req, res) => api(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await hub.close();
  await chat.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(files, { recursive: true, force: true });
});

/** The documented schema of `status` for the operation at `template`, resolving a response `$ref`. */
function responseSchema(method: string, template: string, status: number): { $ref: string } {
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (op === undefined) throw new Error(`${method} ${template} is not in docs/openapi.json`);
  let response = op.responses[String(status)];
  if (response === undefined) throw new Error(`${method} ${template} answered ${status}, which the document does not list (it lists ${Object.keys(op.responses).join(', ')})`);
  if (response.$ref !== undefined) response = doc.components.responses[String(response.$ref).split('/').pop()!];
  return response.content['application/json'].schema;
}

/** Calls the route, checks the answer against the document, and returns its JSON. */
async function call(user: string | null, method: string, template: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}/api${path}`, {
    method,
    headers: { ...(user === null ? {} : { authorization: `Bearer ${user}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  const schema = responseSchema(method, template, res.status);
  const validate = ajv.getSchema(`${BASE_ID}${schema.$ref}`);
  if (validate === undefined) throw new Error(`no schema ${schema.$ref}`);
  expect(validate(json), `${method} ${path} → ${res.status}: ${JSON.stringify(validate.errors)}\n${JSON.stringify(json).slice(0, 600)}`).toBe(true);
  if (res.status < 300) checked.add(`${method} ${template}`);
  return json;
}

describe('docs/openapi.json against a real server', () => {
  it('has schemas that refuse what they should (the check is not vacuous)', () => {
    const message = ajv.getSchema(`${BASE_ID}#/components/schemas/Message`)!;
    expect(message({ id: 'm1' })).toBe(false);
    const page = ajv.getSchema(`${BASE_ID}#/components/schemas/ConversationPage`)!;
    expect(page({ items: [{ id: 'c1' }], nextCursor: null })).toBe(false);
    expect(page({ items: [], nextCursor: null })).toBe(true);
  });

  it('describes the answer of every route', async () => {
    const group = await call('ann', 'POST', '/conversations/group', '/conversations/group', { name: 'Team', memberIds: ['ben', 'cat'] });
    const id = group.id as string;
    await call('ann', 'POST', '/conversations/direct', '/conversations/direct', { recipientId: 'ben' });
    await call('ann', 'GET', '/conversations', '/conversations?limit=10');
    await call('ann', 'GET', '/conversations/stats', '/conversations/stats');
    await call('ann', 'GET', '/conversations/{id}', `/conversations/${id}`);
    await call('ann', 'PUT', '/conversations/{id}', `/conversations/${id}`, { description: 'Our team' });

    const slot = await call('ann', 'POST', '/attachments', '/attachments', { conversationId: id, name: 'notes.txt', mimeType: 'text/plain', size: 5 });
    const put = await fetch(new URL(slot.upload.url, base), { method: slot.upload.method, headers: slot.upload.headers, body: 'hello' });
    expect(put.status).toBe(200);
    await call('ann', 'POST', '/attachments/{id}/complete', `/attachments/${slot.attachment.id}/complete`);
    const sent = await call('ann', 'POST', '/conversations/messages', '/conversations/messages', {
      conversationId: id,
      type: 'file',
      content: 'Notes',
      attachmentIds: [slot.attachment.id],
      clientMessageId: 'c-1',
    });
    await call('ben', 'GET', '/attachments/{id}', `/attachments/${slot.attachment.id}`);
    const reply = await call('ben', 'POST', '/conversations/messages', '/conversations/messages', { conversationId: id, content: 'Thanks', replyToId: sent.id });
    await call('ann', 'GET', '/conversations/messages/{id}', `/conversations/messages/${sent.id}`);
    await call('ann', 'PUT', '/conversations/messages/{id}', `/conversations/messages/${sent.id}`, { content: 'The notes' });
    await call('ben', 'POST', '/conversations/messages/{id}/react', `/conversations/messages/${sent.id}/react`, { emoji: '👍' });
    await call('cat', 'POST', '/conversations/messages/{id}/react', `/conversations/messages/${sent.id}/react`, { emoji: '🎉' });
    await call('cat', 'DELETE', '/conversations/messages/{id}/react', `/conversations/messages/${sent.id}/react?emoji=${encodeURIComponent('🎉')}`);
    await call('ann', 'GET', '/conversations/messages/{id}/reactions', `/conversations/messages/${sent.id}/reactions`);
    await call('ann', 'POST', '/conversations/messages/read', '/conversations/messages/read', { conversationId: id });
    await call('ann', 'POST', '/conversations/{id}/unread', `/conversations/${id}/unread`, { messageId: reply.id });
    await call('ben', 'POST', '/conversations/messages/read', '/conversations/messages/read', { conversationId: id, messageId: sent.id });
    await call('ann', 'GET', '/conversations/messages/{id}/receipts', `/conversations/messages/${sent.id}/receipts`);
    await call('cat', 'POST', '/conversations/messages/{id}/pin', `/conversations/messages/${sent.id}/pin`, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await call('ben', 'GET', '/conversations/{id}/pins', `/conversations/${id}/pins`);
    await call('ben', 'GET', '/conversations/messages/{id}/history', `/conversations/messages/${sent.id}/history`);
    await call('ann', 'DELETE', '/conversations/messages/{id}/pin', `/conversations/messages/${sent.id}/pin`);
    await call('ann', 'GET', '/conversations/{id}/messages', `/conversations/${id}/messages?limit=2`);
    await call('ann', 'GET', '/conversations/{id}/messages/stats', `/conversations/${id}/messages/stats`);
    await call('ann', 'GET', '/conversations/{id}/changes', `/conversations/${id}/changes?since=1&version=1`);
    await call('ann', 'GET', '/conversations/messages/search', '/conversations/messages/search?q=notes');
    await call('ben', 'DELETE', '/conversations/messages/{id}', `/conversations/messages/${reply.id}?forEveryone=true`);
    const inThread = await call('ben', 'POST', '/conversations/messages', '/conversations/messages', { conversationId: id, content: 'In a thread @ann', threadId: sent.id, mentions: ['ann'] });
    await call('ann', 'GET', '/conversations/messages/{id}/thread', `/conversations/messages/${sent.id}/thread?limit=10`);
    await call('ann', 'POST', '/conversations/messages/{id}/thread/read', `/conversations/messages/${sent.id}/thread/read`, { messageId: inThread.id });
    await call('ann', 'GET', '/conversations/{id}/threads', `/conversations/${id}/threads`);

    await call('ann', 'POST', '/conversations/{id}/members', `/conversations/${id}/members`, { memberIds: ['dan', 'eve'] });
    await call('ann', 'GET', '/conversations/{id}/members', `/conversations/${id}/members`);
    await call('ann', 'PUT', '/conversations/{id}/members/{memberId}/role', `/conversations/${id}/members/dan/role`, { role: 'admin' });
    await call('ann', 'DELETE', '/conversations/{id}/members/{memberId}', `/conversations/${id}/members/eve`);
    const spam = await call('ben', 'POST', '/conversations/messages', '/conversations/messages', { conversationId: id, content: 'Cheap watches' });
    const report = await call('cat', 'POST', '/conversations/messages/{id}/report', `/conversations/messages/${spam.id}/report`, { reason: 'spam', note: 'again' });
    await call('ann', 'GET', '/conversations/{id}/reports', `/conversations/${id}/reports?status=open`);
    await call('dan', 'POST', '/reports/{id}/resolve', `/reports/${report.report.id}/resolve`, { action: 'dismiss' });
    await call('ann', 'POST', '/conversations/{id}/bans', `/conversations/${id}/bans`, { userId: 'eve', reason: 'spam', until: new Date(Date.now() + 3_600_000).toISOString() });
    await call('dan', 'GET', '/conversations/{id}/bans', `/conversations/${id}/bans`);
    await call('dan', 'DELETE', '/conversations/{id}/bans/{userId}', `/conversations/${id}/bans/eve`);
    await call('ann', 'POST', '/conversations/{id}/members/{memberId}/silence', `/conversations/${id}/members/cat/silence`, {});
    await call('ann', 'DELETE', '/conversations/{id}/members/{memberId}/silence', `/conversations/${id}/members/cat/silence`);
    await call('ann', 'PUT', '/conversations/{id}/slow-mode', `/conversations/${id}/slow-mode`, { seconds: 0 });
    await call('ann', 'GET', '/conversations/{id}/audit', `/conversations/${id}/audit?limit=5`);
    await call('ben', 'POST', '/blocks', '/blocks', { userId: 'cat' });
    await call('ben', 'GET', '/blocks', '/blocks');
    await call('ben', 'DELETE', '/blocks/{userId}', '/blocks/cat');
    await call('ben', 'POST', '/conversations/{id}/archive', `/conversations/${id}/archive`);
    await call('ben', 'DELETE', '/conversations/{id}/archive', `/conversations/${id}/archive`);
    await call('ben', 'POST', '/conversations/{id}/mute', `/conversations/${id}/mute`, {});
    await call('ben', 'DELETE', '/conversations/{id}/mute', `/conversations/${id}/mute`);
    await call('ann', 'POST', '/conversations/{id}/leave', `/conversations/${id}/leave`);

    // The export is NDJSON: every line against the documented line schema.
    const exported = await fetch(`${base}/api/me/export`, { headers: { authorization: 'Bearer ann' } });
    expect(exported.status).toBe(200);
    const lineSchema = doc.paths['/me/export'].get.responses['200'].content['application/x-ndjson'].schema as { $ref: string };
    const validLine = ajv.getSchema(`${BASE_ID}${lineSchema.$ref}`)!;
    const lines = (await exported.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect([...new Set(lines.map((l) => l.type))]).toEqual(expect.arrayContaining(['export', 'membership', 'read_position', 'message', 'end']));
    for (const line of lines) expect(validLine(line), `${JSON.stringify(line)}: ${JSON.stringify(validLine.errors)}`).toBe(true);
    expect(validLine({ type: 'message', message: { id: 'm1' } })).toBe(false);
    checked.add('GET /me/export');

    const health = await fetch(`${base}/api/health`);
    const healthSchema = responseSchema('GET', '/health', health.status);
    expect(ajv.getSchema(`${BASE_ID}${healthSchema.$ref}`)!(await health.json())).toBe(true);
    checked.add('GET /health');
    const metrics = await fetch(`${base}/api/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/parley_/);
    checked.add('GET /metrics');

    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...checked].sort()).toEqual(documented.sort());
  });

  it('describes the errors: their statuses are listed and their bodies match', async () => {
    const missing = await call('ann', 'GET', '/conversations/{id}', '/conversations/nope');
    expect(missing.error.code).toBe('NOT_FOUND');
    const bad = await call('ann', 'POST', '/conversations/group', '/conversations/group', { name: '', memberIds: 'x' });
    expect(bad.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: expect.any(String) } });
    expect((await call(null, 'GET', '/conversations', '/conversations')).error.code).toBe('UNAUTHENTICATED');
    expect((await call('banned', 'GET', '/conversations', '/conversations')).error.code).toBe('FORBIDDEN');
    const group = await call('ann', 'POST', '/conversations/group', '/conversations/group', { name: 'Two', memberIds: ['ben'] });
    const message = await call('ann', 'POST', '/conversations/messages', '/conversations/messages', { conversationId: group.id, content: 'x' });
    await call('ann', 'DELETE', '/conversations/messages/{id}', `/conversations/messages/${message.id}?forEveryone=true`);
    const conflict = await call('ann', 'PUT', '/conversations/messages/{id}', `/conversations/messages/${message.id}`, { content: 'again' });
    expect(conflict.error.code).toBe('CONFLICT');
  });
});
