import type { ErrorCode } from '../../domain/errors.js';
import type { MemberRole } from '../../domain/types.js';

/**
 * A chat in a few dozen lines: what the services must do, written as plainly as possible,
 * for the model-based test to compare every store against. It knows nothing of storage,
 * events or concurrency: one call at a time, each returning what the services must return.
 */
export interface ModelMessage {
  key: number;
  seq: number;
  sender: string;
  system: boolean;
  content: string | null;
  deleted: boolean;
  hiddenFor: Set<string>;
  reactions: Map<string, Set<string>>;
  /** A thread reply: its root. */
  root: ModelMessage | null;
  /** A thread reply also shown in the timeline. */
  also: boolean;
  mentions: string[];
  /** On a root: how many replies it has had. */
  replies: number;
}

export interface ModelMember {
  role: MemberRole;
  /** Join order: the time of the call that added them, then the user id. */
  joined: number;
  readSeq: number;
}

export interface ModelConversation {
  key: number;
  alive: boolean;
  members: Map<string, ModelMember>;
  messages: ModelMessage[];
}

/** What a call must answer: done (with a value), or refused with a code. */
export type Verdict<T = undefined> = { ok: true; value: T } | { ok: false; code: ErrorCode };

const refuse = (code: ErrorCode): { ok: false; code: ErrorCode } => ({ ok: false, code });
const done = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export class ChatModel {
  readonly conversations: ModelConversation[] = [];
  readonly messages: ModelMessage[] = [];
  /** Every service call moves the clock, as the test clock does. */
  private time = 0;

  tick(): number {
    return (this.time += 1);
  }

  createGroup(owner: string, others: string[]): ModelConversation {
    const at = this.tick();
    const members = new Map<string, ModelMember>([[owner, { role: 'owner', joined: at, readSeq: 0 }]]);
    for (const id of others) if (id !== owner) members.set(id, { role: 'member', joined: at, readSeq: 0 });
    const conversation: ModelConversation = { key: this.conversations.length, alive: true, members, messages: [] };
    this.conversations.push(conversation);
    this.post(conversation, owner, true, 'created');
    return conversation;
  }

  addMember(c: ModelConversation, actor: string, user: string): Verdict<boolean> {
    const me = this.member(c, actor);
    if (me === undefined) return refuse('NOT_FOUND');
    if (me.role === 'member') return refuse('FORBIDDEN');
    if (c.members.has(user)) return done(false);
    c.members.set(user, { role: 'member', joined: this.tick(), readSeq: c.messages.length });
    this.post(c, actor, true, 'added');
    return done(true);
  }

  removeMember(c: ModelConversation, actor: string, target: string): Verdict {
    const me = this.member(c, actor);
    if (me === undefined) return refuse('NOT_FOUND');
    if (target === actor) return refuse('VALIDATION_FAILED');
    if (me.role === 'member') return refuse('FORBIDDEN');
    const them = c.members.get(target);
    if (them === undefined) return refuse('NOT_FOUND');
    if (them.role === 'owner' || (them.role === 'admin' && me.role !== 'owner')) return refuse('FORBIDDEN');
    c.members.delete(target);
    this.post(c, actor, true, 'removed');
    return done(undefined);
  }

  /** The owner hands over to the oldest admin, else the oldest member; the last one ends the group. */
  leave(c: ModelConversation, actor: string): Verdict {
    const me = this.member(c, actor);
    if (me === undefined) return refuse('NOT_FOUND');
    c.members.delete(actor);
    if (c.members.size === 0) {
      c.alive = false;
      return done(undefined);
    }
    if (me.role === 'owner') {
      const byAge = [...c.members].sort(([a, x], [b, y]) => x.joined - y.joined || (a < b ? -1 : a > b ? 1 : 0));
      const successor = byAge.find(([, m]) => m.role === 'admin') ?? byAge[0]!;
      successor[1].role = 'owner';
    }
    this.post(c, actor, true, 'left');
    return done(undefined);
  }

  changeRole(c: ModelConversation, actor: string, target: string, role: MemberRole): Verdict {
    const me = this.member(c, actor);
    if (me === undefined) return refuse('NOT_FOUND');
    if (me.role !== 'owner') return refuse('FORBIDDEN');
    if (target === actor) return refuse('VALIDATION_FAILED');
    const them = c.members.get(target);
    if (them === undefined) return refuse('NOT_FOUND');
    them.role = role;
    if (role === 'owner') me.role = 'admin';
    this.post(c, actor, true, 'role');
    return done(undefined);
  }

  send(c: ModelConversation, actor: string, content: string): Verdict<ModelMessage> {
    if (this.member(c, actor) === undefined) return refuse('NOT_FOUND');
    return done(this.post(c, actor, false, content));
  }

  /** A mention of a member by name; anyone else is refused. */
  sendMention(c: ModelConversation, actor: string, content: string, mentioned: string): Verdict<ModelMessage> {
    if (this.member(c, actor) === undefined) return refuse('NOT_FOUND');
    if (!c.members.has(mentioned)) return refuse('VALIDATION_FAILED');
    const message = this.post(c, actor, false, content);
    message.mentions = [mentioned];
    return done(message);
  }

  /** A reply in the thread of `root`: a timeline message the sender sees, not a system message. */
  reply(root: ModelMessage, actor: string, content: string, also: boolean): Verdict<ModelMessage> {
    const c = this.conversationOf(root);
    if (this.member(c, actor) === undefined) return refuse('NOT_FOUND');
    if (root.hiddenFor.has(actor) || root.root !== null || root.system) return refuse('VALIDATION_FAILED');
    const message = this.post(c, actor, false, content);
    message.root = root;
    message.also = also;
    root.replies += 1;
    return done(message);
  }

  edit(m: ModelMessage, actor: string, content: string): Verdict {
    if (!this.canSee(m, actor)) return refuse('NOT_FOUND');
    if (m.sender !== actor || m.system) return refuse('FORBIDDEN');
    if (m.deleted) return refuse('CONFLICT');
    m.content = content;
    return done(undefined);
  }

  deleteForEveryone(m: ModelMessage, actor: string): Verdict {
    if (!this.canSee(m, actor)) return refuse('NOT_FOUND');
    const role = this.conversationOf(m).members.get(actor)!.role;
    if (m.sender !== actor && role === 'member') return refuse('FORBIDDEN');
    m.deleted = true;
    m.content = null;
    m.reactions.clear();
    return done(undefined);
  }

  deleteForMe(m: ModelMessage, actor: string): Verdict {
    if (!this.canSee(m, actor)) return refuse('NOT_FOUND');
    m.hiddenFor.add(actor);
    return done(undefined);
  }

  react(m: ModelMessage, actor: string, emoji: string): Verdict<'added' | 'removed'> {
    if (!this.canSee(m, actor)) return refuse('NOT_FOUND');
    if (m.deleted) return refuse('CONFLICT');
    const users = m.reactions.get(emoji) ?? new Set<string>();
    m.reactions.set(emoji, users);
    if (users.delete(actor)) {
      if (users.size === 0) m.reactions.delete(emoji);
      return done('removed');
    }
    users.add(actor);
    return done('added');
  }

  markRead(c: ModelConversation, actor: string): Verdict<number> {
    const me = this.member(c, actor);
    if (me === undefined) return refuse('NOT_FOUND');
    me.readSeq = Math.max(me.readSeq, c.messages.length);
    return done(me.readSeq);
  }

  /** Others' live, non-system messages of the timeline after the read position that the user has not hidden. */
  unread(c: ModelConversation, user: string): number {
    return this.unreadMessages(c, user).length;
  }

  /** Of those, the ones mentioning the user. */
  mentionCount(c: ModelConversation, user: string): number {
    return this.unreadMessages(c, user).filter((m) => m.mentions.includes(user)).length;
  }

  private unreadMessages(c: ModelConversation, user: string): ModelMessage[] {
    const me = c.members.get(user);
    if (me === undefined) return [];
    return c.messages.filter((m) => this.inTimeline(m) && m.seq > me.readSeq && m.sender !== user && !m.system && !m.deleted && !m.hiddenFor.has(user));
  }

  /** The timeline as the user sees it: thread replies kept in their thread are not in it. */
  visible(c: ModelConversation, user: string): ModelMessage[] {
    return c.messages.filter((m) => this.inTimeline(m) && !m.hiddenFor.has(user));
  }

  /** A thread's replies as the user sees them, by seq. */
  thread(root: ModelMessage, user: string): ModelMessage[] {
    return this.conversationOf(root).messages.filter((m) => m.root === root && !m.hiddenFor.has(user));
  }

  private inTimeline(m: ModelMessage): boolean {
    return m.root === null || m.also;
  }

  conversationOf(m: ModelMessage): ModelConversation {
    return this.conversations.find((c) => c.messages.includes(m))!;
  }

  private member(c: ModelConversation, user: string): ModelMember | undefined {
    this.tick();
    return c.alive ? c.members.get(user) : undefined;
  }

  private canSee(m: ModelMessage, user: string): boolean {
    this.tick();
    const c = this.conversationOf(m);
    return c.alive && c.members.has(user) && !m.hiddenFor.has(user);
  }

  private post(c: ModelConversation, sender: string, system: boolean, content: string): ModelMessage {
    const message: ModelMessage = {
      key: this.messages.length,
      seq: c.messages.length + 1,
      sender,
      system,
      content,
      deleted: false,
      hiddenFor: new Set(),
      reactions: new Map(),
      root: null,
      also: false,
      mentions: [],
      replies: 0,
    };
    c.messages.push(message);
    this.messages.push(message);
    return message;
  }
}
