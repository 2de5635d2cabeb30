import * as z from 'zod/mini';
import { ERROR_CODES } from '../../domain/errors.js';
import {
  attachmentDownloadSchema,
  attachmentInfoSchema,
  banSchema,
  messageAckSchema,
  messageSchema,
  reactionSummarySchema,
  syncEntrySchema,
  threadPageSchema,
  threadReadResultSchema,
  threadReadStateSchema,
  threadSummarySchema,
  uploadSlotSchema,
} from './domain.js';
import { auditPageSchema, banListSchema, blockedUsersSchema, blockResultSchema, memberResultSchema, reportPageSchema, reportResultSchema, resolveResultSchema, slowModeResultSchema, unbanResultSchema } from './moderation.js';
import { deleteResultSchema } from './rest.js';
import { messageHistorySchema, pinListSchema, pinSchema, unpinResultSchema } from './pins.js';

/**
 * Every server → client frame's `data`, as `realtime-hub.ts`, `frame-handlers.ts`,
 * `service-event-routes.ts` and `unread-pushes.ts` build it. Replies (frames carrying
 * `replyTo`) and broadcasts share one map: a frame's `type` names its shape either way.
 */

const id = z.string();
const count = z.int();
const conversationUser = z.object({ conversationId: id, userId: id });
const errorCode = z.enum(ERROR_CODES);

/** `error` frames and `sync_result.errors` entries: a `ChatError` as JSON. */
export const errorPayloadSchema = z.object({
  code: errorCode,
  message: z.string(),
  details: z.optional(z.record(z.string(), z.unknown())),
});

/** Why the server asks a client to catch up (see `ResyncReason` in cluster-link.ts). */
export const RESYNC_REASONS = ['broker_unavailable', 'broker_gap', 'peer_publish_failed', 'slow_consumer'] as const;

const reactionResult = z.object({
  action: z.enum(['added', 'removed']),
  emoji: z.string(),
  messageId: id,
  conversationId: id,
  reactions: z.array(reactionSummarySchema),
});

/** The success reply of each client event (SUCCESS_REPLIES names them). */
export const replySchemas = {
  joined_conversation: z.object({ conversationId: id, typingUserIds: z.array(id), onlineUserIds: z.array(id) }),
  left_conversation: z.object({ conversationId: id }),
  /**
   * `message` holds only what the sender does not already have (see `messageAck`); `tempId` is
   * left out when the send had none; `thread`, for a thread reply, is its root's summary now.
   */
  message_sent: z.object({ message: messageAckSchema, tempId: z._default(z.nullable(id), null), thread: z.optional(threadSummarySchema) }),
  message_edit_success: z.object({ message: messageSchema }),
  message_delete_success: deleteResultSchema,
  ack: z.object({ conversationId: id }),
  mark_as_read_success: z.object({ markedCount: count, lastReadSeq: count }),
  mark_unread_success: z.object({ lastReadSeq: count }),
  thread_messages: threadPageSchema,
  mark_thread_read_success: threadReadResultSchema,
  thread_unread_result: z.object({ conversationId: id, threads: z.array(threadReadStateSchema) }),
  react_to_message_success: reactionResult,
  remove_reaction_success: reactionResult,
  sync_result: z.object({
    conversations: z.record(id, syncEntrySchema),
    errors: z.optional(z.record(id, errorPayloadSchema)),
  }),
  presence_result: z.object({ online: z.array(id) }),
  upload_created: uploadSlotSchema,
  upload_completed: z.object({ attachment: attachmentInfoSchema }),
  attachment_download: attachmentDownloadSchema,
  pin_message_success: z.object({ pin: pinSchema }),
  unpin_message_success: unpinResultSchema,
  pins_result: pinListSchema,
  message_history: messageHistorySchema,
  ban_member_success: banSchema,
  unban_member_success: unbanResultSchema,
  bans_result: banListSchema,
  silence_member_success: memberResultSchema,
  unsilence_member_success: memberResultSchema,
  set_slow_mode_success: slowModeResultSchema,
  block_user_success: blockResultSchema,
  unblock_user_success: blockResultSchema,
  blocked_result: blockedUsersSchema,
  report_message_success: reportResultSchema,
  reports_result: reportPageSchema,
  resolve_report_success: resolveResultSchema,
  audit_result: auditPageSchema,
  authenticated: z.object({ expiresAt: z.nullable(z.string()) }),
  pong: z.object({ serverTime: z.string() }),
} as const;

/** Frames the server sends on its own: session, broadcasts, room events, pushes. */
export const broadcastSchemas = {
  connected: z.object({ userId: id, socketId: id, serverTime: z.string(), expiresAt: z.nullable(z.string()) }),
  connection_error: z.object({ code: errorCode, message: z.string() }),
  error: errorPayloadSchema,
  resync: z.object({ reason: z.enum(RESYNC_REASONS) }),
  /** `thread`: on a thread reply, its root's summary after it (the root's id is `message.threadId`). */
  new_message: z.object({ message: messageSchema, thread: z.optional(threadSummarySchema) }),
  message_edited: z.object({ message: messageSchema }),
  message_deleted: z.object({
    conversationId: id,
    messageId: id,
    forEveryone: z.boolean(),
    deletedBy: id,
    /** Null on a delete for me that changed nothing. */
    version: z.nullable(count),
    /** Set when the message is a thread reply: the thread's unread counts may have moved. */
    threadId: z.optional(id),
  }),
  message_reaction_updated: z.object({
    conversationId: id,
    messageId: id,
    reactions: z.array(reactionSummarySchema),
    userId: id,
    emoji: z.string(),
    action: z.enum(['added', 'removed']),
    version: count,
  }),
  message_pinned: z.object({ conversationId: id, pin: pinSchema }),
  message_unpinned: z.object({ conversationId: id, messageId: id, unpinnedBy: id }),
  messages_read: z.object({ conversationId: id, userId: id, lastReadSeq: count, markedCount: count }),
  read_position_changed: z.object({ conversationId: id, userId: id, lastReadSeq: count }),
  unread_changed: z.object({
    conversationId: id,
    unreadCount: count,
    firstUnreadSeq: z.nullable(count),
    totalUnread: count,
    /** Unread messages mentioning the user or everyone. */
    mentionCount: z.optional(count),
  }),
  /** A thread's unread count for a follower, as an absolute value, to every socket of theirs. */
  thread_unread_changed: z.object({ conversationId: id, threadId: id, unreadCount: count, lastReadSeq: count }),
  /** `updateType` is one of ConversationUpdateType, or a host's own type sent with `hub.notifyConversationUpdate`. */
  conversation_updated: z.object({ conversationId: id, updateType: z.string(), data: z.record(z.string(), z.unknown()) }),
  user_online: z.object({ userId: id, online: z.boolean(), at: z.string() }),
  user_offline: z.object({ userId: id, online: z.boolean(), at: z.string() }),
  user_typing: conversationUser,
  user_stopped_typing: conversationUser,
  user_joined_conversation: conversationUser,
  user_left_conversation: conversationUser,
} as const;

/** Every server event Parley itself sends, by `type`. A host's `hub.notifyUser` events are not in it. */
export const serverEventSchemas = { ...replySchemas, ...broadcastSchemas } as const;

export type ServerEvent = keyof typeof serverEventSchemas;
export type ServerEventData = { [E in ServerEvent]: z.infer<(typeof serverEventSchemas)[E]> };
export type ReplyType = keyof typeof replySchemas;
export type BroadcastEvent = keyof typeof broadcastSchemas;
export type ErrorPayload = z.infer<typeof errorPayloadSchema>;
export type ResyncReasonName = (typeof RESYNC_REASONS)[number];
