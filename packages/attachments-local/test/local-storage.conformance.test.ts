import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { runAttachmentStorageConformance } from '@parley/core/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createLocalAttachmentStore, type LocalAttachmentStore } from '../src/index.js';

// One HTTP server for the file; each test gets its own store (folder) behind it.
let server: Server;
let base = '';
let current: LocalAttachmentStore | null = null;
const folders: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (current === null) return void res.writeHead(503).end();
    current.handler(req, res, () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

runAttachmentStorageConformance({
  name: 'local disk',
  describe,
  it,
  createStorage: () => {
    const directory = mkdtempSync(join(tmpdir(), 'parley-files-'));
    folders.push(directory);
    current = createLocalAttachmentStore({ directory, publicUrl: `${base}/api/files`, secret: 'a test secret that is long enough!!' });
    return current;
  },
});
