import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../scripts/build.mjs';

/**
 * `npm start` as a newcomer meets it: scripts/start.mjs (what the root's `npm start` runs)
 * prints the URL and nothing else; the usual mistakes get one line each and exit 1.
 */
const startScript = fileURLToPath(new URL('../scripts/start.mjs', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the start script in a fresh folder (its ./data lands there) until it exits or prints its URL. */
function start(env: Record<string, string>, cwd: string): Promise<Run & { url?: string; stop(): Promise<Run> }> {
  const { DATABASE_URL: _d, REDIS_URL: _r, PARLEY_JWT_SECRET: _s, PORT: _p, HOST: _h, ...base } = process.env;
  const child = spawn(process.execPath, [startScript], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  const exited = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ ...run, code })));
  const stop = async () => {
    child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve) => {
    child.stdout.on('data', () => {
      const url = /http:\/\/localhost:\d+/.exec(run.stdout)?.[0];
      if (url !== undefined) resolve({ ...run, url, stop });
    });
    void exited.then((done) => resolve({ ...done, stop }));
  });
}

describe('npm start', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'parley-quick-start-'));
  beforeAll(async () => {
    await buildDemo();
  }, 60_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('prints one line with the URL, serves the page, and stops on SIGTERM', async () => {
    const running = await start({ PORT: '0' }, cwd);
    expect(running.url, running.stderr).toBeDefined();
    const page = await fetch(`${running.url}/`);
    expect(page.status).toBe(200);
    expect((await fetch(`${running.url}/app.js`)).status).toBe(200);
    const done = await running.stop();
    expect(done.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^Parley demo: http:\/\/localhost:\d+ {2}\(data in \.\/data; Ctrl\+C to stop\)$/)]);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
  });

  it('a busy port: one friendly line, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await start({ PORT: String(port) }, cwd);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`Port ${port} is already in use: stop what runs there, or pick another one: PORT=${port + 1} npm start\n`);
    } finally {
      blocker.close();
    }
  });

  it.each([['abc'], ['70000'], ['-1'], ['3000x']])('PORT=%s: one line saying what a port is, exit 1', async (port) => {
    const run = await start({ PORT: port }, cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`PORT must be a whole number from 0 to 65535 (got "${port}"); try: PORT=3001 npm start\n`);
  });

  it('a PARLEY_JWT_SECRET under 32 characters: one clear line, exit 1', async () => {
    const run = await start({ PORT: '0', PARLEY_JWT_SECRET: 'short-secret' }, cwd);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('PARLEY_JWT_SECRET must be at least 32 characters (it has 12); try: export PARLEY_JWT_SECRET=$(openssl rand -hex 32)\n');
  });
});
