import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createLocalAttachmentStore } from '../src/index.js';

/**
 * A 100 MB file (the default size limit) through the store's own URLs, byte for byte. It prints
 * the throughput for the README; nothing here asserts a time.
 */
it('a 100 MB file goes up and comes back byte for byte', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'parley-large-'));
  const store = createLocalAttachmentStore({ directory, publicUrl: '/files', secret: 'large-file-test-secret-long-enough!' });
  const server = createServer((req, res) => store.handler(req, res, () => res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const size = 100 * 1024 * 1024;
    const body = randomBytes(size);
    const digest = createHash('sha256').update(body).digest('hex');
    const ticket = await store.createUpload({ key: 'large', size, contentType: 'application/octet-stream', expiresAt: new Date(Date.now() + 600_000) });

    let started = performance.now();
    const up = await fetch(new URL(ticket.url, base), { method: ticket.method, headers: ticket.headers, body });
    const upMs = performance.now() - started;
    expect(up.status).toBe(200);
    expect((await store.inspect('large', 16))?.size).toBe(size);

    const link = await store.createDownload({ key: 'large', fileName: 'large.bin', contentType: 'application/octet-stream', inline: false, expiresAt: new Date(Date.now() + 600_000) });
    started = performance.now();
    const down = await fetch(new URL(link.url, base));
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of down.body!) {
      hash.update(chunk);
      received += chunk.length;
    }
    const downMs = performance.now() - started;
    expect(received).toBe(size);
    expect(hash.digest('hex')).toBe(digest);
    const mbps = (ms: number) => (size / 1024 / 1024 / (ms / 1000)).toFixed(0);
    console.info(`local disk, 100 MB: upload ${mbps(upMs)} MB/s (${upMs.toFixed(0)} ms, synced), download ${mbps(downMs)} MB/s (${downMs.toFixed(0)} ms)`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(directory, { recursive: true, force: true });
  }
}, 120_000);
