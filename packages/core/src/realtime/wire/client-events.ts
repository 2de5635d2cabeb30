import type { z } from 'zod';
import type { CreateUploadInput, SendMessageInput } from '../../domain/schemas.js';
import type { ClientEvent, clientEventSchemas } from '../protocol.js';
import type { ReplyType, ServerEventData } from './server-events.js';

/**
 * The success reply of each client event, with literal types (SUCCESS_REPLIES in protocol.ts is
 * the runtime table the hub uses; a test checks the two agree).
 */
export const REPLY_OF = {
  join_conversation: 'joined_conversation',
  leave_conversation: 'left_conversation',
  send_message: 'message_sent',
  edit_message: 'message_edit_success',
  delete_message: 'message_delete_success',
  typing_start: 'ack',
  typing_stop: 'ack',
  mark_as_read: 'mark_as_read_success',
  mark_unread: 'mark_unread_success',
  get_thread: 'thread_messages',
  mark_thread_read: 'mark_thread_read_success',
  get_thread_unread: 'thread_unread_result',
  react_to_message: 'react_to_message_success',
  remove_reaction: 'remove_reaction_success',
  sync: 'sync_result',
  get_presence: 'presence_result',
  create_upload: 'upload_created',
  complete_upload: 'upload_completed',
  get_attachment: 'attachment_download',
  pin_message: 'pin_message_success',
  unpin_message: 'unpin_message_success',
  list_pins: 'pins_result',
  get_message_history: 'message_history',
  ban_member: 'ban_member_success',
  unban_member: 'unban_member_success',
  list_bans: 'bans_result',
  silence_member: 'silence_member_success',
  unsilence_member: 'unsilence_member_success',
  set_slow_mode: 'set_slow_mode_success',
  block_user: 'block_user_success',
  unblock_user: 'unblock_user_success',
  list_blocked: 'blocked_result',
  report_message: 'report_message_success',
  list_reports: 'reports_result',
  resolve_report: 'resolve_report_success',
  get_audit_log: 'audit_result',
  authenticate: 'authenticated',
  ping: 'pong',
} as const satisfies Record<ClientEvent, ReplyType>;

/** `send_message` data: a message as `POST /conversations/messages` takes it; `tempId` is its `clientMessageId`. */
export type SendMessageData = Omit<SendMessageInput, 'clientMessageId'> & { tempId?: string; clientMessageId?: string };

/** What a client sends as `data` with each event. */
export type ClientEventData = {
  [E in ClientEvent]: E extends 'send_message' ? SendMessageData : E extends 'create_upload' ? CreateUploadInput : z.input<(typeof clientEventSchemas)[E]>;
};

/** The `data` of the success reply to each client event. */
export type ClientEventReply = { [E in ClientEvent]: ServerEventData[(typeof REPLY_OF)[E]] };
