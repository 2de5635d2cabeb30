import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ChildNode } from '../../../test-support/child-process.js';

const server = fileURLToPath(new URL('./fixtures/shutdown-server.ts', import.meta.url));

/**
 * SIGTERM under load: the server stops reading new frames, answers every frame it took, then
 * closes with 1001. What was stored was acknowledged, and what was acknowledged was stored.
 * kill -9 under load: no answer for what was in flight, but nothing acknowledged is lost.
 */
async function underLoad(signal: 'SIGTERM' | 'SIGKILL') {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sigterm-'));
  const file = join(dir, 'parley.db');
  // The conversation exists before the server starts: the child opens the same file.
  const { createSqliteStore } = await import('@parley/adapter-sqlite');
  const { createChatServices } = await import('@parley/core');
  const setup = createChatServices({ store: createSqliteStore({ filename: file }) });
  const { id } = await setup.conversations.createGroupConversation('ann', { name: 'load', memberIds: ['ben'] });
  await setup.close();
  const child = await ChildNode.start(server, [file]);
  try {
    const [, url] = (await child.line(/listening (http:\/\/\S+)/)) as unknown as [string, string];
    const [ann, ben] = ['ann', 'ben'];
    const acknowledged = new Set<string>();
    const closes: number[] = [];
    const sockets = await Promise.all(
      [ann, ben, ann, ben].map(
        (token) =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(url.replace('http', 'ws') + '/chat', ['parley', `bearer.${token}`]);
            ws.on('message', (raw) => {
              const frame = JSON.parse(raw.toString()) as { type: string; data: { tempId?: string } };
              if (frame.type === 'connected') resolve(ws);
              if (frame.type === 'message_sent' && frame.data.tempId !== undefined) acknowledged.add(frame.data.tempId);
            });
            ws.on('close', (code) => closes.push(code));
            ws.on('error', reject);
          }),
      ),
    );
    // Every socket pipelines sends as fast as it can.
    let n = 0;
    const pump = setInterval(() => {
      for (const ws of sockets) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        for (let i = 0; i < 5; i++) {
          n += 1;
          ws.send(JSON.stringify({ type: 'send_message', data: { conversationId: id, content: `m${n}`, tempId: `t${n}` } }));
        }
      }
    }, 2);
    // Kill once enough has been acknowledged to mean something, however busy the machine is.
    const until = Date.now() + 20_000;
    while (acknowledged.size < 150 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill(signal);
    const exit = await child.exited;
    if (signal === 'SIGTERM') expect(exit).toBe(0);
    clearInterval(pump);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const db = new BetterSqlite3(file, { readonly: true });
    const stored = new Set((db.prepare('SELECT client_message_id FROM messages WHERE client_message_id IS NOT NULL').all() as Array<{ client_message_id: string }>).map((r) => r.client_message_id));
    db.close();
    const storedNotAcknowledged = [...stored].filter((k) => !acknowledged.has(k));
    const acknowledgedNotStored = [...acknowledged].filter((k) => !stored.has(k));
    console.info(`${signal} under load: ${n} sent, ${stored.size} stored, ${acknowledged.size} acknowledged, ${acknowledgedNotStored.length} acknowledged but lost, closes ${[...new Set(closes)].join(', ')}`);
    return { n, stored, acknowledged, acknowledgedNotStored, storedNotAcknowledged, closes };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

it('SIGTERM under load: acknowledged = stored', async () => {
  const run = await underLoad('SIGTERM');
  expect(run.acknowledgedNotStored).toEqual([]);
  expect(run.storedNotAcknowledged).toEqual([]);
  expect(run.stored.size).toBeGreaterThan(100);
  expect(run.n).toBeGreaterThan(run.stored.size); // frames were still coming when the server stopped reading
  expect(new Set(run.closes)).toEqual(new Set([1001]));
}, 60_000);

it('kill -9 under load: nothing acknowledged is lost (synchronous=FULL)', async () => {
  const run = await underLoad('SIGKILL');
  expect(run.acknowledgedNotStored).toEqual([]);
  expect(run.acknowledged.size).toBeGreaterThan(100);
}, 60_000);
