import * as z from 'zod/mini';
import { memberRoleSchema, messageSchema, messageTypeSchema, reactionSummarySchema, syncEntrySchema } from './domain.js';

/**
 * What the REST routes answer where no frame carries the same shape: stats, search, catch-up,
 * the results of leave, remove and delete, and `/health`. Like domain.ts, these describe what
 * the server sends (the OpenAPI document is generated from them), and
 * `test/wire-schemas.test.ts` proves them assignable both ways to the services' types.
 */

const id = z.string();
const count = z.int();

/** `GET /conversations/stats`. */
export const conversationStatsSchema = z.object({
  total: count,
  direct: count,
  group: count,
  archived: count,
  muted: count,
  unreadConversations: count,
  unreadMessages: count,
});

export const searchHitSchema = z.object({
  message: messageSchema,
  /** Higher is better; comparable only within one result set. */
  score: z.number(),
});

export const searchFacetsSchema = z.object({
  conversations: z.array(z.object({ conversationId: id, count })),
  senders: z.array(z.object({ senderId: id, count })),
  types: z.array(z.object({ type: messageTypeSchema, count })),
});

/** `GET /conversations/messages/search`: a page of hits, the total and facets. */
export const searchResultSchema = z.object({
  items: z.array(searchHitSchema),
  nextCursor: z.nullable(z.string()),
  total: count,
  facets: searchFacetsSchema,
});

/** `GET /conversations/:id/messages/stats`. */
export const messageStatsSchema = z.object({
  conversationId: id,
  total: count,
  byType: z.partialRecord(messageTypeSchema, count),
  bySender: z.array(z.object({ senderId: id, count })),
  firstMessageAt: z.nullable(z.string()),
  lastMessageAt: z.nullable(z.string()),
});

/** `GET /conversations/messages/:id/reactions`. */
export const reactionStatsSchema = z.object({
  messageId: id,
  total: count,
  reactions: z.array(reactionSummarySchema),
});

/** `GET /conversations/messages/:id/receipts`. */
export const readReceiptStatsSchema = z.object({
  messageId: id,
  readCount: count,
  /** Members other than the sender. */
  memberCount: count,
  percentage: z.number(),
  readers: z.array(z.object({ userId: id, readAt: z.nullable(z.string()) })),
});

/** `GET /conversations/:id/changes`: one conversation's catch-up, as `sync_result` carries it per conversation. */
export const changesSinceSchema = z.extend(syncEntrySchema, { conversationId: id });

/** `POST /conversations/:id/leave`: who owns the group now, and whether leaving ended it. */
export const leaveResultSchema = z.object({
  conversationId: id,
  newOwnerId: z.nullable(id),
  deleted: z.boolean(),
});

/** `DELETE /conversations/:id/members/:memberId`. */
export const memberRemovedSchema = z.object({
  conversationId: id,
  memberId: id,
  removed: z.literal(true),
});
export type MemberRemoved = z.infer<typeof memberRemovedSchema>;

/** `DELETE /conversations/messages/:id` (and `message_delete_success`). */
export const deleteResultSchema = z.object({
  messageId: id,
  conversationId: id,
  forEveryone: z.boolean(),
});

/**
 * `GET /health`: `unhealthy` (HTTP 503) when the store does not answer, `degraded` when
 * presence or the broker is down. `nodeId` and `connections` come with a hub.
 */
export const healthSchema = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  storage: z.boolean(),
  presence: z.boolean(),
  broker: z.boolean(),
  nodeId: z.optional(z.string()),
  connections: z.optional(count),
});

/**
 * One line of `GET /me/export` (`application/x-ndjson`): `export` first, `end` last with the
 * counts — an export without its `end` line was cut off. `UserExportLine` in the services.
 */
export const userExportLineSchema = z.union([
  z.object({ type: z.literal('export'), format: count, userId: id, exportedAt: z.string() }),
  z.object({
    type: z.literal('membership'),
    conversationId: id,
    role: memberRoleSchema,
    joinedAt: z.string(),
    mutedUntil: z.nullable(z.string()),
    archivedAt: z.nullable(z.string()),
  }),
  z.object({ type: z.literal('read_position'), conversationId: id, lastReadSeq: count, lastReadAt: z.nullable(z.string()) }),
  /** One of the user's own messages, tombstones included; without reactions, which name other people. */
  z.object({ type: z.literal('message'), message: z.omit(messageSchema, { reactions: true }) }),
  z.object({ type: z.literal('reaction'), reaction: z.object({ messageId: id, conversationId: id, emoji: z.string(), createdAt: z.string() }) }),
  z.object({ type: z.literal('end'), counts: z.object({ memberships: count, messages: count, reactions: count }) }),
]);
