import { describe, expect, it } from 'vitest';
import type { UnreadState } from '../src/index.js';
import { UnreadTally, type TalliedMessage } from '../src/realtime/unread-tally.js';

/**
 * The races of keeping counts in step, which one process with an in-memory store cannot
 * produce: a store read that takes time while messages go by, and a message announced after
 * the read already counted it (another node's, through the broker).
 */

const state = (conversationId: string, lastSeq: number, unreadCount = 0, extra: Partial<UnreadState> = {}): UnreadState => ({
  conversationId,
  unreadCount,
  firstUnreadSeq: unreadCount === 0 ? null : lastSeq - unreadCount + 1,
  mentionCount: 0,
  archived: false,
  lastSeq,
  ...extra,
});

const msg = (conversationId: string, seq: number, senderId = 'bob', extra: Partial<TalliedMessage> = {}): TalliedMessage => ({ conversationId, seq, senderId, ...extra });

/** A store whose reads answer when the test says, with what the test says. */
function slowStore() {
  const reads: Array<{ resolve: (states: UnreadState[]) => void }> = [];
  return {
    reads,
    store: { unreadStates: () => new Promise<UnreadState[]>((resolve) => reads.push({ resolve })) },
  };
}

describe('UnreadTally', () => {
  it('adds each message once: one the read already counted is not counted again', async () => {
    const tally = new UnreadTally({ unreadStates: async () => [state('c', 5, 2)] });
    expect(await tally.counts('ann', 'c')).toEqual({ unreadCount: 2, firstUnreadSeq: 4, mentionCount: 0, totalUnread: 2 });
    tally.message('ann', msg('c', 5)); // announced after the read that counted it
    tally.message('ann', msg('c', 6, 'bob', { mentions: ['ann'] }));
    tally.message('ann', msg('c', 7, 'ann')); // her own
    tally.message('ann', msg('c', 8, 'bob', { type: 'system' }));
    tally.message('ann', msg('c', 9, 'bob', { threadId: 'root' })); // kept in its thread
    tally.message('ann', msg('c', 10, 'bob', { threadId: 'root', alsoToConversation: true, mentionEveryone: true }));
    expect(await tally.counts('ann', 'c')).toEqual({ unreadCount: 4, firstUnreadSeq: 4, mentionCount: 2, totalUnread: 4 });
    expect(tally.holds('ann')).toBe(true);
  });

  it('applies what went by during a read, past what the read covered', async () => {
    const { reads, store } = slowStore();
    const tally = new UnreadTally(store);
    const pending = tally.counts('ann', 'c');
    tally.message('ann', msg('c', 3)); // committed before the read's snapshot
    tally.message('ann', msg('c', 4)); // committed after it
    reads[0]!.resolve([state('c', 3, 3)]);
    expect(await pending).toMatchObject({ unreadCount: 4, firstUnreadSeq: 1, totalUnread: 4 });
    expect(reads).toHaveLength(1);
  });

  it('reads again when something forgot the counts while they were being read', async () => {
    const { reads, store } = slowStore();
    const tally = new UnreadTally(store);
    const pending = tally.counts('ann', 'c');
    tally.forget('ann'); // she read everything meanwhile
    reads[0]!.resolve([state('c', 3, 3)]);
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toHaveLength(2);
    reads[1]!.resolve([state('c', 3, 0)]);
    expect(await pending).toMatchObject({ unreadCount: 0, totalUnread: 0 });
    expect(tally.holds('ann')).toBe(true);
  });

  it('uses a read forgotten three times running for the push at hand, but does not keep it', async () => {
    const { reads, store } = slowStore();
    const tally = new UnreadTally(store);
    const pending = tally.counts('ann', 'c');
    for (let i = 0; i < 3; i++) {
      while (reads.length <= i) await new Promise((resolve) => setImmediate(resolve));
      tally.forget('ann');
      reads[i]!.resolve([state('c', 3, i)]);
    }
    expect(await pending).toMatchObject({ unreadCount: 2 });
    expect(tally.holds('ann')).toBe(false);
  });

  it('forgets on a gap, an unknown conversation, and with age', async () => {
    let now = 0;
    let reads = 0;
    const tally = new UnreadTally({ unreadStates: async () => (reads++, [state('c', 1, 1), state('d', 1, 1, { archived: true })]) }, 1_000, () => now);
    expect(await tally.counts('ann', 'd')).toEqual({ unreadCount: 1, firstUnreadSeq: 1, mentionCount: 0, totalUnread: 1 });
    tally.message('ann', msg('d', 2));
    expect(await tally.counts('ann', 'd')).toMatchObject({ unreadCount: 2, totalUnread: 1 }); // archived: out of the total
    tally.message('ann', msg('c', 3)); // seq 2 never went by
    expect(tally.holds('ann')).toBe(false);
    await tally.counts('ann', 'c');
    tally.message('ann', msg('elsewhere', 1));
    expect(tally.holds('ann')).toBe(false);
    await tally.counts('ann', 'c');
    now = 1_000;
    await tally.counts('ann', 'c');
    expect(reads).toBe(4);
    expect(await tally.counts('ann', 'not-a-member')).toEqual({ unreadCount: 0, firstUnreadSeq: null, mentionCount: 0, totalUnread: 1 });
  });

  it('drops the counts of users it is told not to keep', async () => {
    const tally = new UnreadTally({ unreadStates: async () => [state('c', 1)] });
    await tally.counts('ann', 'c');
    await tally.counts('ben', 'c');
    tally.retain((userId) => userId === 'ben');
    expect([tally.holds('ann'), tally.holds('ben')]).toEqual([false, true]);
    tally.forgetAll();
    expect(tally.holds('ben')).toBe(false);
  });

  it('a store that throws before its first await does not wedge the user: the next push reads again', async () => {
    let fail = true;
    const store = {
      unreadStates(_userId: string): Promise<UnreadState[]> {
        if (fail) throw new Error('boom');
        return Promise.resolve([state('c', 1, 1)]);
      },
    };
    const tally = new UnreadTally(store);
    await expect(tally.counts('ann', 'c')).rejects.toThrow('boom');
    fail = false;
    tally.message('ann', msg('c', 2));
    expect(await tally.counts('ann', 'c')).toMatchObject({ unreadCount: 1 });
    expect(tally.holds('ann')).toBe(true);
  });
});
