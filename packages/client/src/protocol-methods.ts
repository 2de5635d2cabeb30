import type { AttachmentDownload, AttachmentInfo, ClientEvent, ClientEventData, ClientEventReply, Member, Message, MessageHistory, Pin, ServerEventData, UploadSlot } from '@parley/core/protocol';

type Reply<E extends ClientEvent> = Promise<ClientEventReply[E]>;

/**
 * A typed method for each client event that needs nothing but a request: each resolves with
 * its success reply, or rejects with a ClientError carrying the server's code.
 */
export abstract class ProtocolMethods {
  /** Sends any client event; resolves with its success reply, rejects with a ClientError. */
  abstract request<E extends ClientEvent>(type: E, data: ClientEventData[E]): Promise<ClientEventReply[E]>;

  async editMessage(messageId: string, content: string): Promise<Message> {
    return (await this.request('edit_message', { messageId, content })).message;
  }

  deleteMessage(messageId: string, options: { forEveryone?: boolean } = {}): Promise<ServerEventData['message_delete_success']> {
    return this.request('delete_message', { messageId, forEveryone: options.forEveryone ?? false });
  }

  react(messageId: string, emoji: string): Promise<ServerEventData['react_to_message_success']> {
    return this.request('react_to_message', { messageId, emoji });
  }

  removeReaction(messageId: string, emoji: string): Promise<ServerEventData['remove_reaction_success']> {
    return this.request('remove_reaction', { messageId, emoji });
  }

  markAsRead(conversationId: string, messageId?: string): Promise<ServerEventData['mark_as_read_success']> {
    return this.request('mark_as_read', messageId === undefined ? { conversationId } : { conversationId, messageId });
  }

  markUnread(conversationId: string, messageId: string): Promise<ServerEventData['mark_unread_success']> {
    return this.request('mark_unread', { conversationId, messageId });
  }

  /** The threads of a conversation this user follows, with unread counts (latest reply first). */
  async getThreadUnread(conversationId: string): Promise<ServerEventData['thread_unread_result']['threads']> {
    return (await this.request('get_thread_unread', { conversationId })).threads;
  }

  startTyping(conversationId: string): Promise<ServerEventData['ack']> {
    return this.request('typing_start', { conversationId });
  }

  sync(since: ClientEventData['sync']['since']): Promise<ServerEventData['sync_result']> {
    return this.request('sync', { since });
  }

  /** A conversation's pins in force, newest first (without keeping them in the state: `loadPins` does). */
  async listPins(conversationId: string): Promise<Pin[]> {
    return (await this.request('list_pins', { conversationId })).pins;
  }

  /** A message's current text and its earlier ones, oldest first, a page at a time (members only): while `hasMore`, ask again from `offset` + the versions received. */
  getMessageHistory(messageId: string, options: { offset?: number; limit?: number } = {}): Promise<MessageHistory> {
    return this.request('get_message_history', { messageId, ...options });
  }

  /** Who of `userIds` is online now (only people you share a conversation with are reported). */
  async getPresence(userIds: string[]): Promise<string[]> {
    return (await this.request('get_presence', { userIds })).online;
  }

  /** Reserves an upload slot; `upload()` does the three steps of an upload at once. */
  createUpload(data: { conversationId: string; name: string; mimeType: string; size: number }): Promise<UploadSlot> {
    return this.request('create_upload', data) as Promise<UploadSlot>;
  }

  /** Has Parley check an uploaded file's bytes (size, real type); resolves with the completed attachment. */
  async completeUpload(attachmentId: string): Promise<AttachmentInfo> {
    return (await this.request('complete_upload', { attachmentId })).attachment as AttachmentInfo;
  }

  /** A signed, expiring link to a file of a message (members of its conversation only). */
  getAttachment(attachmentId: string): Promise<AttachmentDownload> {
    return this.request('get_attachment', { attachmentId }) as Promise<AttachmentDownload>;
  }

  // The moderation kit (moderators only, except reports and blocks; see PROTOCOL.md).

  /** Bans a user from a group; `until` (ISO time) ends the ban by itself. */
  banMember(conversationId: string, userId: string, options: { reason?: string; until?: string | null } = {}): Reply<'ban_member'> {
    return this.request('ban_member', { conversationId, userId, ...options });
  }

  unbanMember(conversationId: string, userId: string): Reply<'unban_member'> {
    return this.request('unban_member', { conversationId, userId });
  }

  async listBans(conversationId: string): Promise<ClientEventReply['list_bans']['items']> {
    return (await this.request('list_bans', { conversationId })).items;
  }

  /** Mutes a member: they read but cannot send until `until`, or until unmuted. */
  async muteMember(conversationId: string, userId: string, options: { until?: string | null } = {}): Promise<Member> {
    return (await this.request('silence_member', { conversationId, userId, ...options })).member;
  }

  async unmuteMember(conversationId: string, userId: string): Promise<Member> {
    return (await this.request('unsilence_member', { conversationId, userId })).member;
  }

  /** One message per `seconds` per member (moderators exempt); 0 turns slow mode off. */
  setSlowMode(conversationId: string, seconds: number): Reply<'set_slow_mode'> {
    return this.request('set_slow_mode', { conversationId, seconds });
  }

  blockUser(userId: string): Reply<'block_user'> {
    return this.request('block_user', { userId });
  }

  unblockUser(userId: string): Reply<'unblock_user'> {
    return this.request('unblock_user', { userId });
  }

  async listBlocked(): Promise<string[]> {
    return (await this.request('list_blocked', {})).userIds;
  }

  async reportMessage(messageId: string, reason: string, note?: string): Promise<ClientEventReply['report_message']['report']> {
    return (await this.request('report_message', { messageId, reason, ...(note === undefined ? {} : { note }) })).report;
  }

  listReports(conversationId: string, options: { status?: 'open' | 'resolved'; limit?: number; cursor?: string } = {}): Reply<'list_reports'> {
    return this.request('list_reports', { conversationId, ...options });
  }

  async resolveReport(reportId: string, action: 'dismiss' | 'delete' | 'ban'): Promise<ClientEventReply['resolve_report']['reports']> {
    return (await this.request('resolve_report', { reportId, action })).reports;
  }

  getAuditLog(conversationId: string, options: { limit?: number; cursor?: string } = {}): Reply<'get_audit_log'> {
    return this.request('get_audit_log', { conversationId, ...options });
  }

  ping(): Promise<ServerEventData['pong']> {
    return this.request('ping', {});
  }

  /** Replaces the socket's token (the client does this by itself before expiry). */
  authenticate(token: string): Promise<ServerEventData['authenticated']> {
    return this.request('authenticate', { token });
  }
}
