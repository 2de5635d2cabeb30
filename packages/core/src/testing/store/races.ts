import assert from 'node:assert/strict';
import type { ChatStore, NewMessage } from '../../adapters/chat-store.js';
import { ChatError } from '../../domain/errors.js';
import type { Member } from '../../domain/types.js';
import { newId } from '../../util/ids.js';
import type { RaceCase, RaceHarness } from '../harness.js';

/**
 * Invariants under concurrency (SPEC §7, SHARED STYLE §14). Each case fires the same
 * operations at once from several store instances on one database — each with services of
 * its own, whose membership caches go stale as separate processes' would — and checks what
 * the database holds afterwards. Each fails against a store that reads, then writes across
 * an await, or trusts a cache (packages/core/test/racy-store.test.ts shows it).
 */
const ROUNDS = 8;

const message = (conversationId: string, senderId: string, i: number, clientMessageId: string | null = null): NewMessage => ({
  id: newId(),
  conversationId,
  senderId,
  type: 'text',
  content: `m${i}`,
  replyToId: null,
  attachments: [],
  metadata: null,
  clientMessageId,
  createdAt: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
  notify: false,
});

/** Settles every promise; returns the ChatErrors' codes and the successes' values. */
async function settle<T>(promises: Array<Promise<T>>): Promise<{ values: T[]; codes: string[] }> {
  const results = await Promise.allSettled(promises);
  const values: T[] = [];
  const codes: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') values.push(result.value);
    else if (result.reason instanceof ChatError) codes.push(result.reason.code);
    else throw result.reason;
  }
  return { values, codes };
}

const owners = (members: Member[]) => members.filter((m) => m.role === 'owner').map((m) => m.userId);

async function groupOf(h: RaceHarness, owner: string, others: string[]): Promise<string> {
  return (await h.nodes[0]!.conversations.createGroupConversation(owner, { name: 'race', memberIds: others })).id;
}

export const raceCases: RaceCase[] = [
  {
    name: 'concurrent insert batches from several instances: dense seq, no duplicate, one row per clientMessageId',
    instances: 4,
    async run(h) {
      const people = h.users(4);
      const id = await groupOf(h, people[0]!, people.slice(1));
      const batches: Array<Promise<Awaited<ReturnType<ChatStore['insertMessages']>>>> = [];
      let n = 0;
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, store] of h.stores.entries()) {
          const sender = people[i]!;
          const batch = [message(id, sender, (n += 1)), message(id, sender, (n += 1))];
          // Every instance also sends the same keyed message of people[0]: one row may come of it.
          batch.push(message(id, people[0]!, (n += 1), `shared-${round}`));
          batches.push(store.insertMessages(batch));
        }
      }
      const results = (await Promise.all(batches)).flat();
      const created = results.filter((r) => r.status === 'created').map((r) => r.message!);
      assert.equal(results.filter((r) => r.status === 'refused').length, 0, 'members are never refused');
      const seqs = created.map((m) => m.seq).sort((a, b) => a - b);
      assert.equal(new Set(seqs).size, seqs.length, 'no seq was given twice');
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 2), 'seqs are dense after the system message');
      for (let round = 0; round < ROUNDS; round++) {
        const keyed = results.filter((r) => r.message?.clientMessageId === `shared-${round}`);
        assert.equal(new Set(keyed.map((r) => r.message!.id)).size, 1, `one message for shared-${round}`);
        assert.equal(keyed.filter((r) => r.status === 'created').length, 1, `shared-${round} was created once`);
      }
      const stored = await h.stores[3]!.listMessages(id, people[0]!, { after: 0, limit: 1000 });
      assert.deepEqual(stored.messages.map((m) => m.seq), Array.from({ length: created.length + 1 }, (_, i) => i + 1));
      assert.equal((await h.stores[2]!.getConversation(id))?.lastSeq, created.length + 1);
    },
  },
  {
    name: 'the last two members leaving at once end the group',
    instances: 2,
    async run(h) {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, member] = h.users(2) as [string, string];
        const id = await groupOf(h, owner, [member]);
        const { values } = await settle([h.nodes[0]!.conversations.leaveConversation(id, owner), h.nodes[1]!.conversations.leaveConversation(id, member)]);
        assert.equal(values.length, 2, 'both leaves succeed');
        assert.equal(values.filter((v) => v.deleted).length, 1, 'exactly one of them ends the group');
        assert.equal(await h.stores[0]!.getConversation(id), null, 'no conversation is left without members');
        assert.deepEqual(await h.stores[1]!.listMembers(id), []);
      }
    },
  },
  {
    name: 'two ownership transfers at once leave exactly one owner',
    instances: 2,
    async run(h) {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, a, b] = h.users(3) as [string, string, string];
        const id = await groupOf(h, owner, [a, b]);
        const { values, codes } = await settle([
          h.nodes[0]!.conversations.updateMemberRole(id, owner, a, 'owner'),
          h.nodes[1]!.conversations.updateMemberRole(id, owner, b, 'owner'),
        ]);
        assert.equal(values.length, 1, 'one transfer wins');
        assert.deepEqual(codes, ['FORBIDDEN'], 'the other finds its sender no longer owner');
        const members = await h.stores[0]!.listMembers(id);
        assert.equal(owners(members).length, 1, `one owner, not ${owners(members).join(', ')}`);
        assert.equal(members.find((m) => m.userId === owner)?.role, 'admin');
      }
    },
  },
  {
    name: 'an owner leaving while promoting someone leaves exactly one owner, who is a member',
    instances: 2,
    async run(h) {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, oldest, promoted] = h.users(3) as [string, string, string];
        const id = await groupOf(h, owner, [oldest]);
        await h.nodes[0]!.conversations.addMembers(id, owner, [promoted]);
        await settle<unknown>([h.nodes[0]!.conversations.leaveConversation(id, owner), h.nodes[1]!.conversations.updateMemberRole(id, owner, promoted, 'owner')]);
        const members = await h.stores[1]!.listMembers(id);
        const left = owners(members);
        assert.equal(left.length, 1, `one owner, not [${left.join(', ')}]`);
        assert.ok(members.some((m) => m.userId === left[0]), 'the owner is a member');
      }
    },
  },
  {
    name: 'adds at once cannot pass the member cap',
    instances: 3,
    limits: { maxGroupMembers: 5 },
    async run(h) {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, first] = h.users(2) as [string, string];
        const id = await groupOf(h, owner, [first]);
        const { values, codes } = await settle(h.nodes.map((node) => node.conversations.addMembers(id, owner, h.users(2))));
        const members = await h.stores[2]!.listMembers(id);
        assert.ok(members.length <= 5, `${members.length} members, over the cap of 5`);
        assert.equal(values.length, 1, 'one add of two fits');
        assert.deepEqual(codes, ['VALIDATION_FAILED', 'VALIDATION_FAILED']);
      }
    },
  },
  {
    name: 'a member removed through one instance cannot send through another, whatever its cache says',
    instances: 2,
    async run(h) {
      for (let round = 0; round < ROUNDS; round++) {
        const [owner, member] = h.users(2) as [string, string];
        const id = await groupOf(h, owner, [member]);
        // The second node has seen the member send: its cache counts them in.
        await h.nodes[1]!.messages.sendMessage(member, { conversationId: id, content: 'before' });
        await h.nodes[0]!.conversations.removeMember(id, owner, member);
        const { codes } = await settle([h.nodes[1]!.messages.sendMessage(member, { conversationId: id, content: 'after' })]);
        assert.deepEqual(codes, ['NOT_FOUND']);
        const { messages } = await h.stores[0]!.listMessages(id, owner, { after: 0, limit: 100 });
        assert.ok(!messages.some((m) => m.content === 'after'), 'nothing was stored');
        const { codes: readCodes } = await settle([h.nodes[1]!.messages.getConversationMessages(id, member)]);
        assert.deepEqual(readCodes, ['NOT_FOUND'], 'nor can they read through the other instance');
      }
    },
  },
  {
    name: 'two read marks of one user at once are announced once',
    instances: 2,
    async run(h) {
      for (let round = 0; round < ROUNDS; round++) {
        const [a, b] = h.users(2) as [string, string];
        const id = await groupOf(h, a, [b]);
        await h.nodes[0]!.messages.sendMessage(a, { conversationId: id, content: 'read me' });
        const announced: number[] = [];
        for (const node of h.nodes) node.events.on('messages_read', (e) => announced.push(e.lastReadSeq));
        await Promise.all(h.nodes.map((node) => node.messages.markAsRead(id, b)));
        for (const node of h.nodes) node.events.removeAllListeners('messages_read');
        assert.deepEqual(announced, [2], 'the move is announced by the call that made it, once');
      }
    },
  },
  {
    name: 'reactions at once cannot pass the distinct-emoji cap',
    instances: 3,
    limits: { maxDistinctReactions: 3 },
    async run(h) {
      const emoji = ['😀', '🎉', '👍', '🔥', '🚀', '❤️'];
      for (let round = 0; round < ROUNDS; round++) {
        const [a, b, c] = h.users(3) as [string, string, string];
        const id = await groupOf(h, a, [b, c]);
        const target = await h.nodes[0]!.messages.sendMessage(a, { conversationId: id, content: 'react to me' });
        const people = [a, b, c];
        const { codes } = await settle(h.nodes.flatMap((node, i) => [0, 1].map((j) => node.messages.reactToMessage(target.id, people[i]!, emoji[i * 2 + j]!))));
        const stored = await h.stores[0]!.getMessage(target.id);
        assert.ok(stored!.reactions.length <= 3, `${stored!.reactions.length} different emoji, over the cap of 3`);
        assert.equal(stored!.reactions.length, 3);
        assert.deepEqual(codes, ['CONFLICT', 'CONFLICT', 'CONFLICT']);
      }
    },
  },
];
