import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChatServices } from '@parley/core';
import { waitFor } from '@parley/core/testing';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildNode } from '../../../test-support/child-process.js';
import { createSqliteStore } from '../src/index.js';
import { BACKSTOP_PAGES, startWalCheckpointer } from '../src/wal-checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (name: string) => join(dir, `${name}-${(n += 1)}.db`);

/** Frames in the WAL and how many of them are already in the database file, asked of a third connection. */
function walState(filename: string): { log: number; checkpointed: number } {
  const probe = new BetterSqlite3(filename);
  try {
    // A PASSIVE checkpoint of nothing new reports what is there; this one may copy what the worker has not yet.
    const [row] = probe.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    return { log: row!.log, checkpointed: row!.checkpointed };
  } finally {
    probe.close();
  }
}

describe('WAL checkpoints from a worker thread', () => {
  it('copy the log into the database while the store keeps writing, and only a far backstop stays inline', async () => {
    const filename = file('background');
    const store = createSqliteStore({ filename, synchronous: 'NORMAL', checkpointIntervalMs: 20 });
    expect(store.database.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    const chat = createChatServices({ store, limits: { messageRate: { limit: 1_000, windowMs: 1_000 } } });
    const { id } = await chat.conversations.createDirectConversation('ann', 'ben');
    const sizeBefore = statSync(filename).size;
    for (let i = 0; i < 300; i++) await chat.messages.sendMessage(i % 2 === 0 ? 'ann' : 'ben', { conversationId: id, content: `message ${i} `.repeat(40) });
    // The database file grows only by checkpoints: the store's own connection would not have
    // checkpointed below its backstop.
    await waitFor(() => statSync(filename).size > sizeBefore, 5_000, 'the worker copied the log into the database file');
    await chat.close();
    // Everything is there for the next opener.
    const reopened = new BetterSqlite3(filename);
    expect((reopened.prepare('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?').get(id) as { n: number }).n).toBe(300);
    reopened.close();
  });

  it('is off for inline checkpoints, in-memory databases and a database the host passes in', async () => {
    const inline = createSqliteStore({ filename: file('inline'), checkpoints: 'inline' });
    expect(inline.database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await inline.close!();
    const memory = createSqliteStore();
    expect(memory.database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await memory.close!();
    const own = new BetterSqlite3(file('host'));
    const hosted = createSqliteStore({ database: own });
    expect(own.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await hosted.close!();
    own.close();
  });

  it('counts its passes, stops cleanly, and hands checkpoints back to SQLite when the worker is gone', async () => {
    const filename = file('direct');
    const db = new BetterSqlite3(filename);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x TEXT)');
    const checkpointer = startWalCheckpointer(db, { filename, synchronous: 'FULL', intervalMs: 10 })!;
    expect(checkpointer).not.toBeNull();
    for (let i = 0; i < 200; i++) db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(500));
    await waitFor(() => checkpointer.passes >= 3, 5_000, 'passes');
    await waitFor(() => {
      const { log, checkpointed } = walState(filename);
      return log === checkpointed;
    }, 5_000, 'the log is all in the database');
    await checkpointer.stop();
    await checkpointer.stop(); // twice is fine
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });

  it('close() resolves in a process that nothing else keeps alive (the worker does not let it exit under the await)', async () => {
    const child = await ChildNode.start(fileURLToPath(new URL('./fixtures/close-process.ts', import.meta.url)), [file('close')]);
    expect(await child.exited).toBe(0);
    expect(child.messages, child.stderr).toEqual([{ closed: true }]);
  });

  it('a worker that cannot open the file reports it and leaves SQLite checkpointing inline', async () => {
    const filename = file('missing');
    const db = new BetterSqlite3(filename);
    db.pragma('journal_mode = WAL');
    const errors: string[] = [];
    const checkpointer = startWalCheckpointer(db, { filename: join(dir, 'no-such-folder', 'x.db'), synchronous: 'FULL', intervalMs: 10, onError: (m) => errors.push(m) })!;
    await waitFor(() => errors.length > 0 && db.pragma('wal_autocheckpoint', { simple: true }) === 1000, 5_000, 'fallback');
    expect(errors[0]).toMatch(/checkpoint worker failed/);
    await checkpointer.stop();
    db.close();
  });
});
