import type { ClientEvent, ClientEventData, ClientEventReply, Message, MessageHistory, Pin, ServerEventData } from '@parley/core/protocol';

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

  /** A message's current text and every earlier one, oldest first (members only). */
  getMessageHistory(messageId: string): Promise<MessageHistory> {
    return this.request('get_message_history', { messageId });
  }

  /** Who of `userIds` is online now (only people you share a conversation with are reported). */
  async getPresence(userIds: string[]): Promise<string[]> {
    return (await this.request('get_presence', { userIds })).online;
  }

  ping(): Promise<ServerEventData['pong']> {
    return this.request('ping', {});
  }

  /** Replaces the socket's token (the client does this by itself before expiry). */
  authenticate(token: string): Promise<ServerEventData['authenticated']> {
    return this.request('authenticate', { token });
  }
}
