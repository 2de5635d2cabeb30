import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo } from '../src/server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function demoWith(jwtSecret?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-demo-server-'));
  dirs.push(dataDir);
  return startDemo({ port: 0, dataDir, ...(jwtSecret === undefined ? {} : { jwtSecret }) });
}

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
    const secret = 'host-secret-for-the-demo-test';
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
});
