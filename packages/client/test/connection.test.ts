import { jwtAuthenticator } from '@parley/transport-ws';
import { waitFor } from '@parley/core/testing';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff.js';
import type { ConnectionStatus, NetworkMonitor, ParleyClient } from '../src/index.js';
import { connectClient, startServer, type TestServer } from './support/server.js';

describe('backoff', () => {
  it('grows exponentially with jitter between half and all of each step, up to the cap, and resets', () => {
    const low = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000 }, () => 0);
    const high = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000 }, () => 1);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    high.reset();
    expect(high.next()).toBe(100);
  });
});

describe('connection', () => {
  let server: TestServer;
  const clients: ParleyClient[] = [];
  const open = (userId: string, options: Parameters<typeof connectClient>[2] = {}) => {
    const client = connectClient(server, userId, options);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
  });

  it('reconnects after sockets are cut from the server side, and reports each status', async () => {
    server = await startServer();
    const alice = open('alice');
    const statuses: ConnectionStatus[] = [];
    alice.on('status', (s) => statuses.push(s));
    await waitFor(() => alice.status === 'open', 3_000, 'open');
    for (let i = 0; i < 3; i += 1) {
      expect(server.killSockets('alice')).toBe(1);
      await waitFor(() => statuses.filter((s) => s === 'open').length === i + 2, 3_000, `reconnect ${i + 1}`);
    }
    expect(statuses).toEqual(['open', 'reconnecting', 'open', 'reconnecting', 'open', 'reconnecting', 'open']);
    expect(alice.getState().status).toBe('open');
    expect(await server.hub.countUserSockets('alice')).toBe(1);
  });

  it('gives up after repeated authentication failures and says why', async () => {
    server = await startServer();
    let calls = 0;
    const banned = open('x', { getToken: () => ((calls += 1), 'banned') });
    const gaveUp = new Promise((resolve) => banned.on('gave_up', resolve));
    expect(await gaveUp).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toBe(3);
    expect(banned.status).toBe('closed');
    expect(banned.getState()).toMatchObject({ status: 'closed', error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('not active') } });
  });

  it('backs off a 4429 (too many connections) and comes back once a slot is free', async () => {
    server = await startServer({ ws: { maxConnectionsPerUser: 1 } });
    const first = open('alice');
    await waitFor(() => first.status === 'open', 3_000, 'first open');
    const second = open('alice', { reconnect: { initialDelayMs: 20, maxDelayMs: 100, rateLimitedDelayMs: 50 } });
    const closes: number[] = [];
    second.on('disconnected', ({ code }) => closes.push(code));
    await waitFor(() => closes.includes(4429), 3_000, '4429');
    expect(second.status).toBe('connecting');
    first.close();
    await waitFor(() => second.status === 'open', 3_000, 'second open');
  });

  it('goes offline with the network and reconnects at once when it is back', async () => {
    server = await startServer();
    let online = true;
    const listeners = new Set<(online: boolean) => void>();
    const network: NetworkMonitor = { isOnline: () => online, subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)) };
    const alice = open('alice', { network, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    await waitFor(() => alice.status === 'open', 3_000, 'open');
    online = false;
    for (const l of listeners) l(false);
    expect(alice.status).toBe('offline');
    await waitFor(async () => (await server.hub.countUserSockets('alice')) === 0, 3_000, 'socket closed');
    online = true;
    for (const l of listeners) l(true);
    // The backoff is a minute long here: only "reconnect at once" gets the socket back in time.
    await waitFor(() => alice.status === 'open', 3_000, 'back online');
  });

  it('sends a fresh token with authenticate before the current one expires, and the socket outlives it', async () => {
    const secret = 'a-test-secret-of-32-characters!!';
    const authenticate = jwtAuthenticator({ secret, algorithms: ['HS256'], clockToleranceSec: 0 });
    server = await startServer({ authenticate });
    const issued: number[] = [];
    const getToken = async () => {
      const exp = Math.floor(Date.now() / 1000) + 2;
      issued.push(exp * 1000);
      return new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(new TextEncoder().encode(secret));
    };
    const alice = open('alice', { getToken, refreshBeforeMs: 1_000 });
    const refreshed: Array<string | null> = [];
    alice.on('token_refreshed', ({ expiresAt }) => refreshed.push(expiresAt));
    const drops: number[] = [];
    alice.on('disconnected', ({ code }) => drops.push(code));
    await waitFor(() => alice.status === 'open', 3_000, 'open');
    const firstExpiry = issued[0]!;
    await waitFor(() => Date.now() > firstExpiry + 500 && refreshed.length >= 1, 6_000, 'past the first token');
    expect(drops).toEqual([]);
    expect(alice.status).toBe('open');
    expect(issued.length).toBeGreaterThanOrEqual(2);
    await alice.ping();
  });

  it('reconnects with a fresh token when the server ends an expired session (4401)', async () => {
    const secret = 'a-test-secret-of-32-characters!!';
    server = await startServer({ authenticate: jwtAuthenticator({ secret, algorithms: ['HS256'], clockToleranceSec: 0 }) });
    let tokens = 0;
    const getToken = async () => {
      tokens += 1;
      return new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + 1).sign(new TextEncoder().encode(secret));
    };
    // No refresh before expiry (it would come after the expiry): the server closes with 4401.
    const alice = open('alice', { getToken, refreshBeforeMs: 0 });
    const drops: number[] = [];
    alice.on('disconnected', ({ code }) => drops.push(code));
    await waitFor(() => drops.includes(4401), 4_000, '4401');
    await waitFor(() => alice.status === 'open' && tokens >= 2, 3_000, 'open again');
  });
});
