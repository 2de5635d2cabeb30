import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatError, createChatServices } from '@parley/core';
import { expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.js';

/**
 * A full disk, as SQLite sees one (SQLITE_FULL, made here by capping the page count): sends
 * fail with UNAVAILABLE and nothing is acknowledged that was not stored; health turns
 * unhealthy though the database still answers reads; with room again, sends work at once.
 */
it('a full disk: UNAVAILABLE, nothing acknowledged but stored, health unhealthy, then recovery', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-full-'));
  const store = createSqliteStore({ filename: join(dir, 'full.db') });
  const chat = createChatServices({ store, limits: { messageRate: { limit: 100_000, windowMs: 1_000 } } });
  try {
    const { id } = await chat.conversations.createGroupConversation('ann', { name: 'full', memberIds: ['ben'] });
    const pages = store.database.pragma('page_count', { simple: true }) as number;
    store.database.pragma(`max_page_count = ${pages + 40}`);
    const acknowledged: string[] = [];
    const codes = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      try {
        const m = await chat.messages.sendMessage('ann', { conversationId: id, content: `${i} ${'x'.repeat(2_000)}`, clientMessageId: `k${i}` });
        acknowledged.push(m.clientMessageId!);
      } catch (error) {
        const code = error instanceof ChatError ? error.code : String(error);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    const storedKeys = new Set((store.database.prepare('SELECT client_message_id AS k FROM messages WHERE client_message_id IS NOT NULL').all() as Array<{ k: string }>).map((r) => r.k));
    const health = await chat.storeHealth();
    console.info(`disk full: ${acknowledged.length} acknowledged before the disk filled, ${[...codes].map(([c, n]) => `${n} ${c}`).join(', ')}, ${acknowledged.filter((k) => !storedKeys.has(k)).length} acknowledged but not stored`);
    expect([...codes.keys()]).toEqual(['UNAVAILABLE']);
    expect(acknowledged.every((k) => storedKeys.has(k))).toBe(true);
    expect(storedKeys.size).toBe(acknowledged.length);
    expect(health.healthy).toBe(false);
    store.database.pragma('max_page_count = 1073741823');
    await chat.messages.sendMessage('ann', { conversationId: id, content: 'room again' });
    expect((await chat.storeHealth()).healthy).toBe(true);
  } finally {
    await chat.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
