import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';
import { CloseCode, clientEventSchemas, type ClientEvent, type ServerEvent } from '@parley/core/protocol';
import { idSchema } from '@parley/core';
import { requestSchemas } from './rest-routes.js';

/**
 * The `data` schema documented for each client event. The hub's own schemas
 * (`clientEventSchemas`) check the envelope of `send_message` and `create_upload` loosely and
 * leave the rest to the services, which validate with `createSchemas`: the document shows
 * what the services accept.
 */
export function clientDataSchema(event: ClientEvent): $ZodType {
  if (event === 'send_message') {
    // The frame's `tempId` is the message's `clientMessageId` (either name works).
    return z.object({ ...requestSchemas.sendMessage.shape, tempId: idSchema.optional() });
  }
  if (event === 'create_upload') return requestSchemas.createUpload;
  if (event === 'get_message_history') return z.object({ messageId: idSchema, ...requestSchemas.historyPage.shape });
  const moderation = MODERATION_DATA[event as keyof typeof MODERATION_DATA];
  if (moderation !== undefined) return moderation;
  return clientEventSchemas[event];
}

const conversationId = z.object({ conversationId: idSchema });
const s = requestSchemas;
/** The moderation frames pass reasons, times and counts on to the services, which validate them with these. */
const MODERATION_DATA = {
  ban_member: z.object({ ...conversationId.shape, ...s.ban.shape }),
  silence_member: z.object({ ...conversationId.shape, ...s.silence.shape }),
  set_slow_mode: z.object({ ...conversationId.shape, ...s.slowMode.shape }),
  report_message: z.object({ messageId: idSchema, ...s.report.shape }),
  resolve_report: z.object({ reportId: idSchema, ...s.resolveReport.shape }),
  list_reports: z.object({ ...conversationId.shape, status: z.enum(['open', 'resolved']).optional(), limit: s.pageLimit.optional(), cursor: z.string().optional() }),
  get_audit_log: z.object({ ...conversationId.shape, limit: s.pageLimit.optional(), cursor: z.string().optional() }),
} satisfies Partial<Record<ClientEvent, $ZodType>>;

/** What each client event does, and what it broadcasts; a test fails when an event has no entry. */
export const CLIENT_EVENT_DOCS = {
  join_conversation: { summary: 'Join a conversation’s room (members only)', broadcast: '`user_joined_conversation` to the room. The room adds typing and join/leave notices; message events reach every member’s sockets without joining.' },
  leave_conversation: { summary: 'Leave the room', broadcast: '`user_left_conversation` to the room.' },
  send_message: {
    summary: 'Send a message (the data of `POST /conversations/messages`)',
    broadcast: '`new_message` to every socket of every member but the sending socket. `tempId` (or `clientMessageId`) makes it idempotent: sending again returns the stored message and broadcasts nothing.',
  },
  edit_message: { summary: 'Edit a message (author only)', broadcast: '`message_edited` to every member.' },
  delete_message: { summary: 'Delete a message for the caller, or for everyone', broadcast: '`message_deleted` to every member; a delete for me only to the caller’s sockets.' },
  typing_start: { summary: 'Start typing (expires 10 s after the last one)', broadcast: '`user_typing` to the room; `user_stopped_typing` when it expires.' },
  typing_stop: { summary: 'Stop typing', broadcast: '`user_stopped_typing` to the room.' },
  mark_as_read: { summary: 'Move the read position forward', broadcast: '`messages_read` to every member; `unread_changed` to the caller’s sockets.' },
  mark_unread: { summary: 'Move the read position back to just before a message', broadcast: '`read_position_changed` and `unread_changed` to the caller’s sockets only.' },
  get_thread: { summary: 'A page of a thread’s replies (cursors are seqs, as for a conversation), with its root', broadcast: 'None.' },
  mark_thread_read: { summary: 'Move the caller’s read position in a thread forward (and follow it)', broadcast: '`thread_unread_changed` to the caller’s sockets.' },
  get_thread_unread: { summary: 'The threads of a conversation the caller follows, with unread counts', broadcast: 'None.' },
  react_to_message: { summary: 'Toggle a reaction', broadcast: '`message_reaction_updated` to every member.' },
  remove_reaction: { summary: 'Remove a reaction', broadcast: '`message_reaction_updated` to every member, when something was removed.' },
  sync: {
    summary: 'Catch up after a reconnect: new messages by `seq`, changes by `version`, per conversation',
    broadcast: 'None. At most 200 conversations per frame by default; ask again while `hasMore` or `hasMoreChanges`.',
  },
  get_presence: { summary: 'Who of the named users is online (only users who share a conversation with the caller, and the caller)', broadcast: 'None.' },
  create_upload: { summary: 'Ask for an upload slot (as `POST /attachments`)', broadcast: 'None.' },
  complete_upload: { summary: 'Check the uploaded bytes (as `POST /attachments/{id}/complete`)', broadcast: 'None.' },
  get_attachment: { summary: 'A signed, expiring download link (as `GET /attachments/{id}`)', broadcast: 'None.' },
  pin_message: {
    summary: 'Pin a message (as `POST /conversations/messages/{id}/pin`); `expiresAt` ends it by itself',
    broadcast: '`message_pinned` to every member. 409 CONFLICT at `maxPinsPerConversation` (50) pins in force, or for a message deleted for everyone.',
  },
  unpin_message: { summary: 'Unpin a message', broadcast: '`message_unpinned` to every member, when it was pinned.' },
  list_pins: { summary: 'A conversation’s pins in force, newest first, each with its message', broadcast: 'None.' },
  get_message_history: { summary: 'A message’s current text and its earlier ones, oldest first, a page at a time (members only)', broadcast: 'None.' },
  ban_member: {
    summary: 'Ban a user from a group (moderators): removed when a member, refused by every later add until lifted or `until`',
    broadcast: '`conversation_updated` `member_removed` (with `banned: true`) to the members and the banned user, a system message, and `member_banned` to the moderators.',
  },
  unban_member: { summary: 'Lift a ban (moderators)', broadcast: '`conversation_updated` `member_unbanned` to the moderators.' },
  list_bans: { summary: 'The bans in force (moderators)', broadcast: 'None.' },
  silence_member: { summary: 'Mute a member (moderators): they read but cannot send, until `until` or until lifted', broadcast: '`conversation_updated` `member_silenced` to the members.' },
  unsilence_member: { summary: 'Let a muted member send again (moderators)', broadcast: '`conversation_updated` `member_unsilenced` to the members.' },
  set_slow_mode: {
    summary: 'Slow mode (moderators): each member sends at most one message per `seconds`; 0 turns it off',
    broadcast: '`conversation_updated` `slow_mode_changed` to the members and a system message. A send too soon is `RATE_LIMITED` with `details.retryAfterMs`; moderators are exempt.',
  },
  block_user: { summary: 'Block a user: no messages in your direct conversation and no new one while either blocks the other', broadcast: 'None: the other user is not told.' },
  unblock_user: { summary: 'Unblock a user', broadcast: 'None.' },
  list_blocked: { summary: 'The users the caller blocks', broadcast: 'None.' },
  report_message: { summary: 'Report someone else’s message to the conversation’s moderators (once per user and message)', broadcast: '`conversation_updated` `message_reported` to the moderators.' },
  list_reports: { summary: 'A conversation’s reports, oldest first (moderators)', broadcast: 'None.' },
  resolve_report: {
    summary: 'Resolve a report (moderators): `dismiss`, `delete` the message for everyone, or `ban` its author (and delete)',
    broadcast: '`conversation_updated` `report_resolved` to the moderators, plus the delete’s and ban’s own events. Another moderator’s earlier resolution is `CONFLICT`.',
  },
  get_audit_log: { summary: 'A conversation’s moderation log, newest first (moderators)', broadcast: 'None.' },
  authenticate: { summary: 'Replace an expiring token with a fresh one of the same user', broadcast: 'None. Without it the socket is closed with 4401 at the token’s expiry.' },
  ping: { summary: 'Application-level ping', broadcast: 'None.' },
} as const satisfies Record<ClientEvent, { summary: string; broadcast: string }>;

/** What each server event means; replies are described by the client event they answer. */
export const SERVER_EVENT_DOCS = {
  joined_conversation: 'Reply to `join_conversation`: who is typing and who is online there.',
  left_conversation: 'Reply to `leave_conversation`.',
  message_sent: 'Reply to `send_message`: what the server decided (id, seq, version, createdAt) and any field whose stored value differs from the send; the sender fills in the rest (completeSentMessage). With the `tempId` sent.',
  message_edit_success: 'Reply to `edit_message`.',
  message_delete_success: 'Reply to `delete_message`.',
  ack: 'Reply to `typing_start` and `typing_stop`.',
  mark_as_read_success: 'Reply to `mark_as_read`.',
  mark_unread_success: 'Reply to `mark_unread`: the new read position, just before the message.',
  thread_messages: 'Reply to `get_thread`: the root and one page of replies, ascending by seq.',
  mark_thread_read_success: 'Reply to `mark_thread_read`: the new read position in the thread and its unread count.',
  thread_unread_result: 'Reply to `get_thread_unread`: the followed threads of the conversation, latest reply first.',
  react_to_message_success: 'Reply to `react_to_message`: `action` says whether it was added or removed.',
  remove_reaction_success: 'Reply to `remove_reaction`.',
  sync_result: 'Reply to `sync`: per conversation, new messages and changed ones; `errors` for conversations that could not be read (no longer a member).',
  presence_result: 'Reply to `get_presence`: the named users who are online; users who share no conversation with the caller are left out.',
  upload_created: 'Reply to `create_upload`.',
  upload_completed: 'Reply to `complete_upload`.',
  attachment_download: 'Reply to `get_attachment`.',
  pin_message_success: 'Reply to `pin_message`: the pin, with its message.',
  unpin_message_success: 'Reply to `unpin_message`: `unpinned` is false when it was not pinned.',
  pins_result: 'Reply to `list_pins`.',
  message_history: 'Reply to `get_message_history`: `versions` are the earlier texts, oldest first; empty when never edited or deleted for everyone.',
  ban_member_success: 'Reply to `ban_member`: the ban.',
  unban_member_success: 'Reply to `unban_member`.',
  bans_result: 'Reply to `list_bans`.',
  silence_member_success: 'Reply to `silence_member`: the member, with `silencedUntil`.',
  unsilence_member_success: 'Reply to `unsilence_member`: the member.',
  set_slow_mode_success: 'Reply to `set_slow_mode`.',
  block_user_success: 'Reply to `block_user`.',
  unblock_user_success: 'Reply to `unblock_user`.',
  blocked_result: 'Reply to `list_blocked`.',
  report_message_success: 'Reply to `report_message`: the caller’s report (the first one, when reported again).',
  reports_result: 'Reply to `list_reports`: a page of reports.',
  resolve_report_success: 'Reply to `resolve_report`: every report the action resolved.',
  audit_result: 'Reply to `get_audit_log`: a page of audit entries.',
  authenticated: 'Reply to `authenticate`: when the new token expires.',
  pong: 'Reply to `ping`.',
  connected: 'The first frame of an accepted connection. `expiresAt`: when the token ends, or null.',
  connection_error: 'The connection is refused or ended (bad token, user not active, too many sockets, session expired, signed out); the close follows.',
  error: 'A frame failed: the reply to a frame with an `id` (`replyTo` set), or to a malformed frame. The connection stays open.',
  resync: 'The server may have missed events for this client (`broker_unavailable`, `broker_gap`, `peer_publish_failed`, `slow_consumer`): send `sync` from your cursors.',
  new_message: 'A message was stored, to every socket of every member (the sending socket gets `message_sent` instead). Fields holding their default are left out.',
  message_edited: 'A message was edited.',
  message_deleted: 'A message was deleted (for me: only to the deleter’s sockets; `version` is null when it changed nothing).',
  message_reaction_updated: 'A message’s reactions changed.',
  message_pinned: 'A message was pinned (or pinned again with another expiry), to every member. Pins carry no `version`: after a `resync`, reload them with `list_pins`.',
  message_unpinned: 'A pin was removed by a member, to every member. A delete for everyone removes the pin too, told by `message_deleted` alone.',
  messages_read: 'A member’s read position moved forward.',
  read_position_changed: 'The caller’s read position moved back (`mark_unread`), to the caller’s own sockets.',
  unread_changed: 'Absolute unread counts, to every socket of the user, whenever they may have moved. `totalUnread` is over conversations that are not archived; `mentionCount` counts the unread messages mentioning the user or everyone.',
  thread_unread_changed: 'A followed thread’s absolute unread count, to every socket of the follower: after a reply in it or a delete, after they mark it read, and after a `sync` of its conversation.',
  conversation_updated: 'A conversation or its membership changed (`updateType`: created, updated, deleted, members_added, member_removed, member_left, role_changed, archived, unarchived, muted, unmuted, member_banned, member_unbanned, member_silenced, member_unsilenced, slow_mode_changed, message_reported, report_resolved, history_truncated — retention removed every message below `data.truncatedBefore`: drop them —, retention_changed — `data.retentionSeconds` —, or a host’s own type; moderation types other than slow mode and silencing go to moderators only).',
  user_online: 'A user who shares a conversation with you connected their first socket.',
  user_offline: 'A user who shares a conversation with you closed their last socket (or their node died).',
  user_typing: 'Someone started typing in a room you joined.',
  user_stopped_typing: 'Someone stopped typing (or it expired, or they sent a message).',
  user_joined_conversation: 'Someone joined the room.',
  user_left_conversation: 'Someone left the room.',
} as const satisfies Record<ServerEvent, string>;

/** Why each close code is used; a new code without an entry fails the typecheck. */
export const CLOSE_CODE_DOCS = {
  Normal: 'Normal closure.',
  GoingAway: 'The server is shutting down: it stopped taking frames and answered every frame it took first. Reconnect (to another node) and `sync`.',
  MessageTooBig: 'A frame larger than `maxPayload` (1 MiB by default).',
  BadRequest: 'Reserved for a bad request; Parley itself does not close with it today (a malformed frame gets an `error` frame and the connection stays open).',
  Unauthorized: 'No token, a bad token, a user not `active`, a session that expired, or the host signed the user out (`hub.disconnectUser`).',
  Forbidden: 'Forbidden: a host may use it for bans (`hub.disconnectUser(userId, { code: 4403 })`).',
  SlowConsumer: 'The client read too slowly: its unsent output stayed past `maxBufferedBytes` (4 MiB) for `slowConsumerGraceMs` (10 s).',
  TooManyRequests: 'Too many connections for the user (`maxConnectionsPerUser`), or far more frames than the rate limit allows.',
  InternalError: 'The hub could not register the connection (an internal error).',
} as const satisfies Record<keyof typeof CloseCode, string>;
