import { createChatServices, createMemoryStore } from '@parley/core';
import { sleep, waitFor } from '@parley/core/testing';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { jwtAuthenticator } from '../src/index.js';
import { startNode, type Node } from './setup.js';
import { TestClient } from './ws-client.js';

const secret = 'hardening-test-secret-that-is-long-enough';
const jwt = (sub: string, expiresIn: string | number) =>
  new SignJWT({ name: sub }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
const nowSec = () => Math.floor(Date.now() / 1000);

let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

async function jwtNode(options: Parameters<typeof startNode>[0] = {}) {
  return startNode({ ...options, ws: { authenticate: jwtAuthenticator({ secret, algorithms: ['HS256'], clockToleranceSec: 0 }), ...options.ws } });
}

describe('sessions: a socket never outlives its token', () => {
  it('is closed with 4401 when the token expires', async () => {
    node = await jwtNode();
    const client = await TestClient.connect(`${node.url}?token=${await jwt('ann', nowSec() + 2)}`);
    const connected = await client.next('connected');
    expect(Date.parse(connected.data.expiresAt)).toBeGreaterThan(Date.now());
    expect((await client.request('ping')).type).toBe('pong');
    expect(await client.closed).toBe(4401);
    expect((await client.next('connection_error')).data.code).toBe('UNAUTHENTICATED');
  });

  it('stays open past the first expiry when the client sends a fresh token for the same user', async () => {
    node = await jwtNode();
    const client = await TestClient.connect(`${node.url}?token=${await jwt('ann', nowSec() + 2)}`);
    await client.next('connected');
    const other = await client.request('authenticate', { token: await jwt('ben', '1h') });
    expect(other.data).toMatchObject({ code: 'FORBIDDEN' });
    const bad = await client.request('authenticate', { token: 'not-a-token' });
    expect(bad.data).toMatchObject({ code: 'UNAUTHENTICATED' });
    const fresh = await client.request('authenticate', { token: await jwt('ann', '1h') });
    expect(fresh.type).toBe('authenticated');
    expect(Date.parse(fresh.data.expiresAt)).toBeGreaterThan(Date.now() + 3_000_000);
    await sleep(3_000);
    expect(client.closeCode).toBeNull();
    expect((await client.request('ping')).type).toBe('pong');
    await client.close();
  });

  it('the host signs a user out on every node: all of their sockets close', async () => {
    node = await startNode();
    const a = await node.connect('ann');
    const b = await node.connect('ann');
    const ben = await node.connect('ben');
    node.hub.disconnectUser('ann', { reason: 'banned', code: 4403 });
    expect(await a.closed).toBe(4403);
    expect(await b.closed).toBe(4403);
    expect((await a.next('connection_error')).data.message).toBe('banned');
    expect((await ben.request('ping')).type).toBe('pong');
  });

  it('a token whose subject is "victim " is refused, never trimmed into victim', async () => {
    node = await jwtNode();
    const client = await TestClient.connect(`${node.url}?token=${await jwt('victim ', '1h')}`);
    expect((await client.next('connection_error')).data.code).toBe('UNAUTHENTICATED');
    expect(await client.closed).toBe(4401);
  });
});

describe('limits that hold over time and across sockets', () => {
  it('a long-lived client one frame over in six separate bursts is answered RATE_LIMITED, never closed', async () => {
    node = await startNode({ hub: { rateLimits: { frames: 5, frameWindowMs: 300, userFrames: 1_000 } } });
    const client = await node.connect('ann');
    for (let burst = 0; burst < 6; burst++) {
      const replies = await Promise.all(Array.from({ length: 6 }, () => client.request('ping')));
      expect(replies.filter((r) => r.type === 'error').map((r) => r.data.code)).toEqual(['RATE_LIMITED']);
      await sleep(350);
    }
    expect(client.closeCode).toBeNull();
  });

  it('a connection far past its budget within one window is closed with 4429', async () => {
    node = await startNode({ hub: { rateLimits: { frames: 3, frameWindowMs: 10_000, userFrames: 1_000 } } });
    const client = await node.connect('ann');
    for (let i = 0; i < 10; i++) client.ws.send(JSON.stringify({ type: 'ping', id: i }));
    expect(await client.closed).toBe(4429);
  });

  it('frames are counted per user: ten sockets do not get ten budgets', async () => {
    node = await startNode({ hub: { rateLimits: { frames: 100, userFrames: 10, frameWindowMs: 60_000 } } });
    const sockets = await Promise.all(Array.from({ length: 5 }, () => node!.connect('ann')));
    const replies = await Promise.all(sockets.flatMap((s) => [s.request('ping'), s.request('ping'), s.request('ping')]));
    expect(replies.filter((r) => r.type === 'pong')).toHaveLength(10);
    expect(replies.filter((r) => r.data.code === 'RATE_LIMITED')).toHaveLength(5);
  });

  it('a user may hold only so many sockets', async () => {
    node = await startNode({ ws: { maxConnectionsPerUser: 3 } });
    const open = await Promise.all([node.connect('ann'), node.connect('ann'), node.connect('ann')]);
    const fourth = await TestClient.connect(`${node.url}?token=tok-ann`);
    expect((await fourth.next('connection_error')).data.code).toBe('RATE_LIMITED');
    expect(await fourth.closed).toBe(4429);
    await open[0]!.close();
    await waitFor(async () => (await node!.hub.countUserSockets('ann')) === 2, 2_000, 'a socket freed');
    const again = await node.connect('ann');
    await again.close();
  });

  it('one address may hold only so many sockets, whoever they belong to', async () => {
    node = await startNode({ ws: { maxConnectionsPerAddress: 2, maxConnectionsPerUser: 10 } });
    const first = await node.connect('ann');
    await node.connect('ben');
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${node!.url}?token=tok-cat`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('a third socket from one address was accepted')));
      ws.once('error', () => {});
    });
    expect(refused).toBe(429);
    await first.close();
    await waitFor(() => node!.hub.connectionCount === 1, 2_000, 'a socket freed');
    const again = await node.connect('cat');
    await again.close();
  });

  it('a sync may name a configured number of conversations at most', async () => {
    node = await startNode({ hub: { maxSyncConversations: 3 } });
    const client = await node.connect('ann');
    const since = Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [id, 0]));
    const reply = await client.request('sync', { since });
    expect(reply.data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'since' } });
  });
});

describe('hostile text over the wire', () => {
  it('a lone surrogate or a NUL is refused with the field named, never stored altered', async () => {
    node = await startNode();
    const id = (await node.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    // JSON text can carry a lone surrogate as an escape; the frame must say exactly that.
    ann.ws.send(`{"type":"send_message","id":"s1","data":{"conversationId":"${id}","content":"x\\ud800y"}}`);
    const surrogate = await ann.next('error', (f) => f.replyTo === 's1');
    expect(surrogate.data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'content' } });
    const nul = await ann.request('send_message', { conversationId: id, content: 'a\u0000b' });
    expect(nul.data).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'content' } });
    const fine = await ann.request('send_message', { conversationId: id, content: '😀 e\u0301' });
    expect(fine.data.message.content).toBe('😀 e\u0301');
    expect((await node.chat.messages.getConversationMessages(id, 'ann')).messages.map((m) => m.content)).toEqual([expect.stringContaining('created'), '😀 e\u0301']);
  });
});

describe('slow consumers and subprotocols', () => {
  it('a client that stops reading is closed with 4408 after the grace period, and the server lets go of it', async () => {
    node = await startNode({ ws: { maxBufferedBytes: 64 * 1024, slowConsumerGraceMs: 300 }, hub: { rateLimits: { frames: 100_000, userFrames: 100_000 } } });
    const id = (await node.chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: ['ben'] })).id;
    const ann = await node.connect('ann');
    const ben = await node.connect('ben');
    // Ben's socket stops reading: the kernel buffers fill, then the server's.
    (ben.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(9_000);
    for (let i = 0; i < 2_000; i++) ann.ws.send(JSON.stringify({ type: 'send_message', data: { conversationId: id, content: big } }));
    await waitFor(() => node!.hub.connectionCount === 1, 10_000, 'the slow socket is let go');
    (ben.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await ben.closed).toBeOneOf([4408, 1006]);
    expect(ann.closeCode).toBeNull();
  });

  it('never echoes a bearer token back as the chosen subprotocol', async () => {
    node = await startNode();
    await expect(TestClient.connect(node.url, { protocols: ['bearer.tok-ann'] })).rejects.toThrow(/subprotocol/i);
    const browser = await TestClient.connect(node.url, { protocols: ['parley', 'bearer.tok-ann'] });
    expect(browser.ws.protocol).toBe('parley');
    await browser.next('connected');
    await browser.close();
  });
});

describe('health follows the store’s writes', () => {
  it('turns unhealthy after consecutive write failures though pings still work, and healthy again', async () => {
    const store = createMemoryStore();
    const chat = createChatServices({ store });
    node = await startNode({ chat });
    const id = (await chat.conversations.createGroupConversation('ann', { name: 'g', memberIds: [] })).id;
    const { markStoreFailure } = await import('@parley/core/adapter-kit');
    const insert = store.insertMessages;
    store.insertMessages = async () => {
      throw markStoreFailure(Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }), 'unavailable');
    };
    for (let i = 0; i < 3; i++) await chat.messages.sendMessage('ann', { conversationId: id, content: `${i}` }).catch(() => undefined);
    expect(await node.hub.healthCheck()).toMatchObject({ status: 'unhealthy', storage: false });
    store.insertMessages = insert;
    await chat.messages.sendMessage('ann', { conversationId: id, content: 'back' });
    expect((await node.hub.healthCheck()).status).toBe('healthy');
  });
});
