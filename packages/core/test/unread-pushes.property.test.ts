import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatError, createChatServices, createMemoryBroker, createMemoryBus, createMemoryStore, RealtimeHub, type ChatServices, type ChatStore, type Message } from '../src/index.js';

/**
 * Unread counts are kept in step by the hub (`UnreadTally`) rather than counted for every
 * push. SPEC §2: "It must never drift". So: whatever happens — sends with mentions, thread
 * replies, reads, marking unread, deletes, hides, archives, members removed and added — on
 * either of two nodes sharing a store and a broker, the last `unread_changed` each user got
 * for a conversation says what the store counts once things settle.
 */

const USERS = ['u0', 'u1', 'u2', 'u3'];
const NODE_OF: Record<string, number> = { u0: 0, u1: 0, u2: 1, u3: 1 };

interface UnreadFrame {
  conversationId: string;
  unreadCount: number;
  firstUnreadSeq: number | null;
  totalUnread: number;
  mentionCount: number;
}

interface World {
  store: ChatStore;
  nodes: Array<{ services: ChatServices; hub: RealtimeHub }>;
  conversations: string[];
  /** Frames per user, in arrival order. */
  frames: Map<string, UnreadFrame[]>;
  messages: Message[];
  close: () => Promise<void>;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 15));

async function world(maxAgeMs: number): Promise<World> {
  const store = createMemoryStore();
  const bus = createMemoryBus();
  const nodes = [0, 1].map(() => {
    const services = createChatServices({ store });
    const hub = new RealtimeHub({ services, broker: createMemoryBroker({ bus }), unreadPushDelayMs: 1, unreadCountsMaxAgeMs: maxAgeMs, heartbeatIntervalMs: 60_000 });
    return { services, hub };
  });
  const { services } = nodes[0]!;
  const a = await services.conversations.createGroupConversation('u0', { name: 'A', memberIds: ['u1', 'u2', 'u3'] });
  const b = await services.conversations.createGroupConversation('u1', { name: 'B', memberIds: ['u0', 'u2'] });
  const d = await services.conversations.createDirectConversation('u0', 'u3');
  const frames = new Map<string, UnreadFrame[]>(USERS.map((u) => [u, []]));
  for (const userId of USERS) {
    const sink = frames.get(userId)!;
    const socket = {
      send: (data: string) => {
        const frame = JSON.parse(data) as { type: string; data: UnreadFrame };
        if (frame.type === 'unread_changed') sink.push(frame.data);
      },
      close: () => {},
    };
    await nodes[NODE_OF[userId]!]!.hub.handleConnection(socket, { id: userId, name: userId, status: 'active' });
  }
  await settle();
  return {
    store,
    nodes,
    conversations: [a.id, b.id, d.id],
    frames,
    messages: [],
    close: async () => {
      for (const { hub } of nodes) await hub.close();
    },
  };
}

type Op =
  | { kind: 'send'; node: number; user: number; c: number; count: number; mention: boolean; thread: 'none' | 'only' | 'also' }
  | { kind: 'read'; node: number; user: number; c: number; upTo: number | null }
  | { kind: 'unread'; node: number; user: number; m: number }
  | { kind: 'delete'; node: number; user: number; m: number; forEveryone: boolean }
  | { kind: 'archive'; node: number; user: number; c: number; archived: boolean }
  | { kind: 'member'; node: number; user: number; add: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('send' as const), node: fc.nat(1), user: fc.nat(3), c: fc.nat(2), count: fc.integer({ min: 1, max: 4 }), mention: fc.boolean(), thread: fc.constantFrom('none' as const, 'none' as const, 'only' as const, 'also' as const) }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('read' as const), node: fc.nat(1), user: fc.nat(3), c: fc.nat(2), upTo: fc.option(fc.nat(40)) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('unread' as const), node: fc.nat(1), user: fc.nat(3), m: fc.nat(40) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), node: fc.nat(1), user: fc.nat(3), m: fc.nat(40), forEveryone: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('archive' as const), node: fc.nat(1), user: fc.nat(3), c: fc.nat(2), archived: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('member' as const), node: fc.nat(1), user: fc.integer({ min: 1, max: 3 }), add: fc.boolean() }), weight: 1 },
);

const pick = <T>(list: T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);

/** Runs one operation; refusals (not a member, not the author…) are part of the game. */
async function run(w: World, o: Op): Promise<void> {
  const chat = w.nodes[o.node]!.services;
  const user = USERS[o.user]!;
  try {
    switch (o.kind) {
      case 'send': {
        const conversationId = w.conversations[o.c]!;
        const root = o.thread === 'none' ? undefined : w.messages.filter((m) => m.conversationId === conversationId && m.threadId === null).at(-1);
        // A burst: the sends are not awaited one by one, so their events interleave with pushes.
        const sends = Array.from({ length: o.count }, (_, i) =>
          chat.messages.sendMessage(user, {
            conversationId,
            content: `m${i}`,
            // Mentioning everyone is the owners' (refused for the others: part of the game too).
            ...(o.mention ? { mentionEveryone: i === 1, mentions: [USERS[(o.user + 1) % 4]!] } : {}),
            ...(root === undefined ? {} : { threadId: root.id, alsoToConversation: o.thread === 'also' }),
          }),
        );
        for (const result of await Promise.allSettled(sends)) if (result.status === 'fulfilled') w.messages.push(result.value);
        return;
      }
      case 'read': {
        const conversationId = w.conversations[o.c]!;
        const upTo = o.upTo === null ? undefined : pick(w.messages.filter((m) => m.conversationId === conversationId), o.upTo)?.id;
        await chat.messages.markAsRead(conversationId, user, upTo);
        return;
      }
      case 'unread': {
        const message = pick(w.messages, o.m);
        if (message !== undefined) await chat.messages.markAsUnread(message.conversationId, user, message.id);
        return;
      }
      case 'delete': {
        const message = pick(w.messages, o.m);
        if (message !== undefined) await chat.messages.deleteMessage(message.id, user, o.forEveryone);
        return;
      }
      case 'archive': {
        const conversationId = w.conversations[o.c]!;
        await (o.archived ? chat.conversations.archiveConversation(conversationId, user) : chat.conversations.unarchiveConversation(conversationId, user));
        return;
      }
      case 'member': {
        // Group A's owner adds or removes a member.
        const conversationId = w.conversations[0]!;
        await (o.add ? chat.conversations.addMembers(conversationId, 'u0', [user]) : chat.conversations.removeMember(conversationId, 'u0', user));
        return;
      }
    }
  } catch (error) {
    if (!(error instanceof ChatError)) throw error;
  }
}

/** What the store counts for the user in the conversation, in the push's shape. */
async function truth(store: ChatStore, userId: string, conversationId: string): Promise<UnreadFrame> {
  const [summary] = await store.unreadSummary(conversationId, [userId]);
  if (summary !== undefined) {
    return { conversationId, unreadCount: summary.unreadCount, firstUnreadSeq: summary.firstUnreadSeq, totalUnread: summary.totalUnread, mentionCount: summary.mentionCount ?? 0 };
  }
  const states = await store.unreadStates(userId);
  return { conversationId, unreadCount: 0, firstUnreadSeq: null, totalUnread: states.reduce((n, s) => n + (s.archived ? 0 : s.unreadCount), 0), mentionCount: 0 };
}

let open: World | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('unread counts kept in step never drift from the store (SPEC §2)', () => {
  for (const maxAgeMs of [30_000, 0]) {
    it(`over random sends, reads, deletes, hides, archives and membership changes on two nodes (counts kept ${maxAgeMs === 0 ? 'never: read for every push' : 'up to 30 s'})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
          await open?.close();
          const w = (open = await world(maxAgeMs));
          // At the end, each conversation gets a message from two of its members, so every
          // member is pushed its counts there: a count that went wrong earlier shows.
          const probes: Op[] = [0, 1, 2].flatMap((c) => [0, 1, 2, 3].map((user) => ({ kind: 'send' as const, node: user % 2, user, c, count: 1, mention: false, thread: 'none' as const })));
          for (const o of [...ops, ...probes]) {
            const before = new Map(USERS.map((u) => [u, w.frames.get(u)!.length]));
            await run(w, o);
            await settle();
            // The last push of this step for each (user, conversation) is what the store says now.
            for (const userId of USERS) {
              const last = new Map(w.frames.get(userId)!.slice(before.get(userId)).map((f) => [f.conversationId, f]));
              for (const [conversationId, frame] of last) {
                expect(frame, `${userId} in ${w.conversations.indexOf(conversationId)} after ${JSON.stringify(o)}`).toEqual(await truth(w.store, userId, conversationId));
              }
            }
          }
        }),
        { numRuns: 30, seed: Number(process.env.PARLEY_MODEL_SEED ?? 1127) },
      );
    }, 120_000);
  }

  it('a burst of messages is counted without reading the store again', async () => {
    const w = (open = await world(30_000));
    let reads = 0;
    const unreadStates = w.store.unreadStates.bind(w.store);
    w.store.unreadStates = async (userId) => {
      reads += 1;
      return unreadStates(userId);
    };
    const [a] = w.conversations as [string];
    // Each member gets a push once, which reads their counts once.
    for (const sender of ['u1', 'u2']) {
      await w.nodes[0]!.services.messages.sendMessage(sender, { conversationId: a, content: 'first' });
      await settle();
    }
    const afterFirst = reads;
    expect(afterFirst).toBe(4);
    for (let i = 0; i < 20; i++) {
      await w.nodes[i % 2]!.services.messages.sendMessage(USERS[(i % 3) + 1]!, { conversationId: a, content: `m${i}`, ...(i === 5 ? { mentions: ['u0'] } : {}) });
      await settle();
    }
    expect(reads).toBe(afterFirst);
    expect(w.frames.get('u0')!.at(-1)).toEqual(await truth(w.store, 'u0', a));
    expect(w.frames.get('u0')!.at(-1)).toMatchObject({ unreadCount: 22, mentionCount: 1 });
  });

  it('an erase resets the user’s read positions, and the counts pushed after it say so', async () => {
    const w = (open = await world(30_000));
    const [a, b] = w.conversations as [string, string];
    const chat = w.nodes[0]!.services;
    for (let i = 0; i < 3; i += 1) await chat.messages.sendMessage('u1', { conversationId: a, content: `a${i}` });
    await chat.messages.markAsRead(a, 'u0');
    await chat.messages.markAsRead(b, 'u0');
    await settle();
    expect(w.frames.get('u0')!.at(-1)).toMatchObject({ totalUnread: 0 });
    await chat.userData.eraseUserData('u0'); // u0 sent nothing: no message of theirs to delete
    await chat.messages.sendMessage('u1', { conversationId: b, content: 'b' });
    await settle();
    // Each conversation's latest push has its count; the latest push of all has the total
    // (an earlier push for another conversation carried the total of its moment).
    const frames = w.frames.get('u0')!;
    for (const conversationId of w.conversations) {
      const { totalUnread: _total, ...count } = frames.filter((f) => f.conversationId === conversationId).at(-1)!;
      const { totalUnread: _truthTotal, ...expected } = await truth(w.store, 'u0', conversationId);
      expect(count).toEqual(expected);
    }
    expect(frames.at(-1)!.totalUnread).toBe((await truth(w.store, 'u0', b)).totalUnread);
    expect(frames.filter((f) => f.conversationId === a).at(-1)).toMatchObject({ unreadCount: 3 });
    expect(frames.at(-1)!.totalUnread).toBe(4);
  });
});
