import { createServer } from 'node:http';
import { createChatServices, createMemoryStore, RealtimeHub } from '@parley/core';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { attachWebSocket, jwtAuthenticator } from '../src/index.js';
import { startNode, type Node } from './setup.js';
import { TestClient } from './ws-client.js';

let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

describe('connecting', () => {
  it('accepts a token from the query, the Authorization header or the subprotocol', async () => {
    node = await startNode();
    const byQuery = await TestClient.connect(`${node.url}?token=tok-ann`);
    const byHeader = await TestClient.connect(node.url, { headers: { Authorization: 'Bearer tok-ben' } });
    const byProtocol = await TestClient.connect(node.url, { protocols: ['parley', 'bearer.tok-cat'] });
    expect(byProtocol.ws.protocol).toBe('parley');
    for (const [client, id] of [[byQuery, 'ann'], [byHeader, 'ben'], [byProtocol, 'cat']] as const) {
      const connected = await client.next('connected');
      expect(connected.data.userId).toBe(id);
      expect(typeof connected.data.socketId).toBe('string');
      expect(Date.parse(connected.data.serverTime)).not.toBeNaN();
      await client.close();
    }
  });

  it('refuses a missing or bad token with connection_error and close code 4401', async () => {
    node = await startNode();
    for (const url of [node.url, `${node.url}?token=wrong`]) {
      const client = await TestClient.connect(url);
      const error = await client.next('connection_error');
      expect(error.data.code).toBe('UNAUTHENTICATED');
      expect(await client.closed).toBe(4401);
    }
  });

  it('refuses a user who is not active', async () => {
    node = await startNode();
    const client = await TestClient.connect(`${node.url}?token=tok-banned`);
    expect((await client.next('connection_error')).data.code).toBe('FORBIDDEN');
    expect(await client.closed).toBe(4401);
  });

  it('checks the Origin against the allow-list before the upgrade completes', async () => {
    node = await startNode({ ws: { allowedOrigins: ['https://app.example.com'] } });
    await expect(TestClient.connect(`${node.url}?token=tok-ann`, { origin: 'https://evil.example.com' })).rejects.toThrow('HTTP 403');
    const ok = await TestClient.connect(`${node.url}?token=tok-ann`, { origin: 'https://app.example.com' });
    await ok.next('connected');
    await ok.close();
    // No Origin: not a browser page (browsers always send one), so no cross-site hijacking.
    const server = await TestClient.connect(`${node.url}?token=tok-ann`);
    await server.next('connected');
    await server.close();
  });

  it('by default accepts only pages of its own origin', async () => {
    node = await startNode({ ws: { allowedOrigins: undefined } });
    const host = new URL(node.url).host;
    await expect(TestClient.connect(`${node.url}?token=tok-ann`, { origin: 'https://evil.example.com' })).rejects.toThrow('HTTP 403');
    await expect(TestClient.connect(`${node.url}?token=tok-ann`, { origin: `http://${host.replace('127.0.0.1', 'localhost')}` })).rejects.toThrow('HTTP 403');
    const same = await TestClient.connect(`${node.url}?token=tok-ann`, { origin: `http://${host}` });
    await same.next('connected');
    await same.close();
  });

  it('answers other paths with 404 instead of hanging', async () => {
    node = await startNode();
    await expect(TestClient.connect(node.url.replace('/chat', '/other'))).rejects.toThrow('HTTP 404');
  });

  it('explains the mistake when given an Express or Koa app instead of the server', () => {
    const hub = new RealtimeHub({ services: createChatServices({ store: createMemoryStore() }) });
    const expressLike = Object.assign(() => undefined, { use: () => undefined, handle: () => undefined, listen: () => undefined });
    const koaLike = { use: () => undefined, callback: () => undefined, listen: () => undefined };
    const authenticate = () => null;
    expect(() => attachWebSocket(hub, { server: expressLike as never, authenticate })).toThrow(/given an Express app.*http\.createServer\(app\)/s);
    expect(() => attachWebSocket(hub, { server: koaLike as never, authenticate })).toThrow(/given a Koa app.*app\.callback\(\)/s);
    expect(() => attachWebSocket(hub, { server: createServer(), authenticate: 'nope' as never })).toThrow(/authenticate/);
    void hub.close();
  });
});

describe('jwtAuthenticator', () => {
  const secret = 'a-test-secret-that-is-long-enough';
  const sign = (claims: Record<string, unknown>, alg = 'HS256', key = secret) =>
    new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(key));

  it('verifies HS256 tokens into users, with issuer and audience', async () => {
    const auth = jwtAuthenticator({ secret, algorithms: ['HS256'], issuer: 'parley-test', audience: 'chat' });
    const token = await new SignJWT({ sub: 'u1', name: 'Una', picture: 'https://x.example/u1.png' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley-test')
      .setAudience('chat')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect(await auth(token, {} as never)).toMatchObject({ id: 'u1', name: 'Una', avatar: 'https://x.example/u1.png', status: 'active' });
    expect(typeof (await auth(token, {} as never))?.expiresAt).toBe('number'); // from exp: a socket must not outlive its token
    await expect(auth(await sign({ sub: 'u1' }), {} as never)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses alg none, a wrong key, an expired token and a missing token', async () => {
    const auth = jwtAuthenticator({ secret, algorithms: ['HS256'] });
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
    await expect(auth(`${header}.${body}.`, {} as never)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth(await sign({ sub: 'u' }, 'HS256', 'another-secret-of-enough-length'), {} as never)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const expired = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(secret));
    await expect(auth(expired, {} as never)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth(null, {} as never)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(auth(await sign({ name: 'no subject' }), {} as never)).resolves.toBeNull();
  });

  it('refuses bad options: none, no key, two keys', () => {
    expect(() => jwtAuthenticator({ secret, algorithms: ['none'] })).toThrow(/never allowed/);
    expect(() => jwtAuthenticator({ secret, algorithms: [] })).toThrow(/at least one algorithm/);
    expect(() => jwtAuthenticator({ algorithms: ['HS256'] })).toThrow(/exactly one/);
    expect(() => jwtAuthenticator({ secret, jwksUrl: 'http://127.0.0.1/jwks', algorithms: ['HS256'] })).toThrow(/exactly one/);
  });

  it('authenticates a WebSocket end to end', async () => {
    node = await startNode({ ws: { authenticate: jwtAuthenticator({ secret, algorithms: ['HS256'] }) } });
    const client = await TestClient.connect(node.url, { headers: { Authorization: `Bearer ${await sign({ sub: 'jwt-user' })}` } });
    expect((await client.next('connected')).data.userId).toBe('jwt-user');
    await client.close();
    const refused = new WebSocket(`${node.url}?token=${await sign({ sub: 'x' }, 'HS512')}`);
    const code = await new Promise((resolve) => refused.on('close', resolve));
    expect(code).toBe(4401);
  });
});
