import { countsAsUnread, mentions } from '../adapter-kit/unread.js';
import type { ChatStore, UnreadState } from '../adapters/chat-store.js';

/** What the tally needs of a message that went by (the `new_message` envelope's, defaults left out). */
export interface TalliedMessage {
  conversationId: string;
  seq: number;
  senderId: string;
  type?: string;
  deletedForEveryone?: boolean;
  threadId?: string | null;
  alsoToConversation?: boolean;
  mentions?: string[];
  mentionEveryone?: boolean;
}

/** A user's counts: one state per conversation of theirs, and the total over those not archived. */
interface UserCounts {
  conversations: Map<string, UnreadState>;
  total: number;
  loadedAt: number;
}

/** A read of the store under way: what went by meanwhile is applied to its result. */
interface Load {
  promise: Promise<UserCounts>;
  seen: TalliedMessage[];
  stale: boolean;
}

/** The counts of one user in one conversation, as `unread_changed` carries them. */
export interface UnreadCounts {
  unreadCount: number;
  firstUnreadSeq: number | null;
  mentionCount: number;
  totalUnread: number;
}

/**
 * Unread counts kept in step instead of counted again for every push. Counting means
 * scanning every unread message of the user (and of all their conversations, for the
 * total), so a push cost grew with how much the user had not read; that read was a fifth of
 * the server's time under load. Here the store is read once per user (`unreadStates`: every
 * conversation's counts and the last seq they cover, in one snapshot), and each message that
 * goes by adds to them by the same rule (`countsAsUnread`, `mentions`) — exactly once,
 * because a message whose seq the snapshot covers is skipped and one that is not the next
 * seq means something was missed.
 *
 * Anything else that moves a count (a read, a delete, a hide, an archive, a membership
 * change, a truncated history, a catch-up, a resync) forgets the user's counts, and the next
 * push reads them again. So do a seq gap, an unknown conversation, and age (`maxAgeMs`): a
 * change no event announces is set right within that time. The store stays the truth; this
 * only decides when it has to be asked.
 */
export class UnreadTally {
  private readonly users = new Map<string, UserCounts>();
  private readonly loads = new Map<string, Load>();

  constructor(
    private readonly store: Pick<ChatStore, 'unreadStates'>,
    private readonly maxAgeMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A message went by: add it to the counts of this member, if they are kept. */
  message(userId: string, message: TalliedMessage): void {
    const load = this.loads.get(userId);
    if (load !== undefined) load.seen.push(message);
    const counts = this.users.get(userId);
    if (counts !== undefined && !add(counts, userId, message)) this.users.delete(userId);
  }

  /** Something moved this user's counts that a message does not explain: read them again next time. */
  forget(userId: string): void {
    this.users.delete(userId);
    const load = this.loads.get(userId);
    if (load !== undefined) load.stale = true;
  }

  forgetAll(): void {
    for (const userId of [...this.users.keys(), ...this.loads.keys()]) this.forget(userId);
  }

  /** Keeps only the users `keep` says (those still connected here). */
  retain(keep: (userId: string) => boolean): void {
    for (const userId of this.users.keys()) if (!keep(userId)) this.users.delete(userId);
  }

  /** Whether this user's counts are held (for tests and metrics). */
  holds(userId: string): boolean {
    return this.users.has(userId);
  }

  /** The user's counts in the conversation (zeros but the total when they are not a member). */
  async counts(userId: string, conversationId: string): Promise<UnreadCounts> {
    const counts = await this.countsOf(userId);
    const state = counts.conversations.get(conversationId);
    return {
      unreadCount: state?.unreadCount ?? 0,
      firstUnreadSeq: state?.firstUnreadSeq ?? null,
      mentionCount: state?.mentionCount ?? 0,
      totalUnread: counts.total,
    };
  }

  private countsOf(userId: string): Promise<UserCounts> {
    const held = this.users.get(userId);
    if (held !== undefined && this.now() - held.loadedAt < this.maxAgeMs) return Promise.resolve(held);
    this.users.delete(userId);
    return (this.loads.get(userId) ?? this.load(userId)).promise;
  }

  private load(userId: string): Load {
    const load: Load = { promise: Promise.resolve(null as never), seen: [], stale: false };
    // Registered before the read starts, so that what goes by meanwhile is seen, and removed
    // only if still this load — even when the store throws before its first await.
    this.loads.set(userId, load);
    load.promise = this.read(userId, load).finally(() => {
      if (this.loads.get(userId) === load) this.loads.delete(userId);
    });
    return load;
  }

  private async read(userId: string, load: Load): Promise<UserCounts> {
    // A load that something forgot while it ran is taken again (twice at most; the third is
    // used for this push but not kept, so the next push reads once more).
    for (let attempt = 1; ; attempt += 1) {
      load.seen = [];
      load.stale = false;
      const loadedAt = this.now();
      const states = await this.store.unreadStates(userId);
      const counts: UserCounts = { conversations: new Map(states.map((s) => [s.conversationId, { ...s }])), total: 0, loadedAt };
      for (const state of states) if (!state.archived) counts.total += state.unreadCount;
      const consistent = load.seen.every((message) => add(counts, userId, message)) && !load.stale;
      if (consistent) this.users.set(userId, counts);
      if (consistent || attempt === 3) return counts;
    }
  }
}

/** Adds a message to the counts; false when they cannot take it (a gap, or a conversation they do not hold). */
function add(counts: UserCounts, userId: string, message: TalliedMessage): boolean {
  const state = counts.conversations.get(message.conversationId);
  if (state === undefined) return false;
  if (message.seq <= state.lastSeq) return true; // in the snapshot already
  if (message.seq !== state.lastSeq + 1) return false;
  state.lastSeq = message.seq;
  // A message that has just arrived is hidden for nobody: a later hide is an event of its own, which forgets.
  if (!countsAsUnread(message, userId, false)) return true;
  state.unreadCount += 1;
  state.firstUnreadSeq ??= message.seq;
  if (mentions(message, userId)) state.mentionCount += 1;
  if (!state.archived) counts.total += 1;
  return true;
}
