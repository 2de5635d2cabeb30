import * as z from 'zod/mini';
import { CAPABILITIES, MESSAGE_TYPES } from '../../domain/types.js';
import { MESSAGE_DEFAULTS } from './message-form.js';

/**
 * The domain objects as they travel to clients (JSON, timestamps as ISO text). These parse what
 * the server sends, so they check shape, not input rules: the services validated the content
 * before storing it. Written with `zod/mini`, whose functions tree-shake: a browser client
 * bundles a few kilobytes of zod instead of all of it. `test/wire-schemas.test.ts` proves their inferred types and
 * `domain/types.ts` are assignable both ways, so the two cannot drift apart.
 */

const iso = z.string();
const nullableIso = z.nullable(iso);
const count = z.int();

/** A file on a message: the host's own (`url`) or uploaded through Parley (`id`). */
export const attachmentSchema = z.object({
  id: z.optional(z.string()),
  url: z.optional(z.string()),
  name: z.string(),
  mimeType: z.string(),
  size: z.number(),
});

/** An uploaded file's state, as its uploader sees it (`AttachmentInfo`). */
export const attachmentInfoSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  uploaderId: z.string(),
  name: z.string(),
  declaredType: z.string(),
  mimeType: z.nullable(z.string()),
  size: z.number(),
  status: z.enum(['pending', 'complete', 'purging']),
  messageId: z.nullable(z.string()),
  createdAt: iso,
  completedAt: nullableIso,
  expiresAt: iso,
});

/** Where and how to upload a file's bytes (`UploadSlot`). */
export const uploadSlotSchema = z.object({
  attachment: attachmentInfoSchema,
  upload: z.object({
    method: z.enum(['PUT', 'POST']),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    expiresAt: iso,
  }),
});

/** A signed, expiring link to a file (`AttachmentDownload`). */
export const attachmentDownloadSchema = z.object({
  attachmentId: z.string(),
  url: z.string(),
  expiresAt: iso,
  name: z.string(),
  mimeType: z.string(),
  size: z.number(),
  inline: z.boolean(),
});

export const reactionSummarySchema = z.object({
  emoji: z.string(),
  count,
  userIds: z.array(z.string()),
});

export const messageTypeSchema = z.enum(MESSAGE_TYPES);

/** What a thread's root carries. */
export const threadSummarySchema = z.object({
  replyCount: count,
  lastReplyAt: nullableIso,
  participantIds: z.array(z.string()),
});

/** A message's fields as `Message` has them, nothing defaulted: the base of the two wire forms below. */
const messageFields = {
  id: z.string(),
  conversationId: z.string(),
  seq: count,
  senderId: z.string(),
  type: messageTypeSchema,
  content: z.nullable(z.string()),
  replyToId: z.nullable(z.string()),
  attachments: z.array(attachmentSchema),
  metadata: z.nullable(z.record(z.string(), z.unknown())),
  clientMessageId: z.nullable(z.string()),
  createdAt: iso,
  editedAt: nullableIso,
  deletedAt: nullableIso,
  deletedForEveryone: z.boolean(),
  reactions: z.array(reactionSummarySchema),
  version: count,
  /** A thread reply: its root's id (null or absent otherwise). */
  threadId: z.optional(z.nullable(z.string())),
  alsoToConversation: z.optional(z.boolean()),
  /** On a thread's root: its summary (null before the first reply). */
  thread: z.optional(z.nullable(threadSummarySchema)),
  mentions: z.optional(z.array(z.string())),
  mentionEveryone: z.optional(z.boolean()),
};

/**
 * A message. On the socket a field holding its default is left out (see `message-form.ts`):
 * absent means `type` 'text', `content`, `replyToId`, `metadata`, `clientMessageId`,
 * `editedAt`, `deletedAt` null, `attachments` and `reactions` empty, `deletedForEveryone`
 * false; parsing puts them back. REST sends every field.
 */
export const messageSchema = z.object({
  ...messageFields,
  type: z._default(messageTypeSchema, MESSAGE_DEFAULTS.type),
  content: z._default(z.nullable(z.string()), null),
  replyToId: z._default(z.nullable(z.string()), null),
  attachments: z._default(z.array(attachmentSchema), () => []),
  metadata: z._default(z.nullable(z.record(z.string(), z.unknown())), null),
  clientMessageId: z._default(z.nullable(z.string()), null),
  editedAt: z._default(nullableIso, null),
  deletedAt: z._default(nullableIso, null),
  deletedForEveryone: z._default(z.boolean(), false),
  reactions: z._default(z.array(reactionSummarySchema), () => []),
});

/**
 * The `message` of `message_sent`: what the server decided (id, seq, version, createdAt) and
 * any field whose stored value differs from what the sender sent; the sender fills in the rest
 * from its send (`completeSentMessage`).
 */
export const messageAckSchema = z.extend(z.partial(z.object(messageFields)), {
  id: z.string(),
  seq: count,
  version: count,
  createdAt: iso,
});

/** One user's read state in a thread they follow. */
export const threadReadStateSchema = z.object({
  conversationId: z.string(),
  threadId: z.string(),
  userId: z.string(),
  lastReadSeq: count,
  unreadCount: count,
});

export const memberRoleSchema = z.enum(['owner', 'admin', 'member']);

export const conversationSchema = z.object({
  id: z.string(),
  type: z.enum(['direct', 'group']),
  name: z.nullable(z.string()),
  description: z.nullable(z.string()),
  avatarUrl: z.nullable(z.string()),
  createdBy: z.string(),
  createdAt: iso,
  updatedAt: iso,
  lastSeq: count,
  version: count,
  slowModeSeconds: count,
  retentionSeconds: z.nullable(count),
  lastMessage: z.nullable(messageSchema),
});

/** One row of `GET /conversations`. */
export const capabilitySchema = z.enum(CAPABILITIES);

export const conversationListItemSchema = z.extend(conversationSchema, {
  role: memberRoleSchema,
  capabilities: z.array(capabilitySchema),
  unreadCount: count,
  firstUnreadSeq: z.nullable(count),
  /** Unread messages mentioning the user or everyone. */
  mentionCount: z.optional(count),
  muted: z.boolean(),
  archived: z.boolean(),
  lastReadSeq: count,
});

export const userProfileSchema = z.object({
  id: z.string(),
  name: z.string(),
  avatar: z.optional(z.string()),
});

export const memberSchema = z.object({
  conversationId: z.string(),
  userId: z.string(),
  role: memberRoleSchema,
  joinedAt: iso,
  lastReadSeq: count,
  lastReadAt: nullableIso,
  mutedUntil: nullableIso,
  archivedAt: nullableIso,
  silencedUntil: nullableIso,
});

/** `GET /conversations/:id/members`: profiles come from the host's `resolveUsers`, when it has one. */
export const memberWithProfileSchema = z.extend(memberSchema, { user: z.optional(userProfileSchema) });

/** `{ items, nextCursor }` pages of the REST API. */
export function pageSchema<T extends z.ZodMiniType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.nullable(z.string()) });
}

export const conversationPageSchema = pageSchema(conversationListItemSchema);

/** `GET /conversations/:id/messages`. */
export const messagePageSchema = z.object({
  messages: z.array(messageSchema),
  hasMoreBefore: z.boolean(),
  hasMoreAfter: z.boolean(),
});

/** One conversation of `sync_result`: `ChangesSince` without its `conversationId` (the key says it). */
/** One page of a thread: its root and replies ascending by seq (`GET /conversations/messages/:id/thread`). */
export const threadPageSchema = z.object({
  root: messageSchema,
  messages: z.array(messageSchema),
  hasMoreBefore: z.boolean(),
  hasMoreAfter: z.boolean(),
});

/** `POST /conversations/messages/:id/thread/read` and `mark_thread_read_success`. */
export const threadReadResultSchema = z.object({
  threadId: z.string(),
  conversationId: z.string(),
  markedCount: count,
  lastReadSeq: count,
  unreadCount: count,
});

export const syncEntrySchema = z.object({
  messages: z.array(messageSchema),
  hasMore: z.boolean(),
  lastSeq: count,
  changes: z.array(messageSchema),
  hiddenIds: z.array(z.string()),
  version: count,
  hasMoreChanges: z.boolean(),
  /** Retention removed every message below this seq; a cursor below `truncatedBefore - 1` fell behind it. */
  truncatedBefore: count,
});

/** A ban (`moderation.listBans`). */
export const banSchema = z.object({
  conversationId: z.string(),
  userId: z.string(),
  bannedBy: z.string(),
  reason: z.nullable(z.string()),
  createdAt: iso,
  expiresAt: nullableIso,
});

/** A report in the review queue. */
export const reportSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  messageId: z.string(),
  reporterId: z.string(),
  reason: z.string(),
  note: z.nullable(z.string()),
  status: z.enum(['open', 'resolved']),
  createdAt: iso,
  resolvedBy: z.nullable(z.string()),
  resolvedAt: nullableIso,
  resolution: z.nullable(z.enum(['dismissed', 'deleted', 'banned'])),
});

/** One entry of a conversation's moderation log. */
export const auditEntrySchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  actorId: z.string(),
  action: z.enum(['member_banned', 'member_unbanned', 'member_silenced', 'member_unsilenced', 'slow_mode_changed', 'message_deleted', 'report_resolved']),
  targetUserId: z.nullable(z.string()),
  messageId: z.nullable(z.string()),
  data: z.nullable(z.record(z.string(), z.unknown())),
  createdAt: iso,
});
