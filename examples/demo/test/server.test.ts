import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../scripts/build.mjs';
import { startDemo } from '../src/server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-demo-server-'));
  dirs.push(dataDir);
  return dataDir;
}

async function demoWith(jwtSecret?: string, dataDir = tempDir()) {
  return startDemo({ port: 0, dataDir, ...(jwtSecret === undefined ? {} : { jwtSecret }) });
}

const login = async (url: string, name: string) =>
  (await (await fetch(`${url}/demo/login`, { method: 'POST', body: JSON.stringify({ name }) })).json()) as { user: { id: string }; token: string };

const hostToken = (secret: string, sub: string, name: string) =>
  new SignJWT({ name }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('1h').sign(new TextEncoder().encode(secret));

async function wsConnects(url: string, token: string): Promise<string> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/chat`, ['parley', `bearer.${token}`]);
  const first = await new Promise<{ type: string; data: { userId?: string } }>((resolve, reject) => {
    ws.once('message', (raw) => resolve(JSON.parse(raw.toString())));
    ws.once('error', reject);
  });
  ws.close();
  return first.type === 'connected' ? (first.data.userId ?? '') : first.type;
}

describe('demo server', () => {
  it('issues demo tokens that work on REST and WebSocket, and stores data under dataDir', async () => {
    const demo = await demoWith();
    try {
      const login = await fetch(`${demo.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name: 'Trần Văn Đạt' }) });
      const { user, token, notice } = (await login.json()) as { user: { id: string; name: string }; token: string; notice: string };
      expect(user).toEqual({ id: 'tran-van-dat', name: 'Trần Văn Đạt', status: 'active' });
      expect(notice).toMatch(/Demo token/);
      expect((await fetch(`${demo.url}/api/conversations`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(await wsConnects(demo.url, token)).toBe('tran-van-dat');
      const users = (await (await fetch(`${demo.url}/demo/users`)).json()) as Array<{ id: string }>;
      expect(users.map((u) => u.id)).toEqual(['tran-van-dat']);
      expect((await fetch(`${demo.url}/demo/login`, { method: 'POST', body: JSON.stringify({ name: '  !!! ' }) })).status).toBe(400);
    } finally {
      await demo.close();
    }
  });

  it('with PARLEY_JWT_SECRET, accepts HS256 tokens from any client; without it, refuses them', async () => {
    const secret = 'host-secret-for-the-demo-test-32+chars';
    const demo = await demoWith(secret);
    try {
      const token = await hostToken(secret, 'ext-1', 'External One');
      expect((await fetch(`${demo.url}/api/conversations`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(await wsConnects(demo.url, token)).toBe('ext-1');
      const users = (await (await fetch(`${demo.url}/demo/users`)).json()) as Array<{ id: string; name: string }>;
      expect(users).toContainEqual({ id: 'ext-1', name: 'External One' });
      const foreign = await hostToken('some-other-secret-entirely', 'ext-2', 'Mallory');
      expect((await fetch(`${demo.url}/api/conversations`, { headers: { authorization: `Bearer ${foreign}` } })).status).toBe(401);
      expect(await wsConnects(demo.url, foreign)).toBe('connection_error');
    } finally {
      await demo.close();
    }
    const plain = await demoWith();
    try {
      const token = await hostToken(secret, 'ext-1', 'External One');
      expect((await fetch(`${plain.url}/api/conversations`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await plain.close();
    }
  });

  it('serves only its page files, with a CSP that allows no inline script', async () => {
    await buildDemo({ only: ['web'] });
    const demo = await demoWith();
    try {
      const page = await fetch(`${demo.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(await page.text()).toContain('<script type="module" src="/app.js">');
      expect((await fetch(`${demo.url}/app.js`)).headers.get('content-type')).toMatch(/javascript/);
      for (const path of ['/package.json', '/../package.json', '/%2e%2e/src/server.ts', '/public/app.js']) {
        expect((await fetch(`${demo.url}${path}`)).status, path).toBe(404);
      }
      expect((await fetch(`${demo.url}/api/health`)).status).toBe(200);
    } finally {
      await demo.close();
    }
  });

  it('keeps its signing keys across restarts: in dataDir (owner-only file), or derived from PARLEY_JWT_SECRET', async () => {
    const dataDir = tempDir();
    const first = await demoWith(undefined, dataDir);
    const { token } = await login(first.url, 'Restart Test');
    expect((await fetch(`${first.url}/demo/config`).then((r) => r.json())) as unknown).toMatchObject({ uploads: true, limits: { maxContentLength: 10_000 } });
    await first.close();
    expect(statSync(join(dataDir, 'demo.key')).mode & 0o777).toBe(0o600);
    const second = await demoWith(undefined, dataDir);
    try {
      expect((await fetch(`${second.url}/api/conversations`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(await wsConnects(second.url, token)).toBe('restart-test');
    } finally {
      await second.close();
    }
    // Another data directory knows nothing of that key…
    const elsewhere = await demoWith();
    try {
      expect((await fetch(`${elsewhere.url}/api/conversations`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await elsewhere.close();
    }
    // …but with the same PARLEY_JWT_SECRET, two demos on different data accept each other's tokens.
    const secret = 'x'.repeat(40);
    const a = await demoWith(secret);
    const b = await demoWith(secret);
    try {
      const { token: shared } = await login(a.url, 'Shared');
      await login(b.url, 'Shared');
      expect((await fetch(`${b.url}/api/conversations`, { headers: { authorization: `Bearer ${shared}` } })).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a PARLEY_JWT_SECRET shorter than 32 characters, saying so', async () => {
    await expect(demoWith('too-short')).rejects.toThrow('PARLEY_JWT_SECRET must be at least 32 characters (it has 9)');
  });
});
