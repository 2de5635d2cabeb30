import assert from 'node:assert/strict';
import type { ChatStore } from '../../adapters/chat-store.js';
import { createChatServices, type ChatServices } from '../../create-chat-services.js';
import { ChatError } from '../../domain/errors.js';
import type { MemberRole } from '../../domain/types.js';
import { newId } from '../../util/ids.js';
import { TestClock, type ConformanceRunner } from '../harness.js';
import { ChatModel, type ModelConversation, type ModelMessage, type Verdict } from './chat-model.js';

/** The parts of fast-check the kit uses; pass `fc` itself (`import fc from 'fast-check'`), so the kit does not depend on it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fast-check's own generics are richer than the kit needs
export type FastCheck = Record<'assert' | 'asyncProperty' | 'commands' | 'asyncModelRun' | 'constantFrom' | 'nat' | 'record' | 'subarray' | 'string', (...args: any[]) => any>;

export interface ModelConformanceOptions extends ConformanceRunner {
  name?: string;
  /** fast-check, passed in so the kit does not depend on it. */
  fc: FastCheck;
  createStore: () => ChatStore | Promise<ChatStore>;
  destroyStore?: (store: ChatStore) => void | Promise<void>;
  /** Runs per case and commands per run; keep them small for network stores. Default 25 × 40. */
  numRuns?: number;
  maxCommands?: number;
  /** Fixed by default so CI is repeatable; PARLEY_MODEL_SEED overrides. */
  seed?: number;
}

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const EMOJI = ['👍', '🎉', '❤️'];

interface Real {
  chat: ChatServices;
  run: string;
  /** Model conversation key → real id; model message key → real id. */
  conversations: Map<number, string>;
  messages: Map<number, string>;
}

/** Runs a call on the real services and the model, and checks they agree on the outcome. */
async function agree<T>(expected: Verdict<T>, actual: Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  let code: string | null = null;
  try {
    value = await actual;
  } catch (error) {
    if (!(error instanceof ChatError)) throw error;
    code = error.code;
  }
  if (expected.ok) assert.equal(code, null, `${what}: the model says ok, the services said ${code}`);
  else assert.equal(code, expected.code, `${what}: the model says ${expected.code}, the services said ${code ?? 'ok'}`);
  return value;
}

const user = (r: Real, index: number) => `${USERS[index % USERS.length]}-${r.run}`;

/** One kind of call; `pick` chooses what it acts on from the model's state, or null to skip. */
function command<P>(name: string, run: (m: ChatModel, r: Real, p: P) => Promise<void>) {
  return (p: P) => ({
    check: () => true,
    run: (m: ChatModel, r: Real) => run(m, r, p),
    toString: () => `${name}(${JSON.stringify(p)})`,
  });
}

const pickConversation = (m: ChatModel, i: number): ModelConversation | null => (m.conversations.length === 0 ? null : m.conversations[i % m.conversations.length]!);
const pickMessage = (m: ChatModel, i: number): ModelMessage | null => (m.messages.length === 0 ? null : m.messages[i % m.messages.length]!);

const COMMANDS = {
  createGroup: command<{ owner: number; others: number[] }>('createGroup', async (m, r, { owner, others }) => {
    const ownerId = user(r, owner);
    const otherIds = others.map((i) => user(r, i)).filter((id) => id !== ownerId);
    const c = m.createGroup(ownerId, otherIds);
    const group = await r.chat.conversations.createGroupConversation(ownerId, { name: `g${c.key}`, memberIds: otherIds });
    r.conversations.set(c.key, group.id);
    const [system] = (await r.chat.messages.getConversationMessages(group.id, ownerId, { limit: 1 })).messages;
    r.messages.set(c.messages[0]!.key, system!.id);
  }),
  addMember: command<{ c: number; actor: number; target: number }>('addMember', async (m, r, p) => {
    const c = pickConversation(m, p.c);
    if (c === null) return;
    const added = await agree(m.addMember(c, user(r, p.actor), user(r, p.target)), r.chat.conversations.addMembers(r.conversations.get(c.key)!, user(r, p.actor), [user(r, p.target)]), 'addMembers');
    if (Array.isArray(added) && added.length > 0) await track(m, r, c);
  }),
  removeMember: command<{ c: number; actor: number; target: number }>('removeMember', async (m, r, p) => {
    const c = pickConversation(m, p.c);
    if (c === null) return;
    const verdict = m.removeMember(c, user(r, p.actor), user(r, p.target));
    await agree(verdict, r.chat.conversations.removeMember(r.conversations.get(c.key)!, user(r, p.actor), user(r, p.target)), 'removeMember');
    if (verdict.ok) await track(m, r, c);
  }),
  leave: command<{ c: number; actor: number }>('leave', async (m, r, p) => {
    const c = pickConversation(m, p.c);
    if (c === null) return;
    const verdict = m.leave(c, user(r, p.actor));
    await agree(verdict, r.chat.conversations.leaveConversation(r.conversations.get(c.key)!, user(r, p.actor)), 'leaveConversation');
    if (verdict.ok && c.alive) await track(m, r, c);
  }),
  changeRole: command<{ c: number; actor: number; target: number; role: MemberRole }>('changeRole', async (m, r, p) => {
    const c = pickConversation(m, p.c);
    if (c === null) return;
    const verdict = m.changeRole(c, user(r, p.actor), user(r, p.target), p.role);
    await agree(verdict, r.chat.conversations.updateMemberRole(r.conversations.get(c.key)!, user(r, p.actor), user(r, p.target), p.role), 'updateMemberRole');
    if (verdict.ok) await track(m, r, c);
  }),
  send: command<{ c: number; actor: number; text: string }>('send', async (m, r, p) => {
    const c = pickConversation(m, p.c);
    if (c === null) return;
    const content = `m ${p.text}`;
    const verdict = m.send(c, user(r, p.actor), content);
    const sent = (await agree(verdict, r.chat.messages.sendMessage(user(r, p.actor), { conversationId: r.conversations.get(c.key)!, content }), 'sendMessage')) as { id: string; seq: number } | undefined;
    if (verdict.ok) {
      assert.equal(sent!.seq, verdict.value.seq, 'seq as the model counts it');
      r.messages.set(verdict.value.key, sent!.id);
    }
  }),
  sendMention: command<{ c: number; actor: number; target: number }>('sendMention', async (m, r, p) => {
    const c = pickConversation(m, p.c);
    if (c === null) return;
    const verdict = m.sendMention(c, user(r, p.actor), `@${p.target}`, user(r, p.target));
    const sent = (await agree(
      verdict,
      r.chat.messages.sendMessage(user(r, p.actor), { conversationId: r.conversations.get(c.key)!, content: `@${p.target}`, mentions: [user(r, p.target)] }),
      'sendMessage(mentions)',
    )) as { id: string; seq: number } | undefined;
    if (verdict.ok) {
      assert.equal(sent!.seq, verdict.value.seq, 'seq as the model counts it');
      r.messages.set(verdict.value.key, sent!.id);
    }
  }),
  reply: command<{ msg: number; actor: number; text: string; also: boolean }>('reply', async (m, r, p) => {
    const root = pickMessage(m, p.msg);
    if (root === null) return;
    const c = m.conversationOf(root);
    const content = `r ${p.text}`;
    const verdict = m.reply(root, user(r, p.actor), content, p.also);
    const sent = (await agree(
      verdict,
      r.chat.messages.sendMessage(user(r, p.actor), { conversationId: r.conversations.get(c.key)!, content, threadId: r.messages.get(root.key)!, alsoToConversation: p.also }),
      'sendMessage(threadId)',
    )) as { id: string; seq: number } | undefined;
    if (verdict.ok) {
      assert.equal(sent!.seq, verdict.value.seq, 'seq as the model counts it');
      r.messages.set(verdict.value.key, sent!.id);
    }
  }),
  edit: command<{ msg: number; actor: number; text: string }>('edit', async (m, r, p) => {
    const msg = pickMessage(m, p.msg);
    if (msg === null) return;
    await agree(m.edit(msg, user(r, p.actor), `e ${p.text}`), r.chat.messages.editMessage(r.messages.get(msg.key)!, user(r, p.actor), `e ${p.text}`), 'editMessage');
  }),
  deleteForEveryone: command<{ msg: number; actor: number }>('deleteForEveryone', async (m, r, p) => {
    const msg = pickMessage(m, p.msg);
    if (msg === null) return;
    await agree(m.deleteForEveryone(msg, user(r, p.actor)), r.chat.messages.deleteMessage(r.messages.get(msg.key)!, user(r, p.actor), true), 'deleteMessage(forEveryone)');
  }),
  deleteForMe: command<{ msg: number; actor: number }>('deleteForMe', async (m, r, p) => {
    const msg = pickMessage(m, p.msg);
    if (msg === null) return;
    await agree(m.deleteForMe(msg, user(r, p.actor)), r.chat.messages.deleteMessage(r.messages.get(msg.key)!, user(r, p.actor), false), 'deleteMessage(forMe)');
  }),
  react: command<{ msg: number; actor: number; emoji: string }>('react', async (m, r, p) => {
    const msg = pickMessage(m, p.msg);
    if (msg === null) return;
    const verdict = m.react(msg, user(r, p.actor), p.emoji);
    const result = (await agree(verdict, r.chat.messages.reactToMessage(r.messages.get(msg.key)!, user(r, p.actor), p.emoji), 'reactToMessage')) as { action: string } | undefined;
    if (verdict.ok) assert.equal(result!.action, verdict.value);
  }),
  markRead: command<{ c: number; actor: number }>('markRead', async (m, r, p) => {
    const c = pickConversation(m, p.c);
    if (c === null) return;
    const verdict = m.markRead(c, user(r, p.actor));
    const result = (await agree(verdict, r.chat.messages.markAsRead(r.conversations.get(c.key)!, user(r, p.actor)), 'markAsRead')) as { lastReadSeq: number } | undefined;
    if (verdict.ok) assert.equal(result!.lastReadSeq, verdict.value);
  }),
};

/** After a change of members, the system message it posted gets its real id. */
async function track(m: ChatModel, r: Real, c: ModelConversation): Promise<void> {
  const last = c.messages[c.messages.length - 1]!;
  const owner = [...c.members.keys()][0]!;
  const page = await r.chat.messages.getConversationMessages(r.conversations.get(c.key)!, owner, { after: last.seq - 1, limit: 1 });
  r.messages.set(last.key, page.messages[0]!.id);
}

/** Everything every user can see agrees with the model: members, roles, messages, unread counts. */
async function compare(m: ChatModel, r: Real): Promise<void> {
  for (const c of m.conversations) {
    const id = r.conversations.get(c.key)!;
    for (let i = 0; i < USERS.length; i++) {
      const u = user(r, i);
      const member = c.alive ? c.members.get(u) : undefined;
      if (member === undefined) {
        assert.equal(await r.chat.conversations.isUserInConversation(id, u), false, `${u} is not in g${c.key}`);
        continue;
      }
      const item = await r.chat.conversations.getConversationById(id, u);
      assert.equal(item.role, member.role, `${u}'s role in g${c.key}`);
      assert.equal(item.unreadCount, m.unread(c, u), `${u}'s unread count in g${c.key}`);
      assert.equal(item.mentionCount, m.mentionCount(c, u), `${u}'s mention count in g${c.key}`);
      for (const root of c.messages.filter((x) => x.replies > 0 && !x.hiddenFor.has(u))) {
        const thread = await r.chat.threads.getThreadMessages(r.messages.get(root.key)!, u, { limit: 100 });
        assert.equal(thread.root.thread?.replyCount ?? 0, root.replies, `replies of message ${root.seq} in g${c.key}`);
        assert.deepEqual(
          thread.messages.map((x) => [x.seq, x.deletedForEveryone ? null : x.content]),
          m.thread(root, u).map((x) => [x.seq, x.deleted ? null : x.content]),
          `the thread of message ${root.seq} in g${c.key} as ${u} sees it`,
        );
      }
      const page = await r.chat.messages.getConversationMessages(id, u, { limit: 100 });
      assert.deepEqual(
        page.messages.map((x) => [x.seq, x.deletedForEveryone, x.deletedForEveryone ? null : x.type === 'system' ? 'system' : x.content]),
        m.visible(c, u).map((x) => [x.seq, x.deleted, x.deleted ? null : x.system ? 'system' : x.content]),
        `messages of g${c.key} as ${u} sees them`,
      );
      for (const message of page.messages) {
        const expected = m.messages.find((x) => r.messages.get(x.key) === message.id)!;
        assert.deepEqual(
          Object.fromEntries(message.reactions.map((x) => [x.emoji, [...x.userIds].sort()])),
          Object.fromEntries([...expected.reactions].map(([emoji, users]) => [emoji, [...users].sort()])),
          `reactions of message ${message.seq} in g${c.key}`,
        );
      }
    }
    if (c.alive) assert.equal([...c.members.values()].filter((x) => x.role === 'owner').length, 1, `one owner in g${c.key}`);
  }
}

/**
 * The model-based conformance case: random sequences of service calls (fast-check commands)
 * on the store under test agree, call by call and in everything users can see afterwards,
 * with one small model of the rules (chat-model.ts). A failure shrinks to the shortest
 * sequence that shows it.
 */
export function runModelConformance(options: ModelConformanceOptions): void {
  const { fc } = options;
  const index = fc.nat(USERS.length - 1);
  const arbitraries = [
    fc.record({ owner: index, others: fc.subarray([0, 1, 2, 3, 4], { minLength: 1 }) }),
    fc.record({ c: fc.nat(), actor: index, target: index }),
    fc.record({ c: fc.nat(), actor: index, target: index }),
    fc.record({ c: fc.nat(), actor: index }),
    fc.record({ c: fc.nat(), actor: index, target: index, role: fc.constantFrom('owner', 'admin', 'member') as unknown }),
    fc.record({ c: fc.nat(), actor: index, text: fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }) }),
    fc.record({ msg: fc.nat(), actor: index, text: fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }) }),
    fc.record({ msg: fc.nat(), actor: index }),
    fc.record({ msg: fc.nat(), actor: index }),
    fc.record({ msg: fc.nat(), actor: index, emoji: fc.constantFrom(...EMOJI) }),
    fc.record({ c: fc.nat(), actor: index }),
    fc.record({ c: fc.nat(), actor: index, target: index }),
    fc.record({ msg: fc.nat(), actor: index, text: fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }), also: fc.constantFrom(false, false, true) }),
    fc.record({ msg: fc.nat(), actor: index, text: fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }), also: fc.constantFrom(false, true) }),
  ];
  const builders = [
    COMMANDS.createGroup,
    COMMANDS.addMember,
    COMMANDS.removeMember,
    COMMANDS.leave,
    COMMANDS.changeRole,
    COMMANDS.send,
    COMMANDS.edit,
    COMMANDS.deleteForEveryone,
    COMMANDS.deleteForMe,
    COMMANDS.react,
    COMMANDS.markRead,
    COMMANDS.sendMention,
    COMMANDS.reply,
    COMMANDS.reply,
  ];
  const commandArbitraries = arbitraries.map((arbitrary, i) => (arbitrary as { map(f: (v: unknown) => unknown): unknown }).map(builders[i] as (v: unknown) => unknown));
  options.describe(`model-based conformance${options.name === undefined ? '' : `: ${options.name}`}`, () => {
    options.it(
      'random sequences of calls agree with the model, call by call and in what every user sees',
      async () => {
        const envSeed = typeof process === 'undefined' ? undefined : process.env.PARLEY_MODEL_SEED;
        const seed = envSeed === undefined ? (options.seed ?? 20_261_127) : Number(envSeed);
        await fc.assert(
          fc.asyncProperty(fc.commands(commandArbitraries, { maxCommands: options.maxCommands ?? 40 }), async (commands: unknown) => {
            const store = await options.createStore();
            const clock = new TestClock();
            const chat = createChatServices({ store, now: clock.now, limits: { messageRate: { limit: 100_000, windowMs: 1_000 } } });
            const real: Real = { chat, run: newId().slice(0, 8), conversations: new Map(), messages: new Map() };
            const model = new ChatModel();
            try {
              await fc.asyncModelRun(async () => ({ model, real }), commands);
              await compare(model, real);
            } finally {
              await chat.close();
              await options.destroyStore?.(store);
            }
          }),
          { numRuns: options.numRuns ?? 25, seed },
        );
      },
      120_000,
    );
  });
}
