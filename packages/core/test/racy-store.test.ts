import { describe, expect, it } from 'vitest';
import type { ChatStore, InsertResult } from '../src/adapters/chat-store.js';
import { createMemoryDatabase, createMemoryStore, type MemoryDatabase } from '../src/memory/memory-store.js';
import { pinRaceCases, raceCases, runRaceCase } from '../src/testing/index.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A store written the way the contract forbids: every rule is decided on a read made before
 * an await, and the write trusts that read; the insert allocates seq from a stale read,
 * checks idempotency before the await and does not check membership. On one process with
 * one caller at a time it behaves exactly like the memory store — only races tell them
 * apart, which is what the conformance kit's race cases are for.
 */
function racyStore(db: MemoryDatabase): ChatStore {
  const inner = createMemoryStore({ database: db });
  return {
    ...inner,
    async changeConversation(conversationId, at, decide) {
      let seen: Parameters<typeof decide>[0] = null;
      await inner.changeConversation(conversationId, at, (state) => {
        seen = state;
        return { plan: {}, value: undefined };
      });
      await tick();
      return inner.changeConversation(conversationId, at, () => decide(seen));
    },
    async changeReaction(messageId, userId, emoji, at, decide) {
      let seen: Parameters<typeof decide>[0] = null;
      await inner.changeReaction(messageId, userId, emoji, at, (state) => {
        seen = state;
        return 'none';
      });
      await tick();
      return inner.changeReaction(messageId, userId, emoji, at, () => decide(seen));
    },
    async pinMessage(pin, maxPins) {
      // Counts the pins, then writes on what it counted.
      const held = await inner.listPins(pin.conversationId, pin.pinnedAt);
      await tick();
      const full = held.length >= maxPins && !held.some((p) => p.messageId === pin.messageId);
      return full ? { status: 'limit' } : inner.pinMessage(pin, Number.MAX_SAFE_INTEGER);
    },
    async markRead(conversationId, userId, upToSeq, at) {
      const before = await inner.getMember(conversationId, userId);
      await tick();
      const moved = await inner.markRead(conversationId, userId, upToSeq, at);
      return { ...moved, previousReadSeq: before?.lastReadSeq ?? 0 };
    },
    async insertMessages(batch) {
      const results: InsertResult[] = [];
      for (const input of batch) {
        const existing = input.clientMessageId === null ? null : await inner.getMessageByClientId(input.conversationId, input.senderId, input.clientMessageId);
        if (existing !== null) {
          results.push({ status: 'duplicate', message: existing });
          continue;
        }
        const conversation = await inner.getConversation(input.conversationId);
        if (conversation === null) {
          results.push({ status: 'refused', message: null, reason: 'not_member' });
          continue;
        }
        await tick();
        // SELECT max(seq) + 1, then INSERT: what a non-atomic adapter does.
        const row = db.conversations.get(input.conversationId)!;
        const seq = conversation.lastSeq + 1;
        row.lastSeq = Math.max(row.lastSeq, seq);
        row.version += 1;
        const stored = { ...input, seq, version: row.version, editedAt: null, deletedAt: null, deletedForEveryone: false };
        delete (stored as { notify?: boolean }).notify;
        db.messages.set(input.id, stored);
        db.timeline.get(input.conversationId)!.push(stored);
        if (input.clientMessageId !== null) db.clientIds.set(JSON.stringify([input.conversationId, input.senderId, input.clientMessageId]), input.id);
        results.push({ status: 'created', message: { ...stored, reactions: [] } });
      }
      return results;
    },
  };
}

describe('the race cases catch a store that is not atomic', () => {
  for (const race of [...raceCases, ...pinRaceCases]) {
    it(`fails: ${race.name}`, async () => {
      const createStores = (count: number) => {
        const db = createMemoryDatabase();
        return Array.from({ length: count }, () => racyStore(db));
      };
      await expect(runRaceCase(race, createStores)).rejects.toThrow();
    });
  }

  it('and the same cases pass on the memory store itself', async () => {
    for (const race of [...raceCases, ...pinRaceCases]) {
      const db = createMemoryDatabase();
      await runRaceCase(race, (count) => Array.from({ length: count }, () => createMemoryStore({ database: db })));
    }
  });
});
