import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatServices, verifyWebhook, type ChatServices, type WebhookDelivery, type WebhookOptions } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.js';

/**
 * Webhooks over real sockets: a node:http receiver on loopback that refuses connections, answers
 * 500, never answers, answers slowly, then recovers — and services on an SQLite file that are
 * stopped mid-retry and started again. Every event must arrive, signed, once per delivery id,
 * with every retry carrying the same id. Figures go to FAULTS.md.
 */
type Mode = 'fail' | 'hang' | 'slow' | 'ok';

interface Seen {
  deliveryId: string;
  attempt: number;
  eventId: string;
  eventType: string;
  endpoint: string;
  answered: 200 | 500 | 'none';
}

/** The receiver: verifies every request as docs/webhooks.md says, then answers as `mode` says. */
class Receiver {
  mode: Mode = 'ok';
  readonly seen: Seen[] = [];
  readonly refusedSignatures: string[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | null = null;
  port = 0;

  constructor(private readonly secrets: Record<string, string>) {}

  async listen(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Delivery ids answered 200, with how often. */
  delivered(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.seen) if (s.answered === 200) counts.set(s.deliveryId, (counts.get(s.deliveryId) ?? 0) + 1);
    return counts;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const endpoint = req.url ?? '/';
    let verified;
    try {
      verified = verifyWebhook({ body: Buffer.concat(chunks), headers: req.headers, secret: this.secrets[endpoint] ?? 'unknown endpoint' });
    } catch (error) {
      this.refusedSignatures.push(String(error));
      res.writeHead(401).end();
      return;
    }
    const mode = this.mode;
    const record: Seen = { deliveryId: verified.deliveryId, attempt: verified.attempt, eventId: verified.event.id, eventType: verified.event.type, endpoint, answered: 'none' };
    this.seen.push(record);
    if (mode === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (mode === 'fail') {
      record.answered = 500;
      res.writeHead(500).end('receiver broken');
      return;
    }
    if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 150));
    record.answered = 200;
    res.writeHead(200).end('ok');
  }
}

const SECRETS = { '/all': 'whsec-all-0123456789', '/sends': 'whsec-sends-9876543210' };
const dirs: string[] = [];
const open: Array<ChatServices | Receiver> = [];

afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileName(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-webhooks-'));
  dirs.push(dir);
  return join(dir, 'chat.db');
}

function services(filename: string, receiver: Receiver, settings: Partial<WebhookOptions> = {}): ChatServices {
  const chat = createChatServices({
    store: createSqliteStore({ filename }),
    webhooks: {
      endpoints: [
        { id: 'all', url: receiver.url('/all'), secret: SECRETS['/all'] },
        { id: 'sends', url: receiver.url('/sends'), secret: SECRETS['/sends'], events: ['message.sent'] },
      ],
      // Short delays so that a test sees many attempts; the lease outlasts a timed-out attempt.
      baseDelayMs: 40,
      maxDelayMs: 150,
      timeoutMs: 1_000,
      leaseMs: 5_000,
      pollIntervalMs: 25,
      maxAttempts: 1_000,
      ...settings,
    },
  });
  open.push(chat);
  return chat;
}

async function rows(chat: ChatServices): Promise<WebhookDelivery[]> {
  const all: WebhookDelivery[] = [];
  let cursor: string | undefined;
  do {
    const page = await chat.webhooks!.listDeliveries({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

/** A burst of every kind of change: 2 users' sends, an edit, a delete, an add, a role change, a ban. */
async function changes(chat: ChatServices, tag: string): Promise<void> {
  const [owner, a, b] = [`owner-${tag}`, `a-${tag}`, `b-${tag}`];
  const group = await chat.conversations.createGroupConversation(owner, { name: `hooks ${tag}`, memberIds: [a] });
  const first = await chat.messages.sendMessage(a, { conversationId: group.id, content: 'one' });
  await chat.messages.sendMessage(owner, { conversationId: group.id, content: 'two' });
  await chat.messages.editMessage(first.id, a, 'one, edited');
  await chat.messages.deleteMessage(first.id, a, true);
  await chat.conversations.addMembers(group.id, owner, [b]);
  await chat.conversations.updateMemberRole(group.id, owner, b, 'admin');
  await chat.moderation.ban(group.id, owner, { userId: a, reason: 'test' });
}

/** Every row is answered 200 exactly once, under its own delivery id, for its own event and endpoint. */
function expectEachDeliveredOnce(stored: WebhookDelivery[], receiver: Receiver): void {
  const delivered = receiver.delivered();
  expect(stored.every((d) => d.status === 'delivered')).toBe(true);
  expect([...delivered.keys()].sort()).toEqual(stored.map((d) => d.id).sort());
  expect([...delivered.values()].every((n) => n === 1)).toBe(true);
  const byDelivery = new Map(stored.map((d) => [d.id, d]));
  for (const s of receiver.seen) {
    const row = byDelivery.get(s.deliveryId)!;
    expect([s.eventId, s.eventType, s.endpoint]).toEqual([row.eventId, row.eventType, `/${row.endpointId}`]);
  }
  expect(receiver.refusedSignatures).toEqual([]);
}

describe('webhooks to a real HTTP receiver', () => {
  it('a receiver that answers 500, then never answers, then slowly, then recovers gets every event once per delivery id', async () => {
    const receiver = new Receiver(SECRETS);
    await receiver.listen();
    open.push(receiver);
    receiver.mode = 'fail';
    const chat = services(fileName(), receiver);
    await changes(chat, 'x');
    const stored = await rows(chat);
    const ids = new Set(stored.map((d) => d.id));
    // Each delivery is refused with a 500 at least twice…
    await waitFor(() => [...ids].every((id) => receiver.seen.filter((s) => s.deliveryId === id && s.answered === 500).length >= 2), 20_000, 'two 500s per delivery');
    receiver.mode = 'hang';
    // …then times out at least once (the receiver holds the request open)…
    await waitFor(
      async () => (await rows(chat)).every((d) => d.lastError?.startsWith('no answer within') === true && receiver.seen.some((s) => s.deliveryId === d.id && s.answered === 'none')),
      20_000,
      'a timeout per delivery',
    );
    receiver.mode = 'slow';
    await waitFor(async () => (await rows(chat)).every((d) => d.status === 'delivered'), 20_000, 'every delivery delivered');
    const final = await rows(chat);
    expectEachDeliveredOnce(final, receiver);

    // One row, so one delivery id, per event and endpoint; every retry of it carried that id.
    const pairs = new Set(final.map((d) => `${d.eventId}/${d.endpointId}`));
    expect(pairs.size).toBe(final.length);
    const types = new Set(final.map((d) => d.eventType));
    for (const type of ['conversation.created', 'message.sent', 'message.edited', 'message.deleted', 'member.added', 'member.role_changed', 'member.removed', 'member.banned']) expect(types).toContain(type);
    expect(final.filter((d) => d.endpointId === 'sends').every((d) => d.eventType === 'message.sent')).toBe(true);
    for (const d of final) {
      const attempts = receiver.seen.filter((s) => s.deliveryId === d.id);
      expect(attempts.some((s) => s.answered === 500) && attempts.some((s) => s.answered === 'none') && attempts.at(-1)!.answered === 200).toBe(true);
      // Parley-Attempt counts up (an attempt that timed out before the receiver read it is not seen here).
      expect(attempts.every((s, i) => i === 0 || s.attempt > attempts[i - 1]!.attempt)).toBe(true);
    }
    const count = (what: Seen['answered']) => receiver.seen.filter((s) => s.answered === what).length;
    console.info(
      `webhooks, receiver 500 → silent → slow → ok: ${final.length} deliveries of ${new Set(final.map((d) => d.eventId)).size} events to 2 endpoints; ` +
        `${receiver.seen.length} requests (${count(500)} answered 500, ${count('none')} timed out, ${count(200)} answered 200); ` +
        `0 lost, 0 delivered twice, ${receiver.refusedSignatures.length} bad signatures, most attempts for one delivery ${Math.max(...final.map((d) => d.attempts))}`,
    );
  }, 90_000);

  it('services stopped mid-retry (receiver down) and started again on the same SQLite file deliver everything once', async () => {
    // A port that nothing listens on yet: connections are refused.
    const receiver = new Receiver(SECRETS);
    await receiver.listen();
    const port = receiver.port;
    await receiver.close();
    const filename = fileName();
    const first = services(filename, receiver);
    await changes(first, 'y');
    const written = await rows(first);
    await waitFor(async () => (await rows(first)).every((d) => d.attempts >= 2 && /ECONNREFUSED/.test(d.lastError ?? '')), 20_000, 'two refused attempts per delivery');
    const beforeStop = await rows(first);
    await first.close();
    open.splice(open.indexOf(first), 1);

    await receiver.listen(port);
    open.push(receiver);
    const second = services(filename, receiver);
    await waitFor(async () => (await rows(second)).every((d) => d.status === 'delivered'), 20_000, 'every delivery delivered after the restart');
    const final = await rows(second);
    expect(final.map((d) => d.id).sort()).toEqual(written.map((d) => d.id).sort());
    expectEachDeliveredOnce(final, receiver);
    console.info(
      `webhooks, receiver down then services restarted: ${final.length} deliveries written before the stop, ` +
        `${beforeStop.reduce((n, d) => n + d.attempts, 0)} refused attempts before it, all ${receiver.delivered().size} delivered after it, each once, under the ids written before it`,
    );
  }, 90_000);

  it('two nodes on one SQLite file send each delivery once', async () => {
    const receiver = new Receiver(SECRETS);
    await receiver.listen();
    open.push(receiver);
    const filename = fileName();
    const generous = { timeoutMs: 5_000, leaseMs: 10_000 }; // no attempt may time out here: that would be a second request
    const nodes = [services(filename, receiver, generous), services(filename, receiver, generous)];
    await Promise.all(nodes.map((node, i) => changes(node, `node${i}`)));
    await waitFor(async () => (await rows(nodes[0]!)).every((d) => d.status === 'delivered'), 20_000, 'every delivery delivered');
    const final = await rows(nodes[1]!);
    expectEachDeliveredOnce(final, receiver);
    expect(receiver.seen.length).toBe(final.length);
  }, 60_000);

  it('after the last attempt a delivery is dead, listed, and redelivered under the same id', async () => {
    const receiver = new Receiver(SECRETS);
    await receiver.listen();
    open.push(receiver);
    receiver.mode = 'fail';
    const chat = services(fileName(), receiver, { maxAttempts: 3 });
    const group = await chat.conversations.createGroupConversation('dead-owner', { name: 'dead letters', memberIds: ['dead-member'] });
    await chat.messages.sendMessage('dead-member', { conversationId: group.id, content: 'never arrives' });
    const stored = await rows(chat);
    await waitFor(async () => (await chat.webhooks!.listDeliveries({ status: 'dead' })).items.length === stored.length, 20_000, 'every delivery dead');
    const dead = (await chat.webhooks!.listDeliveries({ status: 'dead' })).items;
    expect(dead.every((d) => d.attempts === 3 && d.lastError === 'HTTP 500')).toBe(true);
    expect(receiver.seen.length).toBe(3 * stored.length);
    receiver.mode = 'ok';
    for (const d of dead) expect((await chat.webhooks!.redeliver(d.id)).status).toBe('pending');
    await expect(chat.webhooks!.redeliver(dead[0]!.id).then(() => 'redelivered', (e: { code: string }) => e.code)).resolves.toMatch(/CONFLICT|redelivered/);
    await waitFor(async () => (await rows(chat)).every((d) => d.status === 'delivered'), 20_000, 'redelivered');
    expectEachDeliveredOnce(await rows(chat), receiver);
    await expect(chat.webhooks!.redeliver('no-such-delivery')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 60_000);
});
