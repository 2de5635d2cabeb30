import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChatServices } from '@parley/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildNode } from '../../../test-support/child-process.js';
import { createSqliteStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-processes-'));
const writer = fileURLToPath(new URL('./fixtures/writer-process.ts', import.meta.url));
const children: ChildNode[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startWriters(filename: string, count: number, maxGroupMembers: number): Promise<ChildNode[]> {
  const started = await Promise.all(Array.from({ length: count }, () => ChildNode.start(writer, [filename, String(maxGroupMembers)])));
  children.push(...started);
  await Promise.all(started.map((c) => c.next((m) => m.op === 'ready')));
  return started;
}

type SendResult = { id?: string; seq?: number; key?: string; code?: string };

describe('several processes on one SQLite file (README: "Several processes")', () => {
  it('writes from three processes at once keep every invariant', async () => {
    const filename = join(dir, 'shared.db');
    const host = createChatServices({ store: createSqliteStore({ filename }) });
    const members = ['owner', 'm1', 'm2', 'm3', 'm4'];
    const id = (await host.conversations.createGroupConversation('owner', { name: 'shared', memberIds: members.slice(1) })).id;
    const writers = await startWriters(filename, 3, 8);
    writers.forEach((w, index) => {
      w.send({ op: 'send-burst', conversationId: id, index, senders: members, count: 300 });
      w.send({ op: 'churn', conversationId: id, index, owner: 'owner', candidates: [`new-${index}-a`, `new-${index}-b`] });
    });
    const bursts = await Promise.all(writers.map((w, index) => w.next((m) => m.op === 'send-burst' && m.index === index, 60_000)));
    const churns = await Promise.all(writers.map((w, index) => w.next((m) => m.op === 'churn' && m.index === index, 60_000)));

    const results = bursts.flatMap((b) => b.results as SendResult[]);
    expect(results.filter((r) => r.code !== undefined)).toEqual([]);
    // Dense seq, no duplicate, one row per shared key across processes.
    const { messages } = await host.messages.getConversationMessages(id, 'owner', { after: 0, limit: 100 });
    const all = [];
    for (let after = 0; ; ) {
      const page = await host.messages.getConversationMessages(id, 'owner', { after, limit: 100 });
      all.push(...page.messages);
      if (!page.hasMoreAfter) break;
      after = page.messages[page.messages.length - 1]!.seq;
    }
    expect(messages.length).toBeGreaterThan(0);
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    const userMessages = all.filter((m) => m.type !== 'system');
    const keys = userMessages.map((m) => `${m.senderId}/${m.clientMessageId}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(userMessages.length).toBe(3 * 240 + 60); // 240 own keys per process, 60 shared keys sent by all three
    for (const key of ['shared-0', 'shared-295']) {
      expect(new Set(results.filter((r) => r.key === key).map((r) => r.id)).size).toBe(1);
    }
    // Membership changes raced across processes: the cap (8) and one owner held.
    const after = await host.conversations.getConversationMembers(id, 'm1');
    expect(after.length).toBeLessThanOrEqual(8);
    expect(after.filter((m) => m.role === 'owner')).toHaveLength(1);
    const adds = churns.map((c) => (c.codes as string[])[0]);
    expect(adds.filter((code) => code === 'ok')).toHaveLength(1);
    await host.close();
  });

  it('a member removed through one process can neither send nor read through another', async () => {
    const filename = join(dir, 'removal.db');
    const host = createChatServices({ store: createSqliteStore({ filename }) });
    const id = (await host.conversations.createGroupConversation('owner', { name: 'g', memberIds: ['mallory'] })).id;
    const [other] = await startWriters(filename, 1, 1000);
    other!.send({ op: 'send', conversationId: id, index: 1, userId: 'mallory', content: 'before' });
    expect((await other!.next((m) => m.op === 'send' && m.index === 1)).result).toMatchObject({ seq: 2 });
    // The other process now has mallory cached as a member. Remove her here.
    await host.conversations.removeMember(id, 'owner', 'mallory');
    other!.send({ op: 'send', conversationId: id, index: 2, userId: 'mallory', content: 'after' });
    expect((await other!.next((m) => m.op === 'send' && m.index === 2)).result).toEqual({ code: 'NOT_FOUND' });
    other!.send({ op: 'read', conversationId: id, index: 3, userId: 'mallory' });
    expect((await other!.next((m) => m.op === 'read' && m.index === 3)).result).toEqual({ code: 'NOT_FOUND' });
    const { messages } = await host.messages.getConversationMessages(id, 'owner');
    expect(messages.map((m) => m.content)).not.toContain('after');
    await host.close();
  });
});
