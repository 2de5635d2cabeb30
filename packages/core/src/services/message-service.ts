import type { ChangeCursor } from '../adapters/chat-store.js';
import type { MessageHistory } from '../domain/edit-history.js';
import { ChatError } from '../domain/errors.js';
import type { HistoryPageOptions, MessagePageOptions, ParsedSendMessage, SearchOptions, SendMessageInput } from '../domain/schemas.js';
import type { SendDraft } from '../extensions/hooks.js';
import type { AttachmentService } from '../attachments/attachment-service.js';
import type {
  Attachment,
  ChangesSince,
  Conversation,
  MemberRole,
  Message,
  MessagePage,
  MessageStats,
  ReactionStats,
  ReactionSummary,
  ReadReceiptStats,
  SearchResult,
} from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { newId } from '../util/ids.js';
import { searchTerms } from '../util/text.js';
import type { ActionContext } from './chat-events.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { removeReactionDecision, toggleReactionDecision } from './conversation-rules.js';
import { MUTED_FOREVER } from '../domain/limits.js';
import { postSystemMessage } from './system-messages.js';
import { checkMentions } from './mentions.js';

export interface ReactionResult {
  action: 'added' | 'removed';
  emoji: string;
  messageId: string;
  conversationId: string;
  reactions: ReactionSummary[];
}

/** Where a catch-up starts: the seq of the last message held and, optionally, the change cursor (`version`) of the last catch-up. */
export interface ChangeCursorInput {
  seq: number;
  version?: number;
}

type SearchCursor = { o: number };
const isSearchCursor = (v: unknown): v is SearchCursor =>
  typeof v === 'object' && v !== null && Number.isInteger((v as SearchCursor).o) && (v as SearchCursor).o >= 0;

/**
 * Messages, reactions, read state, search and catch-up (SPEC §3, seed §I.3). `sendMessage` is
 * the hot path: membership comes from the in-memory cache, and seq, idempotency and the
 * conversation's last message are settled by the one batched insert.
 */
export class MessageService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly uploads: AttachmentService,
  ) {}

  /** A page of messages, ascending by seq; cursors (`before`, `after`, `around`) are seqs. */
  async getConversationMessages(conversationId: string, userId: string, options: MessagePageOptions = {}): Promise<MessagePage> {
    const { id, actor } = await this.requireMember(conversationId, userId);
    const range = validate(this.ctx.schemas.messagePage, options, 'options');
    return this.ctx.store.listMessages(id, actor, range);
  }

  /**
   * Stores and announces a message. Sending again with the same `clientMessageId` returns
   * the stored message and creates nothing. Membership is checked by the insert itself, so
   * a member removed a moment ago, through any process, cannot send.
   */
  async sendMessage(userId: string, input: SendMessageInput, origin: ActionContext = {}): Promise<Message> {
    const actor = this.userId(userId);
    let data = validate(this.ctx.schemas.sendMessage, input, 'input');
    const role = await this.ctx.membership.require(data.conversationId, actor);
    if (data.replyToId !== undefined) await this.requireReplyTarget(data.conversationId, data.replyToId);
    if (data.threadId !== undefined) await this.requireThreadRoot(data.conversationId, actor, data.threadId);
    // A client resending after a reconnect must get its stored message back, not a refusal —
    // even though its uploads are claimed by that message now.
    const storedAlready = async (error: unknown) => {
      const stored = data.clientMessageId === undefined ? null : await this.ctx.store.getMessageByClientId(data.conversationId, actor, data.clientMessageId);
      if (stored === null) throw error;
      return stored;
    };
    try {
      await this.ctx.rateLimits.consume(`messages:${actor}`, this.ctx.limits.messageRate, 'messages');
      await this.checkConversationRules(data.conversationId, actor, role);
    } catch (error) {
      return storedAlready(error);
    }
    if (this.ctx.hooks.beforeSend.length > 0) {
      try {
        data = await this.checkedByHooks(actor, role, data);
      } catch (error) {
        return storedAlready(error);
      }
    }
    let mentioned: { mentions: string[]; mentionEveryone: boolean } = { mentions: [], mentionEveryone: false };
    if (data.mentions.length > 0 || data.mentionEveryone === true) {
      try {
        const facts = await this.ctx.membership.facts(data.conversationId);
        const memberIds = await this.ctx.membership.memberIds(data.conversationId);
        mentioned = checkMentions(data, memberIds, { type: facts?.type ?? 'group', role }, this.ctx.capabilities);
      } catch (error) {
        // A resend of a stored message whose mentioned member left since gets it back.
        return storedAlready(error);
      }
    }
    let uploaded: Attachment[] = [];
    if (data.attachmentIds.length > 0) {
      try {
        uploaded = await this.uploads.forSend(actor, data.conversationId, data.attachmentIds);
      } catch (error) {
        return storedAlready(error);
      }
    }
    const stored = this.ctx.batcher.insert({
      id: newId(),
      conversationId: data.conversationId,
      senderId: actor,
      type: data.type,
      content: data.content ?? null,
      replyToId: data.replyToId ?? null,
      attachments: uploaded.length === 0 ? data.attachments : [...data.attachments, ...uploaded],
      metadata: data.metadata ?? null,
      clientMessageId: data.clientMessageId ?? null,
      createdAt: nowIso(this.ctx),
      notify: this.ctx.notifications,
      threadId: data.threadId ?? null,
      alsoToConversation: data.threadId !== undefined && data.alsoToConversation === true,
      ...mentioned,
      webhooks: this.ctx.webhooks.message('message.sent'),
    });
    // Its place in the conversation is fixed now: the connection may go on with its next frame.
    origin.onQueued?.();
    const result = await stored;
    if (result.status === 'refused') {
      if (result.reason === 'attachment') {
        throw new ChatError('CONFLICT', 'An attachment of this message was just used by another message, or deleted', { field: 'attachmentIds' });
      }
      // This node's cache still counted the sender in, or a moderator muted them: the store knows better.
      this.ctx.membership.invalidate(data.conversationId);
      const member = await this.ctx.store.getMember(data.conversationId, actor);
      if (member !== null && member.silencedUntil !== null) throw silenced(member.silencedUntil);
      throw ChatError.notFound('Conversation', 'conversationId');
    }
    if (result.status === 'created') {
      this.ctx.events.emit('message_created', {
        message: result.message,
        ...(result.thread === undefined ? {} : { thread: result.thread }),
        clientMessageId: result.message.clientMessageId,
        audience: await this.ctx.membership.memberIds(result.message.conversationId),
        origin,
      });
      if (this.ctx.notifications) this.ctx.onNotificationQueued();
    }
    return result.message;
  }

  /**
   * What the conversation itself allows, from facts cached with its members: the `send`
   * capability, no block between the two people of a direct conversation, and slow mode
   * (moderators exempt). A moderator's mute is checked by the insert itself.
   */
  private async checkConversationRules(conversationId: string, actor: string, role: MemberRole): Promise<void> {
    const facts = await this.ctx.membership.facts(conversationId);
    if (facts === null) return;
    const caps = this.ctx.capabilities;
    if (!caps.everyoneSends) caps.require(facts.type, role, 'send', 'You cannot send messages in this conversation');
    if (facts.blocked) throw ChatError.forbidden('Messages cannot be sent here while one of you blocks the other');
    if (facts.slowModeSeconds > 0 && !caps.has(facts.type, role, 'moderate')) {
      try {
        await this.ctx.rateLimits.consume(`slow:${conversationId}:${actor}`, { limit: 1, windowMs: facts.slowModeSeconds * 1000 }, 'messages');
      } catch (error) {
        if (!ChatError.is(error, 'RATE_LIMITED')) throw error;
        throw new ChatError('RATE_LIMITED', `Slow mode is on: one message every ${facts.slowModeSeconds} s`, { ...error.details, slowModeSeconds: facts.slowModeSeconds });
      }
    }
  }

  /** The send as the host's `beforeSend` hooks leave it, validated again. */
  private async checkedByHooks(actor: string, role: MemberRole, data: ParsedSendMessage): Promise<ParsedSendMessage> {
    const { conversationId } = data;
    const conversation = this.lazyConversation(conversationId);
    const draft: SendDraft = { type: data.type, content: data.content, replyToId: data.replyToId, attachments: data.attachments, metadata: data.metadata };
    const final = await this.ctx.hooks.run('beforeSend', this.ctx.hooks.beforeSend, draft, (current) => ({
      userId: actor,
      conversationId,
      conversation,
      role,
      draft: current,
    }));
    if (final === draft) return data;
    const checked = validate(this.ctx.schemas.sendMessage, { ...data, ...final, conversationId }, 'input');
    if (checked.replyToId !== data.replyToId && checked.replyToId !== undefined) await this.requireReplyTarget(conversationId, checked.replyToId);
    return checked;
  }

  /** The conversation, read once and only if asked for. */
  private lazyConversation(conversationId: string): () => Promise<Conversation> {
    let read: Promise<Conversation> | null = null;
    return () =>
      (read ??= this.ctx.store.getConversation(conversationId).then((c) => {
        if (c === null) throw ChatError.notFound('Conversation', 'conversationId');
        return c;
      }));
  }

  /**
   * A thread's root: a message of the same conversation that the sender can see, and not a
   * reply itself (threads do not nest).
   */
  private async requireThreadRoot(conversationId: string, actor: string, threadId: string): Promise<void> {
    const root = await this.ctx.store.getMessage(threadId, actor);
    if (root === null || root.conversationId !== conversationId) throw ChatError.validation('threadId', 'must name a message of the same conversation');
    if ((root.threadId ?? null) !== null) throw ChatError.validation('threadId', 'must name a thread root: threads do not nest, reply to the root');
    if (root.type === 'system') throw ChatError.validation('threadId', 'must not name a system message');
  }

  private async requireReplyTarget(conversationId: string, replyToId: string): Promise<void> {
    const target = await this.ctx.store.getMessage(replyToId);
    if (target === null || target.conversationId !== conversationId) {
      throw ChatError.validation('replyToId', 'must name a message of the same conversation');
    }
  }

  /**
   * Posts a `system` message from the host ("Maintenance at 10:00"), announced like any other.
   * `fromUserId` names who it is on behalf of; without it the sender is `system`.
   */
  async sendSystemMessage(conversationId: string, content: string, fromUserId?: string, origin: ActionContext = {}): Promise<Message> {
    const id = validate(this.ctx.schemas.id, conversationId, 'conversationId');
    const text = validate(this.ctx.schemas.content, content, 'content');
    const sender = fromUserId === undefined ? 'system' : this.userId(fromUserId);
    const message = await postSystemMessage(this.ctx, id, sender, text, { event: 'announcement' }, origin);
    if (message === null) throw ChatError.notFound('Conversation', 'conversationId');
    return message;
  }

  /** Author only; not a deleted or system message. Sets `editedAt`. */
  async editMessage(messageId: string, userId: string, content: string, origin: ActionContext = {}): Promise<Message> {
    const text = validate(this.ctx.schemas.content, content, 'content');
    const { message, actor, member, type } = await this.requireMessage(messageId, userId);
    if (message.senderId !== actor || message.type === 'system') throw ChatError.forbidden('Only the author can edit a message');
    this.ctx.capabilities.require(type, member.role, 'editOwn', 'You cannot edit messages in this conversation');
    if (member.silencedUntil !== null && member.silencedUntil > nowIso(this.ctx)) throw silenced(member.silencedUntil);
    if (message.deletedForEveryone) throw new ChatError('CONFLICT', 'A deleted message cannot be edited', { field: 'messageId' });
    let final = text;
    if (this.ctx.hooks.beforeEdit.length > 0) {
      const conversation = this.lazyConversation(message.conversationId);
      const rewritten = await this.ctx.hooks.run('beforeEdit', this.ctx.hooks.beforeEdit, text, (content) => ({
        userId: actor,
        conversationId: message.conversationId,
        conversation,
        message,
        content,
      }));
      final = validate(this.ctx.schemas.content, rewritten, 'content');
    }
    const updated = await this.ctx.store.updateMessageContent(message.id, final, nowIso(this.ctx), this.ctx.webhooks.message('message.edited'));
    if (updated === null) throw new ChatError('CONFLICT', 'A deleted message cannot be edited', { field: 'messageId' });
    this.ctx.events.emit('message_edited', { message: updated, audience: await this.ctx.membership.memberIds(updated.conversationId), origin });
    return updated;
  }

  /**
   * For everyone (the author, or an admin or the owner of a group): clears the message for
   * all. Otherwise: hides it for the caller only.
   */
  async deleteMessage(messageId: string, userId: string, forEveryone = false, origin: ActionContext = {}): Promise<{ messageId: string; conversationId: string; forEveryone: boolean }> {
    const everyone = validate(this.ctx.schemas.forEveryone, forEveryone, 'forEveryone');
    const { message, actor, role, type } = await this.requireMessage(messageId, userId);
    const conversationId = message.conversationId;
    if (everyone) {
      const own = message.senderId === actor;
      if (!this.ctx.capabilities.has(type, role, own ? 'deleteOwn' : 'deleteOthers')) {
        throw ChatError.forbidden(own ? 'You cannot delete messages in this conversation' : 'Only the author, or an admin of the group, can delete a message for everyone');
      }
      if (!message.deletedForEveryone) {
        const deleted = await this.ctx.store.deleteMessageForEveryone(message.id, nowIso(this.ctx), this.ctx.webhooks.messageDeleted(actor));
        // Deleting someone else's message is a moderation action: it goes in the audit log.
        if (!own) {
          await this.ctx.store.appendAudit([
            { id: newId(), conversationId, actorId: actor, action: 'message_deleted', targetUserId: message.senderId, messageId: message.id, data: null, createdAt: nowIso(this.ctx) },
          ]);
        }
        // Its uploaded files are the purge's now: delete them soon rather than at the next pass.
        if (message.attachments.some((a) => a.id !== undefined)) this.ctx.onFilesReleased();
        this.ctx.events.emit('message_deleted', {
          conversationId,
          messageId: message.id,
          forEveryone: true,
          deletedBy: actor,
          version: deleted?.version ?? null,
          ...((message.threadId ?? null) === null ? {} : { threadId: message.threadId! }),
          audience: await this.ctx.membership.memberIds(conversationId),
          origin,
        });
      }
    } else {
      const hidden = await this.ctx.store.hideMessageForUser(message.id, actor);
      this.ctx.events.emit('message_deleted', {
        conversationId,
        messageId: message.id,
        forEveryone: false,
        deletedBy: actor,
        version: hidden?.version ?? null,
        ...((message.threadId ?? null) === null ? {} : { threadId: message.threadId! }),
        audience: [actor],
        origin,
      });
    }
    return { messageId: message.id, conversationId, forEveryone: everyone };
  }

  async getMessageById(messageId: string, userId: string): Promise<Message> {
    return (await this.requireMessage(messageId, userId)).message;
  }

  /**
   * Every earlier text of a message, oldest first, a page at a time (`offset`, `limit` ≤
   * maxPageSize), with the current one (members only). A delete for everyone clears the
   * history with the content.
   */
  async getMessageHistory(messageId: string, userId: string, options: HistoryPageOptions = {}): Promise<MessageHistory> {
    const page = validate(this.ctx.schemas.historyPage, options ?? {}, 'options');
    const { message } = await this.requireMessage(messageId, userId);
    // One more than asked tells whether more follow.
    const versions = message.deletedForEveryone ? [] : await this.ctx.store.listMessageHistory(message.id, page.offset, page.limit + 1);
    return {
      messageId: message.id,
      conversationId: message.conversationId,
      content: message.content,
      editedAt: message.editedAt,
      versions: versions.slice(0, page.limit),
      hasMore: versions.length > page.limit,
    };
  }

  /**
   * Moves the caller's read position forward (never back) to `messageId`, or to the latest
   * message. `markedCount` is how many unread messages that covered.
   */
  async markAsRead(conversationId: string, userId: string, messageId?: string, origin: ActionContext = {}): Promise<{ markedCount: number; lastReadSeq: number }> {
    const { id, actor } = await this.requireMember(conversationId, userId);
    let upTo: number | null = null;
    if (messageId !== undefined && messageId !== null) {
      const msgId = validate(this.ctx.schemas.id, messageId, 'messageId');
      const message = await this.ctx.store.getMessage(msgId);
      if (message === null || message.conversationId !== id) throw ChatError.notFound('Message', 'messageId');
      upTo = message.seq;
    }
    const { previousReadSeq, ...result } = await this.ctx.store.markRead(id, actor, upTo, nowIso(this.ctx));
    // Only the call that moved the position announces it: of two at once, one sees it move.
    if (result.lastReadSeq > previousReadSeq) {
      this.ctx.events.emit('messages_read', {
        conversationId: id,
        userId: actor,
        lastReadSeq: result.lastReadSeq,
        markedCount: result.markedCount,
        audience: await this.ctx.membership.memberIds(id),
        origin,
      });
    }
    return result;
  }

  /**
   * "Mark as unread from here": moves the caller's read position back to just before
   * `messageId`, so it and what follows count as unread again. Other members' read receipts
   * are not taken back; the caller's devices are told.
   */
  async markAsUnread(conversationId: string, userId: string, messageId: string, origin: ActionContext = {}): Promise<{ lastReadSeq: number }> {
    const { id, actor } = await this.requireMember(conversationId, userId);
    const msgId = validate(this.ctx.schemas.id, messageId, 'messageId');
    const message = await this.ctx.store.getMessage(msgId, actor);
    if (message === null || message.conversationId !== id) throw ChatError.notFound('Message', 'messageId');
    const { lastReadSeq, previousReadSeq } = await this.ctx.store.setReadPosition(id, actor, message.seq - 1, nowIso(this.ctx));
    if (lastReadSeq !== previousReadSeq) {
      this.ctx.events.emit('read_position_changed', { conversationId: id, userId: actor, lastReadSeq, audience: [actor], origin });
    }
    return { lastReadSeq };
  }

  /** Toggles the caller's reaction: adds it, or removes it when present (at most `maxDistinctReactions` different emoji). */
  async reactToMessage(messageId: string, userId: string, emoji: string, origin: ActionContext = {}): Promise<ReactionResult> {
    const symbol = validate(this.ctx.schemas.emoji, emoji, 'emoji');
    const { message, actor, role, type } = await this.requireMessage(messageId, userId);
    this.ctx.capabilities.require(type, role, 'react', 'You cannot react in this conversation');
    const change = await this.ctx.store.changeReaction(message.id, actor, symbol, nowIso(this.ctx), toggleReactionDecision(this.ctx.limits.maxDistinctReactions));
    if (change.message === null || change.action === 'unchanged') throw ChatError.notFound('Message', 'messageId');
    return this.reactionChanged(change.message, actor, symbol, change.action, origin);
  }

  /** Removes the caller's reaction; `action: 'removed'` whether or not it was there. */
  async removeReaction(messageId: string, userId: string, emoji: string, origin: ActionContext = {}): Promise<ReactionResult> {
    const symbol = validate(this.ctx.schemas.emoji, emoji, 'emoji');
    const { message, actor } = await this.requireMessage(messageId, userId);
    const change = await this.ctx.store.changeReaction(message.id, actor, symbol, nowIso(this.ctx), removeReactionDecision);
    if (change.message === null) throw ChatError.notFound('Message', 'messageId');
    if (change.action === 'removed') return this.reactionChanged(change.message, actor, symbol, 'removed', origin);
    return { action: 'removed', emoji: symbol, messageId: message.id, conversationId: message.conversationId, reactions: change.message.reactions };
  }

  /**
   * Full-text search over the caller's conversations only, ranked, with facets by
   * conversation, sender and type. Any text is safe: it is split into words, never passed
   * to a query language.
   */
  async searchMessages(userId: string, query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const actor = this.userId(userId);
    const opts = validate(this.ctx.schemas.search, { ...options, query }, 'options');
    const offset = opts.cursor === undefined ? 0 : decodeCursor(opts.cursor, 'cursor', isSearchCursor).o;
    const result = await this.ctx.store.searchMessages(actor, {
      terms: searchTerms(opts.query),
      text: opts.query,
      ...(opts.conversationId === undefined ? {} : { conversationId: opts.conversationId }),
      ...(opts.senderId === undefined ? {} : { senderId: opts.senderId }),
      ...(opts.type === undefined ? {} : { type: opts.type }),
      ...(opts.from === undefined ? {} : { from: new Date(opts.from).toISOString() }),
      ...(opts.to === undefined ? {} : { to: new Date(opts.to).toISOString() }),
      limit: opts.limit,
      offset,
    });
    const next = offset + result.items.length;
    return { ...result, nextCursor: next < result.total && result.items.length > 0 ? encodeCursor({ o: next }) : null };
  }

  async getMessageStats(conversationId: string, userId: string): Promise<MessageStats> {
    const { id } = await this.requireMember(conversationId, userId);
    return this.ctx.store.getMessageStats(id);
  }

  async getReactionStats(messageId: string, userId: string): Promise<ReactionStats> {
    const { message } = await this.requireMessage(messageId, userId);
    return { messageId: message.id, total: message.reactions.reduce((n, r) => n + r.count, 0), reactions: message.reactions };
  }

  /** Derived from members' read positions: a member has read a message when lastReadSeq ≥ its seq. */
  async getReadReceiptStats(messageId: string, userId: string): Promise<ReadReceiptStats> {
    const { message } = await this.requireMessage(messageId, userId);
    const others = (await this.ctx.store.listMembers(message.conversationId)).filter((m) => m.userId !== message.senderId);
    const readers = others.filter((m) => m.lastReadSeq >= message.seq).map((m) => ({ userId: m.userId, readAt: m.lastReadAt }));
    return {
      messageId: message.id,
      readCount: readers.length,
      memberCount: others.length,
      percentage: others.length === 0 ? 0 : Math.round((readers.length / others.length) * 1000) / 10,
      readers,
    };
  }

  /**
   * Catch-up after a disconnect, in two streams with their own cursors: new messages after
   * `since.seq`, and changes (edits, deletes, reactions, deletes for me) after
   * `since.version`. A bare number is both (the version is never below the seq). Ask again
   * while `hasMore` (from the last message's seq) or `hasMoreChanges` (from `version`).
   */
  async getChangesSince(conversationId: string, userId: string, since: number | ChangeCursorInput): Promise<ChangesSince> {
    const { id, actor } = await this.requireMember(conversationId, userId);
    let cursor: ChangeCursor;
    if (typeof since === 'object' && since !== null) {
      const seq = validate(this.ctx.schemas.seq, since.seq, 'since.seq');
      cursor = { seq, version: since.version === undefined ? seq : validate(this.ctx.schemas.seq, since.version, 'since.version') };
    } else {
      const seq = validate(this.ctx.schemas.seq, since, 'seq');
      cursor = { seq, version: seq };
    }
    return this.ctx.store.getChangesSince(id, actor, cursor, this.ctx.limits.maxPageSize);
  }

  private userId(userId: string): string {
    return validate(this.ctx.schemas.id, userId, 'userId');
  }

  /** The caller's membership, read from the store: a removal through any process counts at once. */
  private async requireMember(conversationId: string, userId: string) {
    const id = validate(this.ctx.schemas.id, conversationId, 'conversationId');
    const actor = this.userId(userId);
    const member = await this.ctx.store.getMember(id, actor);
    if (member === null) throw ChatError.notFound('Conversation', 'conversationId');
    return { id, actor, role: member.role };
  }

  /** The message as the caller sees it, in a conversation the caller is in, else NOT_FOUND; with the caller's member row and the conversation's type. */
  async requireMessage(messageId: string, userId: string) {
    const id = validate(this.ctx.schemas.id, messageId, 'messageId');
    const actor = this.userId(userId);
    const message = await this.ctx.store.getMessage(id, actor);
    const member = message === null ? null : await this.ctx.store.getMember(message.conversationId, actor);
    const facts = member === null ? null : await this.ctx.membership.facts(message!.conversationId);
    if (message === null || member === null || facts === null) throw ChatError.notFound('Message', 'messageId');
    return { message, actor, role: member.role, member, type: facts.type };
  }

  private async reactionChanged(message: Message, actor: string, emoji: string, action: 'added' | 'removed', origin: ActionContext): Promise<ReactionResult> {
    const result = { action, emoji, messageId: message.id, conversationId: message.conversationId, reactions: message.reactions };
    this.ctx.events.emit('reaction_updated', {
      ...result,
      version: message.version,
      userId: actor,
      audience: await this.ctx.membership.memberIds(message.conversationId),
      origin,
    });
    return result;
  }
}

/** A moderator muted the caller: FORBIDDEN with when it ends. */
function silenced(until: string): ChatError {
  const forever = until >= MUTED_FOREVER;
  return new ChatError('FORBIDDEN', forever ? 'A moderator muted you in this conversation' : `A moderator muted you in this conversation until ${until}`, { until });
}
