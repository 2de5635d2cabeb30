import { ChatError } from '../domain/errors.js';
import type { MessagePageOptions } from '../domain/schemas.js';
import type { Message, MessagePage, ThreadReadState } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import type { ActionContext } from './chat-events.js';
import { nowIso, type ServiceContext } from './service-context.js';

/** One page of a thread: its root (as the caller sees it) and replies ascending by seq. */
export interface ThreadPage extends MessagePage {
  root: Message;
}

/** How many followed threads one read of a conversation's thread states answers at most. */
const MAX_THREAD_STATES = 100;

/**
 * Threads (issue 14): a reply names its root with `threadId` and stays out of the timeline
 * unless also sent to the conversation. Sending is `MessageService.sendMessage`; this service
 * reads threads a page at a time and keeps each follower's read position in them.
 */
export class ThreadService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * A page of the thread's replies, cursors (`before`, `after`, `around`) being seqs as in
   * the conversation. `after` is also the thread's catch-up: replies after the last one held.
   */
  async getThreadMessages(threadId: string, userId: string, options: MessagePageOptions = {}): Promise<ThreadPage> {
    const { root, actor } = await this.requireRoot(threadId, userId);
    const range = validate(this.ctx.schemas.messagePage, options, 'options');
    const page = await this.ctx.store.listThreadMessages(root.id, actor, range);
    return { root, ...page };
  }

  /**
   * Moves the caller's read position in the thread forward (never back) to `messageId` (a
   * reply of the thread), or to its last reply; the caller follows the thread from then on.
   * Answers the thread's unread count after the move.
   */
  async markThreadRead(threadId: string, userId: string, messageId?: string, origin: ActionContext = {}): Promise<{ threadId: string; conversationId: string; markedCount: number; lastReadSeq: number; unreadCount: number }> {
    const { root, actor } = await this.requireRoot(threadId, userId);
    let upTo: number | null = null;
    if (messageId !== undefined && messageId !== null) {
      const id = validate(this.ctx.schemas.id, messageId, 'messageId');
      const reply = await this.ctx.store.getMessage(id);
      if (reply === null || reply.threadId !== root.id) throw ChatError.notFound('Reply of this thread', 'messageId');
      upTo = reply.seq;
    }
    const move = await this.ctx.store.markThreadRead(root.id, actor, upTo, nowIso(this.ctx));
    const [state] = await this.ctx.store.threadReadStates(root.id, [actor]);
    if (move.lastReadSeq > move.previousReadSeq) {
      this.ctx.events.emit('thread_read', {
        conversationId: root.conversationId,
        threadId: root.id,
        userId: actor,
        lastReadSeq: move.lastReadSeq,
        markedCount: move.markedCount,
        audience: [actor],
        origin,
      });
    }
    return { threadId: root.id, conversationId: root.conversationId, markedCount: move.markedCount, lastReadSeq: move.lastReadSeq, unreadCount: state?.unreadCount ?? 0 };
  }

  /** The threads of a conversation the caller follows, with unread counts, the latest reply first (at most 100). */
  async getThreadReadStates(conversationId: string, userId: string): Promise<ThreadReadState[]> {
    const id = validate(this.ctx.schemas.id, conversationId, 'conversationId');
    const actor = validate(this.ctx.schemas.id, userId, 'userId');
    if ((await this.ctx.store.getMember(id, actor)) === null) throw ChatError.notFound('Conversation', 'conversationId');
    return this.ctx.store.listThreadReadStates(actor, id, MAX_THREAD_STATES);
  }

  /** The root as the caller sees it, in a conversation they are in, else NOT_FOUND; a reply is not a root. */
  private async requireRoot(threadId: string, userId: string): Promise<{ root: Message; actor: string }> {
    const id = validate(this.ctx.schemas.id, threadId, 'threadId');
    const actor = validate(this.ctx.schemas.id, userId, 'userId');
    const root = await this.ctx.store.getMessage(id, actor);
    const member = root === null ? null : await this.ctx.store.getMember(root.conversationId, actor);
    if (root === null || member === null) throw ChatError.notFound('Thread', 'threadId');
    if ((root.threadId ?? null) !== null) throw ChatError.validation('threadId', 'names a reply, not a thread root');
    return { root, actor };
  }
}
