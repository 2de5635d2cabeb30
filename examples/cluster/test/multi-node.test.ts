import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from '@parley/core/testing';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { TestClient, type Frame } from '../../../packages/transport-ws/test/ws-client.js';
import { ChildNode } from '../../../test-support/child-process.js';
import { DATABASE_URL, describeWithService, postgresUnavailable, REDIS_URL, redisUnavailable } from '../../../test-support/services.js';

const unavailable = (await postgresUnavailable()) ?? (await redisUnavailable());
const nodeScript = fileURLToPath(new URL('../src/node.ts', import.meta.url));
const secret = 'cluster-test-secret-long-enough-for-hs256';
const run = `mn_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
const NODE_TTL_MS = 3_000;
const HEARTBEAT_MS = 500;

const children: ChildNode[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (unavailable !== null) return;
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS "${run}" CASCADE`);
  await db.end();
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${run}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const token = (sub: string) => new SignJWT({ name: sub }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('1h').sign(new TextEncoder().encode(secret));

async function startNode(index: number): Promise<{ child: ChildNode; url: string }> {
  const child = await ChildNode.start(nodeScript, [], {
    DATABASE_URL,
    REDIS_URL,
    PORT: '0',
    PARLEY_NODE_ID: `node-${index}`,
    PARLEY_SCHEMA: run,
    PARLEY_REDIS_PREFIX: `${run}:`,
    PARLEY_JWT_SECRET: secret,
    PARLEY_HEARTBEAT_MS: String(HEARTBEAT_MS),
    PARLEY_NODE_TTL_MS: String(NODE_TTL_MS),
    PARLEY_MESSAGE_RATE: '1000',
  });
  children.push(child);
  const match = await child.line(/listening on (http:\/\/\S+)/, 30_000);
  return { child, url: match[1]! };
}

/** The conversation changes a socket received, as broadcasts (ordered) and as its own send replies. */
function changesSeen(client: TestClient, conversationId: string) {
  const broadcast: number[] = [];
  const replied: number[] = [];
  for (const frame of client.frames) {
    const data = frame.data as { message?: { conversationId: string; version: number }; conversationId?: string; version?: number };
    const conversation = data?.message?.conversationId ?? data?.conversationId;
    if (conversation !== conversationId) continue;
    const version = data.message?.version ?? data.version;
    if (['new_message', 'message_edited', 'message_deleted', 'message_reaction_updated'].includes(frame.type)) broadcast.push(version!);
    if (frame.type === 'message_sent') replied.push(version!);
  }
  return { broadcast, replied };
}

describeWithService('several nodes: three processes on one Postgres and one Redis', unavailable, () => {
  it('every event reaches every intended socket once, in the same order; a crash and a removal are seen everywhere', async () => {
    const nodes = await Promise.all([0, 1, 2].map(startNode));
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    const tokens = Object.fromEntries(await Promise.all([...users, 'solo'].map(async (u) => [u, await token(u)] as const)));
    const api = async (node: number, user: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${nodes[node]!.url}/api${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as any };
    };
    const group = (await api(0, 'u1', 'POST', '/conversations/group', { name: 'everyone', memberIds: users.slice(1) })).json.id as string;
    const side = (await api(1, 'u3', 'POST', '/conversations/group', { name: 'side', memberIds: ['u4', 'u5', 'solo'] })).json.id as string;
    const direct = (await api(2, 'u1', 'POST', '/conversations/direct', { recipientId: 'u2' })).json.id as string;
    const memberships: Record<string, string[]> = { [group]: users, [side]: ['u3', 'u4', 'u5', 'solo'], [direct]: ['u1', 'u2'] };

    // Each user has two sockets, on two different nodes; `solo` one socket, on node 2.
    const connect = async (user: string, node: number) => {
      const client = await TestClient.connect(`${nodes[node]!.url.replace('http', 'ws')}/chat?token=${tokens[user]}`);
      await client.next('connected');
      return { user, node, client };
    };
    const sockets = await Promise.all(users.flatMap((u, i) => [connect(u, i % 3), connect(u, (i + 1) % 3)]));
    const solo = await connect('solo', 2);
    const all = [...sockets, solo];
    for (const s of all) for (const [c, members] of Object.entries(memberships)) if (members.includes(s.user)) await s.client.request('join_conversation', { conversationId: c });
    await sleep(300);
    const startVersion = new Map<string, number>();
    for (const c of Object.keys(memberships)) startVersion.set(c, (await api(0, memberships[c]![0]!, 'GET', `/conversations/${c}`)).json.version);
    for (const s of all) s.client.frames.length = 0;

    // Typing, one user at a time: every other socket in the room hears start and stop once.
    for (const s of sockets.filter((_, i) => i % 2 === 0)) {
      await s.client.request('typing_start', { conversationId: group });
      await s.client.request('typing_stop', { conversationId: group });
    }

    // The load: every socket sends, edits, reacts, deletes and reads at once, across nodes.
    const sent = await Promise.all(
      sockets.map(async ({ user, client }, i) => {
        const mine: string[] = [];
        for (let k = 0; k < 10; k++) {
          const target = k % 5 === 0 && memberships[side]!.includes(user) ? side : k % 7 === 0 && memberships[direct]!.includes(user) ? direct : group;
          const reply = await client.request('send_message', { conversationId: target, content: `${user} #${i}.${k}`, tempId: `${user}-${i}-${k}` });
          expect(reply.type).toBe('message_sent');
          mine.push(reply.data.message.id);
        }
        await client.request('edit_message', { messageId: mine[1], content: `${user} edited` });
        await client.request('react_to_message', { messageId: mine[2], emoji: `e${i}` });
        await client.request('delete_message', { messageId: mine[3], forEveryone: true });
        await client.request('mark_as_read', { conversationId: group });
        return mine;
      }),
    );
    const messagesSent = sent.flat().length;

    // Wait until every socket has heard the last change of each of its conversations.
    const finalVersion = new Map<string, number>();
    for (const c of Object.keys(memberships)) finalVersion.set(c, (await api(0, memberships[c]![0]!, 'GET', `/conversations/${c}`)).json.version);
    await waitFor(
      () =>
        all.every((s) =>
          Object.entries(memberships).every(([c, members]) => {
            if (!members.includes(s.user)) return true;
            const { broadcast, replied } = changesSeen(s.client, c);
            return broadcast.includes(finalVersion.get(c)!) || replied.includes(finalVersion.get(c)!);
          }),
        ),
      15_000,
      'every socket caught up with every conversation',
    );
    await sleep(300);

    let deliveries = 0;
    for (const s of all) {
      for (const [c, members] of Object.entries(memberships)) {
        if (!members.includes(s.user)) {
          expect(changesSeen(s.client, c).broadcast, `${s.user} is not in ${c}`).toEqual([]);
          continue;
        }
        const { broadcast, replied } = changesSeen(s.client, c);
        deliveries += broadcast.length;
        const expected = Array.from({ length: finalVersion.get(c)! - startVersion.get(c)! }, (_, k) => startVersion.get(c)! + k + 1);
        // Exactly once: each change as a broadcast or (to the socket that sent it) as the reply.
        expect([...broadcast, ...replied].sort((a, b) => a - b), `${s.user}@node${s.node} in ${c}`).toEqual(expected);
        // In the same order everywhere: the conversation's version order.
        expect(broadcast, `${s.user}@node${s.node} order in ${c}`).toEqual([...broadcast].sort((a, b) => a - b));
      }
    }
    // Read receipts: every socket of every member of the group hears each read once.
    const reads = (s: { client: TestClient }) => s.client.frames.filter((f: Frame) => f.type === 'messages_read' && f.data.conversationId === group);
    const readers = all.filter((x) => memberships[group]!.includes(x.user));
    const readKey = (f: Frame) => `${f.data.userId}:${f.data.lastReadSeq}`;
    const everyRead = new Set(readers.flatMap((s) => reads(s).map(readKey)));
    for (const s of readers) {
      const keys = reads(s).map(readKey);
      expect(new Set(keys).size, `${s.user} read receipts are not repeated`).toBe(keys.length);
      // Every socket hears every other user's reads: the same receipts on every node.
      const others = (k: string) => !k.startsWith(`${s.user}:`);
      expect(keys.filter(others).sort(), `${s.user}@node${s.node} heard every other member's reads`).toEqual([...everyRead].filter(others).sort());
      expect(new Set(reads(s).map((f) => f.data.userId)).size).toBeGreaterThanOrEqual(5);
    }
    // Typing: each other socket in the room heard each start and stop exactly once.
    let typingEvents = 0;
    for (const s of sockets) {
      for (const typist of sockets.filter((_, i) => i % 2 === 0)) {
        if (typist.user === s.user) continue;
        const heard = (type: string) => s.client.frames.filter((f) => f.type === type && f.data.userId === typist.user && f.data.conversationId === group).length;
        expect(heard('user_typing'), `${s.user} hears ${typist.user} typing`).toBe(1);
        expect(heard('user_stopped_typing')).toBe(1);
        typingEvents += 2;
      }
    }

    // A crashed node's users go offline for the others within the configured time.
    const crashedAt = Date.now();
    nodes[2]!.child.kill('SIGKILL');
    const watchers = sockets.filter((s) => s.node !== 2 && memberships[side]!.includes(s.user));
    await Promise.all(watchers.map((s) => s.client.next('user_offline', (f) => f.data.userId === 'solo', NODE_TTL_MS + 10_000)));
    const offlineAfterMs = Date.now() - crashedAt;
    const online = await Promise.all(watchers.map((s) => s.client.frames.filter((f) => f.type === 'user_offline' && f.data.userId !== 'solo').length));
    expect(online.every((n) => n === 0), 'users with a socket on a live node stay online').toBe(true);
    await sleep(300);
    for (const s of watchers) expect(s.client.frames.filter((f) => f.type === 'user_offline' && f.data.userId === 'solo').length, `${s.user} told once`).toBe(1);
    // Back on a live node: everyone who shares a conversation hears it once.
    const soloAgain = await connect('solo', 1);
    await Promise.all(watchers.map((s) => s.client.next('user_online', (f) => f.data.userId === 'solo', 5_000)));
    await sleep(300);
    for (const s of watchers) expect(s.client.frames.filter((f) => f.type === 'user_online' && f.data.userId === 'solo').length, `${s.user} told once`).toBe(1);
    await soloAgain.client.close();

    // A removed member is refused on every node at once: u6 holds a socket on each live node,
    // and each node has just seen u6 send (its cache counts u6 in).
    const u6 = [...sockets.filter((s) => s.user === 'u6' && s.node !== 2), await connect('u6', 1)];
    for (const s of u6) expect((await s.client.request('send_message', { conversationId: group, content: 'before removal' })).type).toBe('message_sent');
    expect((await api(0, 'u1', 'DELETE', `/conversations/${group}/members/u6`)).status).toBe(200);
    for (const s of u6) {
      const refused = await s.client.request('send_message', { conversationId: group, content: 'after removal' });
      expect(refused.data.code, `u6 on node ${s.node}`).toBe('NOT_FOUND');
    }
    expect((await api(1, 'u6', 'GET', `/conversations/${group}/messages`)).status).toBe(404);

    console.info(
      `multi-node: 3 nodes, ${all.length} sockets, ${messagesSent} messages sent, ${deliveries} conversation events delivered ` +
        `(each once, in version order), ${typingEvents} typing events, crashed node's user offline after ${offlineAfterMs} ms ` +
        `(TTL ${NODE_TTL_MS} ms, heartbeat ${HEARTBEAT_MS} ms), removed member refused at once on ${new Set(u6.map((s) => s.node)).size} nodes over WebSocket and over REST`,
    );
    for (const s of all) await s.client.close().catch(() => undefined);
    for (const n of nodes.slice(0, 2)) {
      n.child.kill('SIGTERM');
      expect(await n.child.exited).toBe(0);
    }
  }, 120_000);
});
