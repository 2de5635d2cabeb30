import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '@parley/adapter-sqlite';
import { createParleyClient, type ConversationListItem, type ParleyClient } from '@parley/client';
import { createChatServices, createMemoryStore, RealtimeHub, signWebhook, type WebhookEvent } from '@parley/core';
import { createHttpHandler } from '@parley/transport-http';
import { attachWebSocket } from '@parley/transport-ws';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildNode } from '../../test-support/child-process.js';
import { freePort } from '../../test-support/private-services.js';
import { backUpSqlite } from '../../docs/snippets/backup.js';
import { attachmentUrl, sendFile } from '../../docs/snippets/upload.js';
import { authenticate, resolveUsers } from '../../docs/snippets/users.js';
import { createWebhookReceiver } from '../../docs/snippets/webhook-receiver.js';
import { createServicesWithWebhooks, redeliverDeadWebhooks } from '../../docs/snippets/webhooks.js';

/**
 * The code of docs/getting-started.md and docs/deployment.md: every TypeScript block is a file
 * (or a region of one) of docs/snippets, shown verbatim, and each file is run here against a
 * real server over loopback — the servers as child processes, as a reader would start them.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = ['docs/getting-started.md', 'docs/deployment.md', 'docs/webhooks.md'];
const SECRET = 'a-secret-of-at-least-32-characters!!';
const FILES_SECRET = 'another-secret-of-at-least-32-bytes!';

interface Block {
  doc: string;
  line: number;
  lang: string;
  code: string;
  snippet: string | null;
}

function codeBlocks(doc: string): Block[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.indexOf('```', i + 1);
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before -= 1;
    const marker = /^<!-- snippet: (\S+) -->$/.exec(lines[before] ?? '');
    blocks.push({ doc, line: i + 1, lang: open[1]!, code: lines.slice(i + 1, end).join('\n'), snippet: marker?.[1] ?? null });
    i = end;
  }
  return blocks;
}

/** A snippet file without its region markers, or one region of it (`file.ts#name`). */
function snippetText(ref: string): string {
  const [file, region] = ref.split('#') as [string, string | undefined];
  const lines = readFileSync(join(root, file), 'utf8').trimEnd().split('\n');
  const isMarker = (line: string) => /^\s*\/\/ #(end)?region\b/.test(line);
  if (region === undefined) return lines.filter((l) => !isMarker(l)).join('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  if (start < 0) throw new Error(`${file} has no region ${region}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  return lines.slice(start + 1, end).filter((l) => !isMarker(l)).join('\n');
}

const token = (id: string, name = id) =>
  new SignJWT({ name }).setProtectedHeader({ alg: 'HS256' }).setSubject(id).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

type Opened = { ws: WebSocket; first: { type: string; data: Record<string, unknown> } } | { status: number };

/** Opens a raw socket and resolves with its first frame, or the HTTP status that refused it. */
function openSocket(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('message', (data) => resolve({ ws, first: JSON.parse(String(data)) }));
    ws.once('error', (error) => reject(error));
  });
}

const children: ChildNode[] = [];
const clients: ParleyClient[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await child.exited;
  }
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Starts a snippet as a program, in a folder of its own, and waits for "Chat on …". */
async function startSnippet(file: string, env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'parley-snippet-'));
  folders.push(cwd);
  const port = await freePort();
  const child = await ChildNode.start(join(root, 'docs/snippets', file), [], { PORT: String(port), JWT_SECRET: SECRET, ...env }, cwd);
  children.push(child);
  await child.line(/^Chat on http:\/\/localhost:\d+$/);
  return { child, cwd, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/chat` };
}

/** Resolves once the client's socket is open (`request` needs one; sends wait in the outbox). */
function opened(c: ParleyClient): Promise<void> {
  return new Promise((resolve) => {
    if (c.status === 'open') return resolve();
    const off = c.on('status', (status) => {
      if (status !== 'open') return;
      off();
      resolve();
    });
  });
}

function client(base: string, user: string): ParleyClient {
  const created = createParleyClient({ url: `${base.replace(/^http/, 'ws')}/chat`, restUrl: `${base}/api`, getToken: () => token(user), WebSocket });
  clients.push(created);
  return created;
}

async function post(base: string, user: string, path: string, body: unknown) {
  const res = await fetch(`${base}/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${await token(user)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
}

describe('docs: the code blocks', () => {
  it('are files of docs/snippets, shown verbatim (no TypeScript block without its file)', () => {
    const blocks = DOCS.flatMap(codeBlocks);
    expect(blocks.length).toBeGreaterThan(8);
    for (const block of blocks) {
      const where = `${block.doc}:${block.line}`;
      if (!['ts', 'typescript', 'js', 'tsx'].includes(block.lang)) {
        expect(['sh', 'nginx'], `${where}: a \`\`\`${block.lang} block`).toContain(block.lang);
        continue;
      }
      expect(block.snippet, `${where}: a code block needs <!-- snippet: docs/snippets/… --> before it`).not.toBeNull();
      expect(block.code, `${where} differs from ${block.snippet}`).toBe(snippetText(block.snippet!));
    }
    // Every snippet file is shown somewhere.
    const shown = new Set(blocks.map((b) => b.snippet?.split('#')[0]));
    for (const file of readdirSync(join(root, 'docs/snippets'))) expect(shown, file).toContain(`docs/snippets/${file}`);
  });

  it('install only packages this repository has, under the names npm pack gives them', () => {
    const workspaces = readdirSync(join(root, 'packages')).map((dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as { name: string; version: string });
    const names = new Set(workspaces.map((w) => w.name));
    const tarballs = new Set(workspaces.map((w) => `./${w.name.replace('@', '').replace('/', '-')}-${w.version}.tgz`));
    const shell = codeBlocks('docs/getting-started.md').filter((b) => b.lang === 'sh').map((b) => b.code).join('\n');
    for (const name of shell.match(/@parley\/[\w-]+/g) ?? []) expect(names, name).toContain(name);
    for (const file of shell.match(/\.\/parley-[\w.-]+\.tgz/g) ?? []) expect(tarballs, file).toContain(file);
  });
});

describe('docs: the snippets, run', () => {
  it.each(['express-server.ts', 'node-http-server.ts'])('%s serves REST and WebSocket', async (file) => {
    const server = await startSnippet(file);
    const health = await fetch(`${server.base}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toMatch(/^\{"status":"healthy","storage":true,"presence":true,"broker":true,/); // as getting-started shows it
    const group = await post(server.base, 'alice', '/conversations/group', { name: 'Team', memberIds: ['bob'] });
    expect(group.status).toBe(201);
    const opened = await openSocket(server.ws, ['parley', `bearer.${await token('bob')}`]);
    expect(opened).toMatchObject({ first: { type: 'connected', data: { userId: 'bob' } } });
    if ('ws' in opened) opened.ws.close();
    if (file === 'node-http-server.ts') expect((await fetch(`${server.base}/elsewhere`)).status).toBe(404);
  });

  it('client.ts sends to Bob and prints his answer', async () => {
    const server = await startSnippet('node-http-server.ts');
    const bob = client(server.base, 'bob');
    const heard = new Promise<{ conversationId: string; content: string | null }>((resolve) => bob.on('new_message', ({ message }) => resolve(message)));
    const alice = await ChildNode.start(join(root, 'docs/snippets/client.ts'), [], { CHAT_URL: server.base, JWT_SECRET: SECRET });
    children.push(alice);
    const stored = alice.line(/^stored as message #1$/);
    const answer = alice.line(/^bob: Hi, Alice$/);
    await stored;
    const message = await heard;
    expect(message.content).toBe('Hello, Bob!');
    await bob.sendMessage({ conversationId: message.conversationId, content: 'Hi, Alice' });
    await answer;
  });

  it('users.ts: authenticate and resolveUsers as the guide says', async () => {
    const chat = createChatServices({ store: createMemoryStore(), resolveUsers });
    const hub = new RealtimeHub({ services: chat });
    const api = createHttpHandler(chat, { authenticate, hub, basePath: '/api' });
    const server: Server = createServer((req, res) => api(req, res));
    const ws = attachWebSocket(hub, { server, authenticate });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const call = async (session: string | null, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api${path}`, {
        method,
        headers: { ...(session === null ? {} : { authorization: `Bearer ${session}` }), 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as any };
    };
    try {
      expect((await call(null, 'GET', '/conversations')).status).toBe(401);
      expect((await call('s-unknown', 'GET', '/conversations')).status).toBe(401);
      expect((await call('s-mallory', 'GET', '/conversations')).status).toBe(403);
      const group = await call('s-alice', 'POST', '/conversations/group', { name: 'Team', memberIds: ['bob'] });
      expect(group.status).toBe(201);
      const members = await call('s-bob', 'GET', `/conversations/${group.json.id}/members`);
      expect(members.json.map((m: { user?: unknown }) => m.user)).toEqual([
        { id: 'alice', name: 'Alice', avatar: 'https://example.com/alice.png' },
        { id: 'bob', name: 'Bob' },
      ]);
      const added = await call('s-alice', 'POST', `/conversations/${group.json.id}/members`, { memberIds: ['mallory'] });
      expect(added.status).toBe(201);
      const { json: page } = await call('s-bob', 'GET', `/conversations/${group.json.id}/messages`);
      expect(page.messages.map((m: { content: string }) => m.content)).toContain('Alice added Mallory');
      const unknown = await call('s-alice', 'POST', '/conversations/direct', { recipientId: 'zoe' });
      expect(unknown).toMatchObject({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'Unknown user: zoe', details: { field: 'recipientId' } } } });
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/chat`;
      const banned = await openSocket(url, ['parley', 'bearer.s-mallory']);
      expect(banned).toMatchObject({ first: { type: 'connection_error', data: { code: 'FORBIDDEN' } } });
      if ('ws' in banned) expect(await new Promise((resolve) => banned.ws.once('close', resolve))).toBe(4401);
    } finally {
      await ws.close();
      await hub.close();
      await chat.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('server.ts and upload.ts: origins, a file sent and fetched, then a drained shutdown', async () => {
    const server = await startSnippet('server.ts', { FILES_SECRET, ALLOWED_ORIGINS: 'http://app.test' });
    const bobToken = await token('bob');
    expect(await openSocket(server.ws, ['parley', `bearer.${bobToken}`], { origin: 'http://evil.test' })).toEqual({ status: 403 });
    const kept = await openSocket(server.ws, ['parley', `bearer.${bobToken}`], { origin: 'http://app.test' });
    if (!('ws' in kept)) throw new Error(`refused with ${kept.status}`);
    expect(kept.first.type).toBe('connected');

    const direct = await post(server.base, 'alice', '/conversations/direct', { recipientId: 'bob' });
    const conversation = direct.json as ConversationListItem;
    const alice = client(server.base, 'alice');
    await opened(alice);
    const message = await sendFile(alice, server.base, conversation.id, new Blob(['hello, file'], { type: 'text/plain' }), 'hello.txt');
    expect(message.attachments).toEqual([expect.objectContaining({ id: expect.any(String), name: 'hello.txt', size: 11 })]);
    const bob = client(server.base, 'bob');
    await opened(bob);
    const link = await attachmentUrl(bob, server.base, message.attachments[0]!.id!);
    const file = await fetch(link);
    expect(await file.text()).toBe('hello, file');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment/);
    for (const c of clients.splice(0)) c.close();

    const closed = new Promise<number>((resolve) => kept.ws.once('close', resolve));
    server.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await server.child.exited).toBe(0);
  });

  it('backup.ts copies a live SQLite database, WAL included', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'parley-backup-'));
    folders.push(folder);
    const store = createSqliteStore({ filename: join(folder, 'chat.db') });
    const chat = createChatServices({ store, limits: { messageRate: { limit: 1_000, windowMs: 1_000 } } });
    const group = await chat.conversations.createGroupConversation('alice', { name: 'Team', memberIds: ['bob'] });
    for (let i = 0; i < 30; i++) await chat.messages.sendMessage('alice', { conversationId: group.id, content: `before ${i}` });
    const during = Promise.all(Array.from({ length: 30 }, (_, i) => chat.messages.sendMessage('bob', { conversationId: group.id, content: `during ${i}` })));
    const copy = await backUpSqlite(store, folder);
    await during;
    await chat.close();

    const restored = createChatServices({ store: createSqliteStore({ filename: copy }) });
    try {
      const { messages } = await restored.messages.getConversationMessages(group.id, 'alice', { limit: 100 });
      const texts = messages.map((m) => m.content);
      for (let i = 0; i < 30; i++) expect(texts).toContain(`before ${i}`);
      expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1)); // whole, no gaps
    } finally {
      await restored.close();
    }
  });
  it('webhooks.ts and webhook-receiver.ts: events arrive signed, forgeries are refused, a replayed delivery is handled once', async () => {
    const secret = 'whsec-docs-0123456789abcdef0123456789';
    const handled: WebhookEvent[] = [];
    const receiver = createWebhookReceiver(secret, async (event) => {
      handled.push(event);
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/parley`;
    const dir = mkdtempSync(join(tmpdir(), 'parley-webhooks-doc-'));
    const chat = createServicesWithWebhooks(url, secret, join(dir, 'chat.db'));
    try {
      const group = await chat.conversations.createGroupConversation('alice', { name: 'Hooks', memberIds: ['bob'] });
      await chat.messages.sendMessage('bob', { conversationId: group.id, content: 'hello, webhooks' });
      const sent = () => handled.find((e) => e.type === 'message.sent' && e.data.message.content === 'hello, webhooks');
      for (let i = 0; i < 500 && sent() === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      expect(sent()).toBeDefined();
      expect(handled.map((e) => e.type)).toContain('conversation.created');
      const delivered = (await chat.webhooks!.listDeliveries({ status: 'delivered' })).items.find((d) => d.eventId === sent()!.id)!;

      const post = (body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers }).then((r) => r.status);
      const now = Math.floor(Date.now() / 1000);
      const headers = (body: string, at: number, key = secret) => ({ 'parley-delivery': delivered.id, 'parley-timestamp': String(at), 'parley-signature': signWebhook(body, key, at) });
      const count = handled.length;
      // The same delivery again (its answer was lost, say): answered, not handled twice.
      expect(await post(delivered.body, headers(delivered.body, now))).toBe(204);
      expect(handled.length).toBe(count);
      // Signed with another secret, altered, or replayed later than 5 minutes: refused.
      expect(await post(delivered.body, headers(delivered.body, now, 'not-the-secret'))).toBe(401);
      expect(await post(delivered.body.replace('hello', 'HELLO'), headers(delivered.body, now))).toBe(401);
      expect(await post(delivered.body, headers(delivered.body, now - 600))).toBe(401);
      expect(handled.length).toBe(count);
      expect(await redeliverDeadWebhooks(chat)).toBe(0);
    } finally {
      await chat.close();
      await new Promise((resolve) => receiver.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
