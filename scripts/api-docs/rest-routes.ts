import { z } from 'zod';
import * as zm from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { createSchemas, DEFAULT_LIMITS } from '@parley/core';
import {
  attachmentDownloadSchema,
  changesSinceSchema,
  conversationListItemSchema,
  conversationPageSchema,
  conversationSchema,
  conversationStatsSchema,
  deleteResultSchema,
  leaveResultSchema,
  memberRemovedSchema,
  memberSchema,
  memberWithProfileSchema,
  messagePageSchema,
  messageSchema,
  messageStatsSchema,
  reactionStatsSchema,
  messageHistorySchema,
  pinListSchema,
  pinSchema,
  unpinResultSchema,
  readReceiptStatsSchema,
  replySchemas,
  searchResultSchema,
  threadPageSchema,
  threadReadResultSchema,
  uploadSlotSchema,
  banSchema,
  banListSchema,
  unbanResultSchema,
  memberResultSchema,
  slowModeResultSchema,
  reportPageSchema,
  auditPageSchema,
  reportResultSchema,
  resolveResultSchema,
  blockedUsersSchema,
  blockResultSchema,
  userExportLineSchema,
} from '@parley/core/protocol';

/** The request schemas the services validate with, at the default limits. */
export const requestSchemas = createSchemas(DEFAULT_LIMITS);
const s = requestSchemas;

export type Tag = 'Conversations' | 'Members' | 'Messages' | 'Attachments' | 'Moderation' | 'My data';

/**
 * What the OpenAPI document says about one route of `routes.ts` beyond its method, path and
 * status (read from the route itself). Every schema here is one the code validates or answers
 * with: the services' input schemas (`createSchemas`) for bodies and query strings, and the
 * wire schemas of `@parley/core/protocol` for answers.
 */
export interface RouteDoc {
  tag: Tag;
  summary: string;
  description?: string;
  /** The query string, as the route reads it (every value arrives as text and is parsed). */
  query?: z.ZodObject;
  /** Query parameters named otherwise than in the service's schema (`q` for `query`). */
  queryNames?: Record<string, string>;
  body?: { schema: $ZodType; name: string; required?: false };
  response: { schema: $ZodType; name: string };
  /** A streamed body other than JSON: the response schema then describes one line of it. */
  contentType?: 'application/x-ndjson';
  /** A GET with a rate limit of its own: it can answer 429. */
  rateLimited?: true;
  /** The route can answer 409 CONFLICT. */
  conflict?: true;
}

const ref = <T extends $ZodType>(schema: T, name: string) => ({ schema, name });
const reactionRequest = z.object({ emoji: s.emoji });

/** Keyed by route name (`routes.ts`); a test fails when a route has no entry. */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  listConversations: {
    tag: 'Conversations',
    summary: "The caller's conversations, by last activity",
    description: 'Each with its unread count, first unread seq, last message, role, muted and archived. Without `archived` (or with `archived=false`) archived conversations are left out; `archived=true` lists only those.',
    query: s.listConversations,
    response: ref(conversationPageSchema, 'ConversationPage'),
  },
  conversationStats: {
    tag: 'Conversations',
    summary: "Totals over the caller's conversations",
    response: ref(conversationStatsSchema, 'ConversationStats'),
  },
  searchMessages: {
    tag: 'Messages',
    summary: "Full-text search over the caller's conversations",
    description: 'Ranked, with facets by conversation, sender and type. Any text is safe: it is split into words, never passed through as a query language.',
    query: s.search,
    queryNames: { query: 'q' },
    response: ref(searchResultSchema, 'SearchResult'),
  },
  getConversation: {
    tag: 'Conversations',
    summary: 'One conversation, as a row of the list',
    description: 'A conversation the caller is not in answers 404, like one that does not exist.',
    response: ref(conversationListItemSchema, 'ConversationListItem'),
  },
  createDirect: {
    tag: 'Conversations',
    summary: 'Open the direct conversation with a user',
    description: 'There is one per pair: asking again returns the existing conversation.',
    body: ref(z.object({ recipientId: s.id }), 'CreateDirectRequest'),
    response: ref(conversationListItemSchema, 'ConversationListItem'),
  },
  createGroup: {
    tag: 'Conversations',
    summary: 'Create a group; the caller is its owner',
    body: ref(s.createGroup, 'CreateGroupRequest'),
    response: ref(conversationListItemSchema, 'ConversationListItem'),
  },
  updateConversation: {
    tag: 'Conversations',
    summary: "Change a group's name, description or avatar (admin or owner)",
    description: 'Give at least one field; `null` clears the description or the avatar.',
    body: ref(s.updateConversation, 'UpdateConversationRequest'),
    response: ref(conversationSchema, 'Conversation'),
  },
  archive: { tag: 'Conversations', summary: 'Archive the conversation for the caller', response: ref(memberSchema, 'Member') },
  unarchive: { tag: 'Conversations', summary: 'Unarchive the conversation for the caller', response: ref(memberSchema, 'Member') },
  mute: {
    tag: 'Conversations',
    summary: 'Mute the conversation for the caller',
    description: 'Until `until`, or without it until 9999-12-31T23:59:59.999Z. Muted members get no offline notifications.',
    body: { ...ref(z.object({ until: s.mutedUntil }), 'MuteRequest'), required: false },
    response: ref(memberSchema, 'Member'),
  },
  unmute: { tag: 'Conversations', summary: 'Unmute the conversation for the caller', response: ref(memberSchema, 'Member') },
  leave: {
    tag: 'Members',
    summary: 'Leave a group',
    description: 'An owner leaving hands ownership to the oldest admin, else the oldest member; the last member leaving ends the group.',
    response: ref(leaveResultSchema, 'LeaveResult'),
  },
  listMembers: {
    tag: 'Members',
    summary: 'The members, with profiles when the host has `resolveUsers`',
    response: ref(zm.array(memberWithProfileSchema), 'MemberList'),
  },
  addMembers: {
    tag: 'Members',
    summary: 'Add members to a group (admin or owner)',
    body: ref(z.object({ memberIds: s.memberIds }), 'AddMembersRequest'),
    response: ref(zm.array(memberSchema), 'AddedMembers'),
  },
  removeMember: {
    tag: 'Members',
    summary: 'Remove a member (admin or owner)',
    description: 'Nobody removes the owner; an admin cannot remove an admin.',
    response: ref(memberRemovedSchema, 'MemberRemoved'),
  },
  updateRole: {
    tag: 'Members',
    summary: "Change a member's role (owner only)",
    description: 'Making someone `owner` hands ownership over: the old owner becomes an admin.',
    body: ref(z.object({ role: s.role }), 'UpdateRoleRequest'),
    response: ref(memberSchema, 'Member'),
  },
  listMessages: {
    tag: 'Messages',
    summary: 'A page of messages, ascending by seq',
    description: 'At most one of `before`, `after` and `around` (seqs); without any, the latest messages.',
    query: s.messagePage,
    response: ref(messagePageSchema, 'MessagePage'),
  },
  sendMessage: {
    tag: 'Messages',
    summary: 'Send a message',
    description:
      'Idempotent with `clientMessageId`: sending again with the same one returns the stored message and creates nothing. ' +
      '`attachmentIds` names files uploaded through `POST /attachments`; `attachments` carries the host\'s own http(s) files.',
    body: ref(s.sendMessage, 'SendMessageRequest'),
    response: ref(messageSchema, 'Message'),
    conflict: true,
  },
  getMessage: { tag: 'Messages', summary: 'One message', response: ref(messageSchema, 'Message') },
  editMessage: {
    tag: 'Messages',
    summary: "Edit a message's content (author only)",
    body: ref(z.object({ content: s.content }), 'EditMessageRequest'),
    response: ref(messageSchema, 'Message'),
    conflict: true,
  },
  deleteMessage: {
    tag: 'Messages',
    summary: 'Delete a message, for the caller or for everyone',
    description: 'For everyone: the author, or an admin or owner of the group; the content and attachments are cleared in every read.',
    query: z.object({ forEveryone: s.forEveryone.default(false) }),
    response: ref(deleteResultSchema, 'DeleteResult'),
  },
  markAsRead: {
    tag: 'Messages',
    summary: 'Move the read position forward (never back)',
    description: 'To `messageId`, or to the latest message.',
    body: ref(z.object({ conversationId: s.id, messageId: s.id.optional() }), 'MarkAsReadRequest'),
    response: ref(replySchemas.mark_as_read_success, 'MarkAsReadResult'),
  },
  markAsUnread: {
    tag: 'Messages',
    summary: 'Move the read position back to just before a message',
    body: ref(z.object({ messageId: s.id }), 'MarkUnreadRequest'),
    response: ref(replySchemas.mark_unread_success, 'MarkUnreadResult'),
  },
  react: {
    tag: 'Messages',
    summary: "Toggle the caller's reaction",
    description: 'Adds the reaction, or removes it when the caller had it: `action` says which.',
    body: ref(reactionRequest, 'ReactionRequest'),
    response: ref(replySchemas.react_to_message_success, 'ReactionResult'),
    conflict: true,
  },
  removeReaction: {
    tag: 'Messages',
    summary: "Remove the caller's reaction",
    description: 'The emoji in the body, or in the `emoji` query parameter (some clients send no body with DELETE).',
    query: z.object({ emoji: s.emoji.optional() }),
    body: { ...ref(reactionRequest, 'ReactionRequest'), required: false },
    response: ref(replySchemas.remove_reaction_success, 'ReactionResult'),
    conflict: true,
  },
  messageStats: { tag: 'Messages', summary: "Totals by type and sender, first and last message time", response: ref(messageStatsSchema, 'MessageStats') },
  reactionStats: { tag: 'Messages', summary: "A message's reactions", response: ref(reactionStatsSchema, 'ReactionStats') },
  readReceipts: {
    tag: 'Messages',
    summary: 'Who has read a message',
    description: "Derived from the members' read positions.",
    response: ref(readReceiptStatsSchema, 'ReadReceiptStats'),
  },
  threadMessages: {
    tag: 'Messages',
    summary: "A page of a thread's replies, with its root",
    description:
      'The `:id` is the root. Cursors are seqs, as for a conversation: `before` pages back, `after` forward (the thread\'s catch-up: replies after the last one held), `around` centres. ' +
      'Replies are sent with `POST /conversations/messages` and `threadId`; they stay out of the conversation\'s pages unless `alsoToConversation`.',
    query: s.messagePage,
    response: ref(threadPageSchema, 'ThreadPage'),
  },
  markThreadRead: {
    tag: 'Messages',
    summary: "Move the caller's read position in a thread forward (never back)",
    description: 'To `messageId` (a reply of the thread), or to its last reply. The caller follows the thread from then on; answers its unread count.',
    body: { ...ref(z.object({ messageId: s.id.optional() }), 'MarkThreadReadRequest'), required: false },
    response: ref(threadReadResultSchema, 'ThreadReadResult'),
  },
  threadUnread: {
    tag: 'Messages',
    summary: 'The threads of a conversation the caller follows, with unread counts',
    description: 'A user follows a thread they started (once it has a reply), replied in or marked read. The latest reply first, at most 100.',
    response: ref(replySchemas.thread_unread_result, 'ThreadUnread'),
  },
  messageHistory: {
    tag: 'Messages',
    summary: "A message's edit history",
    description:
      'The current text and the earlier ones, oldest first, each with when it was written and when an edit replaced it, a page at a time: while `hasMore`, ask again with `offset` + the versions received. Members only; a delete for everyone clears it.',
    query: s.historyPage,
    response: ref(messageHistorySchema, 'MessageHistory'),
  },
  pinMessage: {
    tag: 'Messages',
    summary: 'Pin a message',
    description:
      'Members with the `pin` capability (everyone, by default). `expiresAt` (a future date-time) ends the pin by itself; absent or null: until unpinned. ' +
      'Pinning a pinned message again replaces who, when and the expiry. 409 when the conversation holds `maxPinsPerConversation` (50) pins in force, or the message was deleted for everyone. ' +
      'Raises `message_pinned` to every member.',
    body: { ...ref(s.pin, 'PinRequest'), required: false },
    response: ref(pinSchema, 'Pin'),
    conflict: true,
  },
  unpinMessage: {
    tag: 'Messages',
    summary: 'Unpin a message',
    description: 'Members with the `pin` capability. `unpinned: false` when it was not pinned (nothing is announced); otherwise raises `message_unpinned` to every member.',
    response: ref(unpinResultSchema, 'UnpinResult'),
  },
  listPins: {
    tag: 'Messages',
    summary: "A conversation's pinned messages",
    description: 'The pins in force (expired ones are left out), newest first, each with its message as it is now. Members only.',
    response: ref(pinListSchema, 'PinList'),
  },
  changesSince: {
    tag: 'Messages',
    summary: 'Catch up: new messages after `since`, changes after `version`',
    description: 'The REST twin of the WebSocket `sync`, for one conversation. Each stream is paged: ask again while `hasMore` or `hasMoreChanges`.',
    query: z.object({ since: s.seq.default(0), version: s.seq.optional() }),
    response: ref(changesSinceSchema, 'ChangesSince'),
  },
  createUpload: {
    tag: 'Attachments',
    summary: 'Ask for an upload slot',
    description:
      'Answers the attachment (`pending`) and a signed, expiring request for its bytes: send exactly `size` bytes with `upload.method` and `upload.headers` to `upload.url`. ' +
      '404 when uploads are not enabled on the server.',
    body: ref(s.createUpload, 'CreateUploadRequest'),
    response: ref(uploadSlotSchema, 'UploadSlot'),
  },
  completeUpload: {
    tag: 'Attachments',
    summary: 'Check the uploaded bytes',
    description: 'The size must be the one announced (else 409); the real type is sniffed from the bytes. Sending a message with the attachment does this too.',
    response: ref(replySchemas.upload_completed, 'UploadCompleted'),
    conflict: true,
  },
  getAttachment: {
    tag: 'Attachments',
    summary: 'A signed, expiring download link',
    description: 'For members of the conversation whose message uses the file, and for its uploader before it is sent; anyone else gets 404.',
    response: ref(attachmentDownloadSchema, 'AttachmentDownload'),
    conflict: true,
  },
  banMember: {
    tag: 'Moderation',
    summary: 'Ban a user from a group',
    description: 'Removes them when a member (with a system message); every later add is refused (`FORBIDDEN`) until the ban is lifted or `until` passes. Direct conversations have no bans.',
    body: ref(s.ban, 'BanRequest'),
    response: ref(banSchema, 'Ban'),
  },
  listBans: { tag: 'Moderation', summary: 'The bans in force', response: ref(banListSchema, 'BanList') },
  unbanMember: { tag: 'Moderation', summary: 'Lift a ban', response: ref(unbanResultSchema, 'UnbanResult') },
  silenceMember: {
    tag: 'Moderation',
    summary: 'Mute a member',
    description: 'They keep reading but cannot send or edit (`FORBIDDEN`) until `until`, or until lifted when it is absent or null. Nobody mutes the owner; an admin mutes no other admin.',
    body: ref(s.silence.omit({ userId: true }), 'SilenceRequest'),
    response: ref(memberResultSchema, 'MemberResult'),
  },
  unsilenceMember: { tag: 'Moderation', summary: 'Let a muted member send again', response: ref(memberResultSchema, 'MemberResult') },
  setSlowMode: {
    tag: 'Moderation',
    summary: 'Set slow mode',
    description: 'Each member sends at most one message per `seconds` (0: off); moderators are exempt. A send too soon is 429 `RATE_LIMITED` with `details.retryAfterMs`.',
    body: ref(s.slowMode, 'SlowModeRequest'),
    response: ref(slowModeResultSchema, 'SlowModeResult'),
  },
  listReports: {
    tag: 'Moderation',
    summary: "A conversation's reports, oldest first",
    query: z.object({ status: z.enum(['open', 'resolved']).optional(), limit: s.pageLimit.optional(), cursor: z.string().optional() }),
    response: ref(reportPageSchema, 'ReportPage'),
  },
  auditLog: {
    tag: 'Moderation',
    summary: "A conversation's moderation log, newest first",
    query: z.object({ limit: s.pageLimit.optional(), cursor: z.string().optional() }),
    response: ref(auditPageSchema, 'AuditPage'),
  },
  reportMessage: {
    tag: 'Moderation',
    summary: "Report someone else's message to the conversation's moderators",
    description: 'One report per user and message: reporting again answers the first report.',
    body: ref(s.report, 'ReportRequest'),
    response: ref(reportResultSchema, 'ReportResult'),
  },
  resolveReport: {
    tag: 'Moderation',
    summary: 'Resolve a report',
    description: '`dismiss` resolves this report; `delete` deletes the message for everyone and `ban` also bans its author, and both resolve every open report of the message. 409 when another moderator resolved it first.',
    body: ref(s.resolveReport, 'ResolveReportRequest'),
    response: ref(resolveResultSchema, 'ResolveReportResult'),
    conflict: true,
  },
  listBlocked: { tag: 'Moderation', summary: 'The users the caller blocks', response: ref(blockedUsersSchema, 'BlockedUsers') },
  blockUser: {
    tag: 'Moderation',
    summary: 'Block a user',
    description: 'While either blocks the other, their direct conversation takes no messages and none can be opened (`FORBIDDEN`). The other user is not told.',
    body: ref(z.object({ userId: s.id }), 'BlockRequest'),
    response: ref(blockResultSchema, 'BlockResult'),
  },
  unblockUser: { tag: 'Moderation', summary: 'Unblock a user', response: ref(blockResultSchema, 'BlockResult') },
  exportMyData: {
    tag: 'My data',
    summary: "Everything Parley holds about the caller, as NDJSON",
    description:
      'Streamed, one JSON object per line (the schema is one line): `export` first, then memberships and read positions, every message the caller sent (tombstones included, without reactions, which name other people), every reaction they made, and `end` with the counts last — a body without its `end` line was cut off. Attachment bytes are not included. Served as a download (`Content-Disposition: attachment`). At most 5 exports per user per hour.',
    response: ref(userExportLineSchema, 'UserExportLine'),
    contentType: 'application/x-ndjson',
    rateLimited: true,
  },
};
