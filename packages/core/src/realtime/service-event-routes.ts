import type { BrokerEnvelope, BrokerTarget } from '../adapters/broker.js';
import type { ChatServices } from '../create-chat-services.js';
import type { ChatEventMap } from '../services/chat-events.js';
import { compactMessage } from './wire/message-form.js';

/** Internal envelope: membership changed on some node; caches and rooms must follow. */
export const MEMBERSHIP_CHANGED = 'membership:changed';
/** Internal envelope: a user read a thread; their sockets get `thread_unread_changed`. */
export const THREAD_READ = 'thread:read';

export interface EventRouting {
  /** Delivers here and on every other node; `order` puts conversation changes in version order. */
  route(event: string, target: BrokerTarget, data: unknown, order?: BrokerEnvelope['order']): void;
  /** Sends to the other nodes only. */
  publish(envelope: BrokerEnvelope): void;
  /** Takes a user's sockets on this node out of a conversation's room. */
  evict(userId: string, conversationId: string): void;
  stopTypingOnSend(conversationId: string, userId: string): void;
  nodeId: string;
}

/**
 * The services' events become wire events for every socket of every member (SPEC §5
 * routing), whether the change came over WebSocket or REST. The socket that sent a message
 * gets `message_sent` as its reply, so `new_message` skips it. Messages travel without their
 * default fields (`compactMessage`). Returns the unsubscriber.
 */
export function routeServiceEvents(services: ChatServices, routing: EventRouting): () => void {
  const detach: Array<() => void> = [];
  const on = <K extends keyof ChatEventMap>(name: K, handler: (...args: ChatEventMap[K]) => void) => {
    services.events.on(name, handler as never);
    detach.push(() => services.events.off(name, handler as never));
  };
  const users = (audience: string[]): BrokerTarget => ({ kind: 'users', userIds: audience });
  // Message events go to the conversation's members as each node knows them: the envelope
  // names the conversation, not a member list that grows with the group.
  const members = (conversationId: string, exceptSocketId?: string): BrokerTarget =>
    exceptSocketId === undefined ? { kind: 'members', conversationId } : { kind: 'members', conversationId, exceptSocketId };
  const order = (conversationId: string, version: number | null) => (version === null ? undefined : { conversationId, version });

  on('message_created', ({ message, thread, origin }) => {
    const data = thread === undefined ? { message: compactMessage(message) } : { message: compactMessage(message), thread };
    routing.route('new_message', members(message.conversationId, origin.socketId), data, order(message.conversationId, message.version));
    routing.stopTypingOnSend(message.conversationId, message.senderId);
  });
  on('message_edited', ({ message }) =>
    routing.route('message_edited', members(message.conversationId), { message: compactMessage(message) }, order(message.conversationId, message.version)),
  );
  on('message_deleted', ({ audience, origin: _origin, ...data }) =>
    // A delete for me reaches the deleter's sockets only.
    routing.route('message_deleted', data.forEveryone ? members(data.conversationId) : users(audience), data, order(data.conversationId, data.version)),
  );
  on('reaction_updated', ({ audience: _audience, origin: _origin, ...data }) =>
    routing.route('message_reaction_updated', members(data.conversationId), data, order(data.conversationId, data.version)),
  );
  // Pins change no message, so they carry no version: a client that missed some reloads the list (`list_pins`) after a resync.
  on('message_pinned', ({ audience: _audience, origin: _origin, ...data }) => routing.route('message_pinned', members(data.conversationId), data));
  on('message_unpinned', ({ audience: _audience, origin: _origin, ...data }) => routing.route('message_unpinned', members(data.conversationId), data));
  on('messages_read', ({ audience: _audience, origin: _origin, ...data }) => routing.route('messages_read', members(data.conversationId), data));
  on('read_position_changed', ({ audience, origin: _origin, ...data }) => routing.route('read_position_changed', users(audience), data));
  // Internal: each node pushes the reader's new thread_unread_changed to its own sockets.
  on('thread_read', ({ audience, origin: _origin, ...data }) => routing.route(THREAD_READ, users(audience), data));
  on('conversation_updated', ({ audience, origin: _origin, ...data }) => routing.route('conversation_updated', users(audience), data));
  on('membership_changed', ({ conversationId, removed }) => {
    for (const userId of removed) routing.evict(userId, conversationId);
    routing.publish({ origin: routing.nodeId, event: MEMBERSHIP_CHANGED, target: { kind: 'nodes' }, data: { conversationId, removed } });
  });
  return () => {
    for (const off of detach.splice(0)) off();
  };
}
