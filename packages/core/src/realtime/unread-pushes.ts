import type { BrokerEnvelope } from '../adapters/broker.js';
import type { ChatStore } from '../adapters/chat-store.js';
import type { MembershipCache } from '../services/membership-cache.js';
import type { Logger } from '../util/logger.js';
import type { SocketRegistry } from './socket-registry.js';
import { THREAD_READ } from './service-event-routes.js';
import { UnreadTally, type TalliedMessage } from './unread-tally.js';

/** Conversation updates after which a member's counts or unread total may have changed. */
const COUNTING_UPDATES = new Set(['created', 'members_added', 'member_removed', 'member_left', 'deleted', 'archived', 'unarchived', 'history_truncated']);
/** How often the counts of users no longer connected here are dropped. */
const SWEEP_MS = 10_000;

/**
 * Pushes unread counts as absolute values (SPEC §7): `unread_changed { conversationId,
 * unreadCount, firstUnreadSeq, totalUnread }` to every socket of a user whose count may have
 * moved — a message in, a delete, a read, a read position moved back, a membership change.
 * Each node reads what it sees go by (its own events and the other nodes') and pushes to its
 * own sockets only, so nothing extra crosses nodes. Bursts are coalesced: one push per user
 * and conversation per `delayMs`. The counts come from an `UnreadTally`, which reads the
 * store once per user and keeps the counts in step with the messages going by.
 */
export class UnreadPushes {
  private readonly pending = new Map<string, Set<string>>();
  /** Threads whose followers' counts may have moved: all of them (null) or these users. */
  private readonly pendingThreads = new Map<string, Set<string> | null>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly tally: UnreadTally;
  private lastSweep = Date.now();

  constructor(
    private readonly store: ChatStore,
    private readonly registry: SocketRegistry,
    private readonly membership: MembershipCache,
    private readonly send: (userId: string, frame: string) => void,
    private readonly logger: Logger,
    private readonly delayMs = 100,
    countsMaxAgeMs = 30_000,
  ) {
    this.tally = new UnreadTally(store, countsMaxAgeMs);
  }

  /** Looks at an envelope delivered on this node. */
  observe(envelope: BrokerEnvelope): void {
    const data = envelope.data as {
      conversationId?: string;
      message?: TalliedMessage;
      userId?: string;
      threadId?: string;
      forEveryone?: boolean;
      updateType?: string;
    };
    switch (envelope.event) {
      case 'new_message': {
        const message = data.message!;
        const { conversationId, senderId, threadId, alsoToConversation } = message;
        if (threadId != null) this.touchThread(threadId, null);
        const pushTo = (ids: string[]) => {
          // Every member's counts move past its seq, the sender's and a thread reply's too.
          for (const id of ids) this.tally.message(id, message);
          // A reply kept in its thread moves no conversation count.
          if (threadId == null || alsoToConversation === true) this.touch(conversationId, ids.filter((id) => id !== senderId));
        };
        const known = this.membership.peek(conversationId);
        if (known !== undefined) pushTo(known);
        else void this.members(conversationId).then(pushTo);
        return;
      }
      case THREAD_READ:
        this.touchThread(data.threadId!, [data.userId!]);
        return;
      case 'message_deleted':
        if (data.threadId !== undefined) this.touchThread(data.threadId, data.forEveryone === true ? null : envelope.target.kind === 'users' ? envelope.target.userIds : null);
        if (data.forEveryone === true) void this.members(data.conversationId!).then((ids) => this.recount(data.conversationId!, ids));
        else if (envelope.target.kind === 'users') this.recount(data.conversationId!, envelope.target.userIds);
        return;
      case 'messages_read':
      case 'read_position_changed':
        this.recount(data.conversationId!, [data.userId!]);
        return;
      case 'conversation_updated':
        if (COUNTING_UPDATES.has(data.updateType ?? '') && envelope.target.kind === 'users') this.recount(data.conversationId!, envelope.target.userIds);
        return;
      default:
    }
  }

  /** After a resync: every count may have missed something. */
  forgetAll(): void {
    this.tally.forgetAll();
  }

  close(): void {
    this.closed = true;
    this.tally.forgetAll();
    if (this.timer !== null) clearTimeout(this.timer);
    this.pending.clear();
    this.pendingThreads.clear();
  }

  /** Pushes `thread_unread_changed` to the thread's followers (or these users) connected here, soon. */
  touchThread(threadId: string, userIds: string[] | null): void {
    if (this.closed) return;
    if (userIds !== null && !userIds.some((id) => this.registry.socketCount(id) > 0)) return;
    const current = this.pendingThreads.get(threadId);
    if (current === null || userIds === null) this.pendingThreads.set(threadId, null);
    else this.pendingThreads.set(threadId, new Set([...(current ?? []), ...userIds]));
    this.schedule();
  }

  /**
   * After a catch-up: the user's counts in every thread they follow in the conversation (the
   * latest 100), so counts that moved while they were away are set right, as `unread_changed` is.
   */
  touchFollowedThreads(conversationId: string, userId: string): void {
    if (this.closed || this.registry.socketCount(userId) === 0) return;
    void this.store
      .listThreadReadStates(userId, conversationId, 100)
      .then((states) => {
        for (const { threadId, unreadCount, lastReadSeq } of states) {
          this.send(userId, JSON.stringify({ type: 'thread_unread_changed', data: { conversationId, threadId, unreadCount, lastReadSeq } }));
        }
      })
      .catch((error: unknown) => this.logger.warn('could not push thread unread counts', { conversationId, error: String(error) }));
  }

  private schedule(): void {
    if (this.timer === null) {
      this.timer = setTimeout(() => void this.flush(), this.delayMs);
      this.timer.unref?.();
    }
  }

  private async flushThreads(batch: Array<[string, Set<string> | null]>): Promise<void> {
    await Promise.all(
      batch.map(async ([threadId, users]) => {
        try {
          const states = await this.store.threadReadStates(threadId, users === null ? undefined : [...users]);
          for (const { userId, conversationId, unreadCount, lastReadSeq } of states) {
            if (this.registry.socketCount(userId) === 0) continue;
            this.send(userId, JSON.stringify({ type: 'thread_unread_changed', data: { conversationId, threadId, unreadCount, lastReadSeq } }));
          }
        } catch (error) {
          this.logger.warn('could not push thread unread counts', { threadId, error: String(error) });
        }
      }),
    );
  }

  private async members(conversationId: string): Promise<string[]> {
    return this.membership.peek(conversationId) ?? (await this.membership.memberIds(conversationId).catch(() => []));
  }

  /** Reads these users' counts again from the store and pushes them in this conversation soon (after a catch-up, say). */
  recount(conversationId: string, userIds: string[]): void {
    for (const id of userIds) this.tally.forget(id);
    this.touch(conversationId, userIds);
  }

  /** Pushes the current counts of these users in this conversation soon. */
  private touch(conversationId: string, userIds: string[]): void {
    if (this.closed) return;
    const here = userIds.filter((id) => this.registry.socketCount(id) > 0);
    if (here.length === 0) return;
    let users = this.pending.get(conversationId);
    if (users === undefined) {
      users = new Set();
      this.pending.set(conversationId, users);
    }
    for (const id of here) users.add(id);
    this.schedule();
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batch = [...this.pending];
    this.pending.clear();
    const threads = [...this.pendingThreads];
    this.pendingThreads.clear();
    if (threads.length > 0) void this.flushThreads(threads);
    if (Date.now() - this.lastSweep > SWEEP_MS) {
      this.lastSweep = Date.now();
      this.tally.retain((userId) => this.registry.socketCount(userId) > 0);
    }
    await Promise.all(
      batch.flatMap(([conversationId, users]) =>
        [...users].map(async (userId) => {
          try {
            // No longer a member (removed, left, or the group ended): zeros, and their total.
            const { unreadCount, firstUnreadSeq, totalUnread, mentionCount } = await this.tally.counts(userId, conversationId);
            if (this.registry.socketCount(userId) === 0) return;
            this.send(userId, JSON.stringify({ type: 'unread_changed', data: { conversationId, unreadCount, firstUnreadSeq, totalUnread, mentionCount } }));
          } catch (error) {
            this.logger.warn('could not push unread counts', { conversationId, userId, error: String(error) });
          }
        }),
      ),
    );
  }
}
