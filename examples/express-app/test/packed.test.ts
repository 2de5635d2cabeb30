import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChildNode } from '../../../test-support/child-process.js';
import { driveHost } from '../../support/host-scenario.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
/** Every package of the workspace, as published. */
const PACKAGES = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'package.json'))).sort((a, b) => (a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));

/**
 * The packages as a user gets them: every one built, packed with `npm pack`, installed from
 * the tarballs into an app outside the workspace; each loads with `import` and `require` and
 * shares one copy of core; the README's Express example runs from the README's own text —
 * over REST and WebSocket, and again with express.json() mounted first.
 */
let app: string;
beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'parley-packed-'));
  await run('npm', ['run', 'build', ...PACKAGES.flatMap((p) => ['-w', `@parley/${p}`])], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const tarballs: string[] = [];
  for (const name of PACKAGES) {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', app], { cwd: join(root, 'packages', name) });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    expect(packed!.files.map((f) => f.path)).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    if (name === 'core') expect(packed!.files.map((f) => f.path)).toContain('PROTOCOL.md');
    tarballs.push(join(app, packed!.filename));
  }
  const versions = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'scratch-app',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(PACKAGES.map((name, i) => [`@parley/${name}`, `file:${tarballs[i]}`])),
        express: `^${versions('express')}`,
      },
    }),
  );
  // better-sqlite3's install would fetch a prebuilt binary from GitHub (no network here) or
  // compile for minutes: install without scripts and reuse the workspace's build of the same version.
  await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
  cpSync(join(root, 'node_modules/better-sqlite3/build'), join(app, 'node_modules/better-sqlite3/build'), { recursive: true });
  // One copy of core for every package: instanceof ChatError works everywhere.
  const cores = (await run('npm', ['ls', '@parley/core', '--parseable', '--all'], { cwd: app })).stdout.trim().split('\n').filter(Boolean);
  expect(new Set(cores).size).toBe(1);
}, 300_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

/** The README's Express example, as printed (types stripped), with a line added where asked. */
async function readmeExample(insertAfterApp?: string): Promise<string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Express'));
  let code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  if (insertAfterApp !== undefined) code = code.replace('const app = express();\n', `const app = express();\n${insertAfterApp}\n`);
  return (await transform(code, { loader: 'ts', format: 'esm' })).code;
}

async function runExample(file: string, port: number, secret: string) {
  const child = ChildNode.spawnPlain(process.execPath, [file], { cwd: app, env: { JWT_SECRET: secret, PORT: String(port) } });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(`${url}/api/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  return { url, child };
}

it('every package loads from its tarball with import and with require, on one copy of core', async () => {
  const names = PACKAGES.map((name) => `@parley/${name}`);
  const probe = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const names = ${JSON.stringify(names)};
    const out = {};
    for (const name of names) {
      const esm = await import(name);
      const cjs = require(name);
      out[name] = { esm: Object.keys(esm).length, cjs: Object.keys(cjs).length };
    }
    // An adapter's errors are core's ChatError class, whichever way each was loaded.
    const core = await import('@parley/core');
    const coreCjs = require('@parley/core');
    const store = (await import('@parley/adapter-sqlite')).createSqliteStore({ filename: ':memory:' });
    const chat = core.createChatServices({ store });
    const error = await chat.conversations.getConversationById('nope', 'ann').catch((e) => e);
    out.instanceOf = { esm: error instanceof core.ChatError, cjs: error instanceof coreCjs.ChatError };
    await chat.close();
    console.log(JSON.stringify(out));
  `;
  writeFileSync(join(app, 'probe.mjs'), probe);
  const { stdout } = await run(process.execPath, ['probe.mjs'], { cwd: app });
  const loaded = JSON.parse(stdout) as Record<string, { esm: number; cjs: number } | { esm: boolean; cjs: boolean }>;
  for (const name of names) {
    const counts = loaded[name] as { esm: number; cjs: number };
    expect(counts.esm, `${name} exports something under import`).toBeGreaterThan(0);
    expect(counts.cjs, `${name} exports the same under require`).toBe(counts.esm);
  }
  expect(loaded.instanceOf).toEqual({ esm: true, cjs: true });
}, 60_000);

it('the README Express example runs verbatim from the packed packages', async () => {
  writeFileSync(join(app, 'readme.mjs'), await readmeExample());
  const secret = 'readme-example-secret-that-is-long-enough';
  const { url, child } = await runExample('readme.mjs', 3400 + Math.floor(Math.random() * 500), secret);
  try {
    await driveHost(url, secret, null);
    expect(existsSync(join(app, 'data', 'chat.db'))).toBe(true); // ./data did not exist: made
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);

it('and with express.json() mounted before Parley', async () => {
  rmSync(join(app, 'data'), { recursive: true, force: true });
  mkdirSync(join(app, 'data'));
  writeFileSync(join(app, 'readme-json.mjs'), await readmeExample('app.use(express.json());'));
  const secret = 'readme-example-secret-that-is-long-enough';
  const { url, child } = await runExample('readme-json.mjs', 3900 + Math.floor(Math.random() * 500), secret);
  try {
    await driveHost(url, secret, null);
    expect(readdirSync(join(app, 'data'))).toContain('chat.db');
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);
