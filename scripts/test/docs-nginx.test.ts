import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildNode } from '../../test-support/child-process.js';
import { freePort } from '../../test-support/private-services.js';

/**
 * The nginx configuration of docs/deployment.md, as written, in front of the deployment
 * snippet (docs/snippets/server.ts): only its ports, certificate paths and upstream address are
 * replaced, to run on loopback with a self-signed certificate. Needs Debian's nginx
 * (`apt-get install nginx-light`; .ci/run installs it).
 */

const NGINX = '/usr/sbin/nginx';
const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const SECRET = 'a-secret-of-at-least-32-characters-long';
const ORIGIN = 'https://chat.example.com';

function nginxBlock(): string {
  const text = readFileSync(join(root, 'docs/deployment.md'), 'utf8');
  const match = /```nginx\n([\s\S]*?)\n```/.exec(text);
  if (match === null) throw new Error('docs/deployment.md has no nginx block');
  return match[1]!;
}

let dir: string;
let nginx: ChildProcess | null = null;
let parley: ChildNode | null = null;
let https: number;
let http: number;

describe.skipIf(!existsSync(NGINX))('docs/deployment.md: the nginx configuration, in front of a real server', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
    const upstream = await freePort();
    [https, http] = [await freePort(), await freePort()];
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=chat.example.com', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    const site = nginxBlock()
      .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${upstream};`)
      .replace('listen 443 ssl;', `listen 127.0.0.1:${https} ssl;`)
      .replace('listen 80;', `listen 127.0.0.1:${http};`)
      .replace(/\/etc\/letsencrypt\/live\/chat\.example\.com\/fullchain\.pem/, join(dir, 'cert.pem'))
      .replace(/\/etc\/letsencrypt\/live\/chat\.example\.com\/privkey\.pem/, join(dir, 'key.pem'));
    expect(site).not.toMatch(/letsencrypt|:3000;|listen 443|listen 80;/);
    for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub));
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents {}\nhttp {\n` +
        `access_log off;\nclient_body_temp_path ${dir}/tmp/body;\nproxy_temp_path ${dir}/tmp/proxy;\n` +
        `fastcgi_temp_path ${dir}/tmp/fcgi;\nuwsgi_temp_path ${dir}/tmp/uwsgi;\nscgi_temp_path ${dir}/tmp/scgi;\n${site}\n}\n`,
    );
    await run(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')]);
    parley = await ChildNode.start(join(root, 'docs/snippets/server.ts'), [], { PORT: String(upstream), JWT_SECRET: SECRET, FILES_SECRET: SECRET, ALLOWED_ORIGINS: ORIGIN }, dir);
    await parley.line(/^Chat on /);
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(join(dir, 'nginx.pid')); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  });

  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    parley?.kill('SIGKILL');
    await parley?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const token = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
  /** A request to nginx as a browser would send it to chat.example.com. */
  const request = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    const { request: send } = await import('node:https');
    return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = send({ host: '127.0.0.1', port: https, method, path, rejectUnauthorized: false, servername: 'chat.example.com', headers: { host: 'chat.example.com', ...headers } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.once('error', reject);
      req.end(body);
    });
  };

  it('passes the WebSocket upgrade, with the page’s Origin checked', async () => {
    const open = (origin: string) =>
      new Promise<string | number>(async (resolve, reject) => {
        const ws = new WebSocket(`wss://127.0.0.1:${https}/chat`, ['parley', `bearer.${await token('ann')}`], { rejectUnauthorized: false, headers: { origin, host: 'chat.example.com' } });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('message', (data) => {
          resolve((JSON.parse(String(data)) as { type: string }).type);
          ws.close();
        });
        ws.once('error', reject);
      });
    expect(await open(ORIGIN)).toBe('connected');
    expect(await open('https://evil.example')).toBe(403);
  });

  it('serves REST and health, keeps /metrics to the allowed address, and redirects HTTP', async () => {
    expect((await request('GET', '/api/health')).status).toBe(200);
    expect((await request('GET', '/api/conversations', { authorization: `Bearer ${await token('ann')}` })).status).toBe(200);
    expect((await request('GET', '/api/metrics')).status).toBe(200); // from 127.0.0.1, which the block allows
    const { get } = await import('node:http'); // fetch cannot set Host
    const redirect = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) =>
      get({ host: '127.0.0.1', port: http, path: '/api/health', headers: { host: 'chat.example.com' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      }).once('error', reject),
    );
    expect(redirect).toEqual({ status: 301, location: 'https://chat.example.com/api/health' });
  });

  it('lets an upload through /api/files/ and refuses a larger body on the API', async () => {
    const auth = { authorization: `Bearer ${await token('ann')}`, 'content-type': 'application/json' };
    const group = JSON.parse((await request('POST', '/api/conversations/group', auth, JSON.stringify({ name: 'Files', memberIds: ['ben'] }))).body) as { id: string };
    const size = 3 * 1024 * 1024; // above the API's 1m, below the uploads' 100m
    const slot = JSON.parse((await request('POST', '/api/attachments', auth, JSON.stringify({ conversationId: group.id, name: 'big.bin', mimeType: 'application/octet-stream', size }))).body);
    const put = await request(slot.upload.method, slot.upload.url, { ...slot.upload.headers, 'content-length': String(size) }, 'x'.repeat(size));
    expect(put.status).toBe(200);
    const tooBig = await request('POST', '/api/conversations/messages', auth, JSON.stringify({ conversationId: group.id, content: 'x'.repeat(2 * 1024 * 1024) }));
    expect(tooBig.status).toBe(413);
  });
});
