/**
 * Delivery proven, as Jepsen's queue checker does (issue 9, item 6): three clients built on
 * @parley/client send 1,000+ messages into a group of all and every direct pair, over real
 * sockets, while the schedule cuts sockets (from the server side and from the client side)
 * and, in the second mode, SIGKILLs the server process and starts it again on the same SQLite
 * file and port. Then every client's view is compared with the store, read from the file:
 * 0 lost, 0 duplicated, the same order everywhere, unread counts equal to a recount.
 * fast-check generates the schedules so a failure shrinks to a small case; the seed is fixed
 * (PARLEY_CHECKER_SEED overrides it) and printed on failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { waitFor } from '@parley/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ChildNode } from '../../../test-support/child-process.js';
import { createParleyClient, type ParleyClient } from '../src/index.js';
import { compare, readStore, type Figures } from './support/checker.js';

const SEED = Number(process.env.PARLEY_CHECKER_SEED ?? 90_201);
const USERS = ['ann', 'ben', 'cat'] as const;
const FIXTURE = new URL('./fixtures/checker-server.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'parley-checker-'));
const totals = { runs: 0, messages: 0, socketsKilled: 0, restarts: 0, lost: 0, duplicated: 0, outOfOrder: 0, unreadWrong: 0 };

type Disruption = 'none' | 'server-cut' | 'client-cut' | 'read' | 'restart';
interface Burst {
  client: number;
  /** Which of the client's conversations: 0 the group, 1 and 2 its direct ones. */
  conversation: number;
  size: number;
  disruption: Disruption;
  pauseMs: number;
}

const burst = (disruptions: Disruption[]) =>
  fc.record({
    client: fc.nat(2),
    conversation: fc.nat(2),
    size: fc.integer({ min: 10, max: 50 }),
    disruption: fc.constantFrom(...disruptions),
    pauseMs: fc.integer({ min: 0, max: 15 }),
  });
const schedule = (disruptions: Disruption[]) => fc.array(burst(disruptions), { minLength: 25, maxLength: 40 });

/** A server child on `port` (0: any) over `file`. */
async function startServer(file: string, port: number): Promise<{ child: ChildNode; port: number }> {
  const child = await ChildNode.start(FIXTURE, [file, String(port)]);
  const ready = await child.next((m) => 'listening' in m, 30_000);
  return { child, port: ready.listening as number };
}

async function post(base: string, token: string, path: string, body: unknown): Promise<{ id: string }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as { id: string };
}

/** One run of a schedule on a fresh database; returns the figures. */
async function runSchedule(bursts: Burst[], mode: 'cuts' | 'restarts'): Promise<Figures & { socketsKilled: number; restarts: number }> {
  const file = join(dir, `run-${(totals.runs += 1)}.db`);
  let server = await startServer(file, 0);
  const port = server.port;
  const base = `http://127.0.0.1:${port}/api`;
  const group = await post(base, 'ann', '/conversations/group', { name: 'all', memberIds: ['ben', 'cat'] });
  const ab = await post(base, 'ann', '/conversations/direct', { recipientId: 'ben' });
  const ac = await post(base, 'ann', '/conversations/direct', { recipientId: 'cat' });
  const bc = await post(base, 'ben', '/conversations/direct', { recipientId: 'cat' });
  const conversations: Record<string, string[]> = { [group.id]: [...USERS], [ab.id]: ['ann', 'ben'], [ac.id]: ['ann', 'cat'], [bc.id]: ['ben', 'cat'] };
  const own: Record<string, string[]> = { ann: [group.id, ab.id, ac.id], ben: [group.id, ab.id, bc.id], cat: [group.id, ac.id, bc.id] };

  const live = new Map<string, Set<WebSocket>>(USERS.map((u) => [u, new Set()]));
  const clients = new Map<string, ParleyClient>();
  const invalid: string[] = [];
  for (const user of USERS) {
    const sockets = live.get(user)!;
    // Records the client's sockets, so the schedule can cut them abruptly from the client side.
    class TrackedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.add(this);
        this.once('close', () => sockets.delete(this));
      }
    }
    const client = createParleyClient({
      url: `ws://127.0.0.1:${port}/chat`,
      restUrl: base,
      getToken: () => user,
      WebSocket: TrackedWebSocket,
      network: null,
      reconnect: { initialDelayMs: 20, maxDelayMs: 250 },
      heartbeatIntervalMs: false,
    });
    client.on('invalid_frame', ({ problem }) => invalid.push(problem));
    clients.set(user, client);
  }
  await waitFor(() => [...clients.values()].every((c) => c.status === 'open'), 10_000, 'clients open');
  await Promise.all(USERS.map((u) => Promise.all(own[u]!.map((id) => clients.get(u)!.openConversation(id, { from: 0, join: false })))));

  const sends = new Map<string, string>();
  const done: Array<Promise<unknown>> = [];
  let socketsKilled = 0;
  let restarts = 0;
  for (const [b, step] of bursts.entries()) {
    const user = USERS[step.client]!;
    const client = clients.get(user)!;
    const conversationId = own[user]![step.conversation]!;
    for (let k = 0; k < step.size; k += 1) {
      const clientMessageId = `${user}-${b}-${k}`;
      sends.set(clientMessageId, user);
      done.push(client.sendMessage({ conversationId, content: `${user} ${b}.${k}`, clientMessageId }));
    }
    if (step.disruption === 'server-cut') {
      server.child.send({ kill: step.client === 0 ? null : user, id: b });
      socketsKilled += (await server.child.next((m) => m.id === b)).killed as number;
    } else if (step.disruption === 'client-cut') {
      for (const socket of live.get(user)!) {
        socket.terminate();
        socketsKilled += 1;
      }
    } else if (step.disruption === 'read') {
      done.push(client.markAsRead(conversationId).catch(() => undefined));
    } else if (step.disruption === 'restart') {
      server.child.kill('SIGKILL');
      await server.child.exited;
      restarts += 1;
      server = await startServer(file, port);
    }
    await new Promise((resolve) => setTimeout(resolve, step.pauseMs));
  }

  try {
    await Promise.all(done);
    // Quiet now: wait for every view to settle on the store's contents.
    const store = () => readStore(file, conversations);
    await waitFor(() => Object.values(compare(store(), sends, clients, conversations)).slice(1).every((n) => n === 0), 20_000, 'views equal to the store').catch(() => undefined);
    const figures = compare(store(), sends, clients, conversations);
    expect(invalid).toEqual([]);
    return { ...figures, socketsKilled, restarts };
  } finally {
    for (const client of clients.values()) client.close();
    server.child.kill('SIGKILL');
    await server.child.exited;
  }
}

async function check(mode: 'cuts' | 'restarts', disruptions: Disruption[], numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(schedule(disruptions), async (bursts) => {
      const figures = await runSchedule(bursts, mode);
      for (const key of ['messages', 'socketsKilled', 'restarts', 'lost', 'duplicated', 'outOfOrder', 'unreadWrong'] as const) totals[key] += figures[key];
      console.info(`delivery checker (${mode}): ${JSON.stringify(figures)}`);
      expect({ lost: figures.lost, duplicated: figures.duplicated, outOfOrder: figures.outOfOrder, unreadWrong: figures.unreadWrong }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, unreadWrong: 0 });
    }),
    { seed: SEED, numRuns, interruptAfterTimeLimit: 60_000 },
  ).catch((error: unknown) => {
    throw new Error(`delivery checker failed (seed ${SEED}; rerun with PARLEY_CHECKER_SEED=${SEED}): ${String(error)}`);
  });
}

describe('delivery checker', () => {
  afterAll(() => {
    console.info(`delivery checker totals: ${JSON.stringify(totals)}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses, duplicates and reorders nothing while sockets are cut', async () => {
    const before = totals.socketsKilled;
    await check('cuts', ['none', 'server-cut', 'client-cut', 'read'], 3);
    expect(totals.socketsKilled - before).toBeGreaterThan(0);
  }, 180_000);

  it('loses, duplicates and reorders nothing across server process restarts (SIGKILL) on the same SQLite file', async () => {
    const before = totals.restarts;
    await check('restarts', ['none', 'none', 'server-cut', 'read', 'restart'], 3);
    expect(totals.restarts - before).toBeGreaterThan(0);
  }, 180_000);
});
