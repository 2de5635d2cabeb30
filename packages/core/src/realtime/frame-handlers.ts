import type { z } from 'zod';
import type { ChatServices } from '../create-chat-services.js';
import { ChatError, type ChatErrorDetails, type FieldIssue } from '../domain/errors.js';
import type { BanInput, CreateUploadInput, ReportInput, ResolveAction, SendMessageInput, SilenceInput } from '../domain/schemas.js';
import type { RateLimitRule } from '../adapters/rate-limiter.js';
import type { ActionContext } from '../services/chat-events.js';
import type { ClientEvent, clientEventSchemas } from './protocol.js';
import type { SocketRegistry } from './socket-registry.js';
import type { TypingTracker } from './typing-tracker.js';
import { compactMessage, messageAck } from './wire/message-form.js';

/** What a handler may use: the services, this node's sockets and the acting connection. */
export interface HandlerContext {
  services: ChatServices;
  registry: SocketRegistry;
  typing: TypingTracker;
  typingRule: RateLimitRule;
  /** Conversations one `sync` may name. */
  maxSyncConversations: number;
  /** Takes a fresh token for this connection (same user); answers its expiry. */
  reauthenticate(token: string): Promise<{ expiresAt: string | null }>;
  /** Pushes the user's current `unread_changed` for a conversation, and `thread_unread_changed` for the threads they follow there, to their sockets, soon. */
  refreshUnread(conversationId: string): void;
  /** Sends a room event to every node (each delivers to its own sockets in the room). */
  toRoom(conversationId: string, event: string, data: unknown, exceptSocketId?: string): void;
  userId: string;
  socketId: string;
  origin: ActionContext;
}

/** The service calls the send's id `clientMessageId`; a frame that sent it as `tempId` hears its own name. */
function asTempIdError(error: unknown): unknown {
  if (!ChatError.is(error, 'VALIDATION_FAILED') || error.details === undefined) return error;
  const rename = (field: unknown) => (field === 'clientMessageId' ? 'tempId' : field);
  const details = { ...error.details, field: rename(error.details.field) } as ChatErrorDetails;
  if (Array.isArray(error.details.issues)) details.issues = (error.details.issues as FieldIssue[]).map((i) => ({ ...i, field: rename(i.field) as string }));
  return new ChatError(error.code, error.message.replaceAll('clientMessageId:', 'tempId:'), details, { cause: error });
}

type Data<E extends ClientEvent> = z.output<(typeof clientEventSchemas)[E]>;
type Handlers = { [E in ClientEvent]: (ctx: HandlerContext, data: Data<E>) => Promise<unknown> };

/**
 * One handler per client event of SPEC §5. Each returns the `data` of its success reply;
 * broadcasts of message events come from the services' events, so that REST calls raise
 * exactly the same ones.
 */
export const frameHandlers: Handlers = {
  async join_conversation(ctx, { conversationId }) {
    await ctx.services.conversations.joinRoom(conversationId, ctx.userId);
    ctx.registry.join(ctx.socketId, conversationId);
    ctx.toRoom(conversationId, 'user_joined_conversation', { conversationId, userId: ctx.userId }, ctx.socketId);
    const [typingUserIds, onlineUserIds] = await Promise.all([
      ctx.services.presence.getTyping(conversationId).catch(() => []),
      ctx.services.membership.memberIds(conversationId).then((ids) => ctx.services.presence.filterOnline(ids)).catch(() => []),
    ]);
    return { conversationId, typingUserIds, onlineUserIds };
  },

  async leave_conversation(ctx, { conversationId }) {
    if (ctx.registry.leave(ctx.socketId, conversationId)) {
      ctx.toRoom(conversationId, 'user_left_conversation', { conversationId, userId: ctx.userId });
    }
    return { conversationId };
  },

  // `data` is checked once, by the message service's schema (see RealtimeHub.eventData).
  async send_message(ctx, { tempId, ...input }) {
    const named = (input as { clientMessageId?: string }).clientMessageId;
    const clientMessageId = named ?? tempId;
    let message;
    try {
      message = await ctx.services.messages.sendMessage(
        ctx.userId,
        { ...(input as SendMessageInput), ...(clientMessageId === undefined ? {} : { clientMessageId }) },
        ctx.origin,
      );
    } catch (error) {
      throw named === undefined && tempId !== undefined ? asTempIdError(error) : error;
    }
    const sent = input as SendMessageInput;
    // The sender has the rest: the ack carries what the server decided and what differs from the send.
    const ack = messageAck(message, { ...sent, senderId: ctx.userId, clientMessageId: clientMessageId ?? null });
    const replyTempId = tempId ?? clientMessageId;
    const reply = replyTempId === undefined ? { message: ack } : { message: ack, tempId: replyTempId };
    // A thread reply's sender learns the root's summary as the other members do from new_message.
    if ((message.threadId ?? null) === null) return reply;
    const root = await ctx.services.store.getMessage(message.threadId!);
    return root?.thread == null ? reply : { ...reply, thread: root.thread };
  },

  async edit_message(ctx, { messageId, content }) {
    return { message: compactMessage(await ctx.services.messages.editMessage(messageId, ctx.userId, content, ctx.origin)) };
  },

  async delete_message(ctx, { messageId, forEveryone }) {
    return ctx.services.messages.deleteMessage(messageId, ctx.userId, forEveryone, ctx.origin);
  },

  async typing_start(ctx, { conversationId }) {
    await ctx.services.membership.require(conversationId, ctx.userId);
    await ctx.services.rateLimits.consume(`typing:${ctx.userId}`, ctx.typingRule, 'typing events');
    await ctx.typing.start(conversationId, ctx.userId, ctx.socketId);
    return { conversationId };
  },

  async typing_stop(ctx, { conversationId }) {
    await ctx.services.membership.require(conversationId, ctx.userId);
    await ctx.typing.stop(conversationId, ctx.userId);
    return { conversationId };
  },

  async mark_as_read(ctx, { conversationId, messageId }) {
    return ctx.services.messages.markAsRead(conversationId, ctx.userId, messageId, ctx.origin);
  },

  async mark_unread(ctx, { conversationId, messageId }) {
    return ctx.services.messages.markAsUnread(conversationId, ctx.userId, messageId, ctx.origin);
  },

  async get_thread(ctx, { threadId, ...options }) {
    return ctx.services.threads.getThreadMessages(threadId, ctx.userId, options);
  },

  async mark_thread_read(ctx, { threadId, messageId }) {
    return ctx.services.threads.markThreadRead(threadId, ctx.userId, messageId, ctx.origin);
  },

  async get_thread_unread(ctx, { conversationId }) {
    return { conversationId, threads: await ctx.services.threads.getThreadReadStates(conversationId, ctx.userId) };
  },

  async react_to_message(ctx, { messageId, emoji }) {
    return ctx.services.messages.reactToMessage(messageId, ctx.userId, emoji, ctx.origin);
  },

  async remove_reaction(ctx, { messageId, emoji }) {
    return ctx.services.messages.removeReaction(messageId, ctx.userId, emoji, ctx.origin);
  },

  /**
   * Catch-up for each conversation, from `seq` or `{ seq, version }`; one that fails (no
   * longer a member) reports its error. Each caught-up conversation's unread count follows as
   * `unread_changed`: counts that moved while the client was away are set right too.
   */
  async sync(ctx, { since }) {
    if (Object.keys(since).length > ctx.maxSyncConversations) {
      throw ChatError.validation('since', `at most ${ctx.maxSyncConversations} conversations per sync; ask for the rest in another`);
    }
    const conversations: Record<string, unknown> = {};
    const errors: Record<string, unknown> = {};
    await Promise.all(
      Object.entries(since).map(async ([conversationId, cursor]) => {
        try {
          const { conversationId: _id, ...result } = await ctx.services.messages.getChangesSince(conversationId, ctx.userId, cursor);
          conversations[conversationId] = { ...result, messages: result.messages.map(compactMessage), changes: result.changes.map(compactMessage) };
          ctx.refreshUnread(conversationId);
        } catch (error) {
          if (!(error instanceof ChatError) || error.code === 'UNAVAILABLE') throw error;
          errors[conversationId] = error.toJSON();
        }
      }),
    );
    return Object.keys(errors).length === 0 ? { conversations } : { conversations, errors };
  },

  /**
   * Who of `userIds` is online now — among the people the caller shares a conversation with
   * (and the caller): a snapshot for a client that (re)connects, since `user_online` and
   * `user_offline` only tell changes. Presence down: nobody is reported online.
   */
  async get_presence(ctx, { userIds }) {
    const contacts = new Set(await ctx.services.store.listContacts(ctx.userId));
    contacts.add(ctx.userId);
    const asked = [...new Set(userIds)].filter((id) => contacts.has(id));
    const online = asked.length === 0 ? [] : await ctx.services.presence.filterOnline(asked).catch(() => []);
    return { online };
  },

  async create_upload(ctx, input) {
    return ctx.services.attachments.createUpload(ctx.userId, input as CreateUploadInput);
  },

  async complete_upload(ctx, { attachmentId }) {
    return { attachment: await ctx.services.attachments.completeUpload(ctx.userId, attachmentId) };
  },

  async get_attachment(ctx, { attachmentId }) {
    return ctx.services.attachments.getDownload(ctx.userId, attachmentId);
  },

  async pin_message(ctx, { messageId, expiresAt }) {
    return { pin: await ctx.services.pins.pinMessage(messageId, ctx.userId, expiresAt === undefined ? {} : { expiresAt }, ctx.origin) };
  },

  async unpin_message(ctx, { messageId }) {
    return ctx.services.pins.unpinMessage(messageId, ctx.userId, ctx.origin);
  },

  async list_pins(ctx, { conversationId }) {
    return { conversationId, pins: await ctx.services.pins.listPins(conversationId, ctx.userId) };
  },

  async get_message_history(ctx, { messageId, offset, limit }) {
    return ctx.services.messages.getMessageHistory(messageId, ctx.userId, { offset: offset as number | undefined, limit: limit as number | undefined });
  },

  async ban_member(ctx, { conversationId, ...input }) {
    return ctx.services.moderation.ban(conversationId, ctx.userId, input as BanInput, ctx.origin);
  },

  async unban_member(ctx, { conversationId, userId }) {
    await ctx.services.moderation.unban(conversationId, ctx.userId, userId, ctx.origin);
    return { conversationId, userId };
  },

  async list_bans(ctx, { conversationId }) {
    return { items: await ctx.services.moderation.listBans(conversationId, ctx.userId) };
  },

  async silence_member(ctx, { conversationId, ...input }) {
    return { member: await ctx.services.moderation.silenceMember(conversationId, ctx.userId, input as SilenceInput, ctx.origin) };
  },

  async unsilence_member(ctx, { conversationId, userId }) {
    return { member: await ctx.services.moderation.unsilenceMember(conversationId, ctx.userId, userId, ctx.origin) };
  },

  async set_slow_mode(ctx, { conversationId, seconds }) {
    return ctx.services.moderation.setSlowMode(conversationId, ctx.userId, seconds as number, ctx.origin);
  },

  async block_user(ctx, { userId }) {
    return ctx.services.moderation.blockUser(ctx.userId, userId);
  },

  async unblock_user(ctx, { userId }) {
    return ctx.services.moderation.unblockUser(ctx.userId, userId);
  },

  async list_blocked(ctx) {
    return { userIds: await ctx.services.moderation.listBlockedUsers(ctx.userId) };
  },

  async report_message(ctx, { messageId, ...input }) {
    return { report: await ctx.services.moderation.reportMessage(messageId, ctx.userId, input as ReportInput, ctx.origin) };
  },

  async list_reports(ctx, { conversationId, ...options }) {
    return ctx.services.moderation.listReports(conversationId, ctx.userId, options as Parameters<ChatServices['moderation']['listReports']>[2]);
  },

  async resolve_report(ctx, { reportId, action }) {
    return { reports: await ctx.services.moderation.resolveReport(reportId, ctx.userId, action as ResolveAction, ctx.origin) };
  },

  async get_audit_log(ctx, { conversationId, ...options }) {
    return ctx.services.moderation.auditLog(conversationId, ctx.userId, options as Parameters<ChatServices['moderation']['auditLog']>[2]);
  },

  async authenticate(ctx, { token }) {
    return ctx.reauthenticate(token);
  },

  async ping() {
    return { serverTime: new Date().toISOString() };
  },
};
