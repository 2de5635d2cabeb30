import { EventEmitter } from 'eventemitter3';
import type { Pin } from '../domain/pins.js';
import type { Message, ReactionSummary, ThreadSummary } from '../domain/types.js';
import { silentLogger, type Logger } from '../util/logger.js';

/** Who caused a change, so the realtime hub can answer the acting socket differently. */
export interface ActionContext {
  /** The socket that sent the request, when it came over WebSocket. */
  socketId?: string;
  /**
   * Called by a send once its place among the conversation's messages is fixed (it is queued
   * for storage), so the connection may start on its next frame without reordering them.
   */
  onQueued?: () => void;
}

/** Every event carries `audience`: the user ids whose sockets must receive it. */
interface Audience {
  audience: string[];
  origin: ActionContext;
}

export type ConversationUpdateType =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'members_added'
  | 'member_removed'
  | 'member_left'
  | 'role_changed'
  | 'archived'
  | 'unarchived'
  | 'muted'
  | 'unmuted'
  | 'member_banned'
  | 'member_unbanned'
  | 'member_silenced'
  | 'member_unsilenced'
  | 'slow_mode_changed'
  | 'message_reported'
  | 'report_resolved'
  /** Retention removed the conversation's oldest messages: `data.truncatedBefore` is the lowest seq left. */
  | 'history_truncated'
  /** The host set or cleared the conversation's own retention: `data.retentionSeconds`. */
  | 'retention_changed';

export interface ChatEventMap {
  /** `thread`: for a thread reply, its root's summary after the insert. */
  message_created: [event: Audience & { message: Message; clientMessageId: string | null; thread?: ThreadSummary }];
  /** A user moved their read position in a thread; only their own devices hear of it. */
  thread_read: [event: Audience & { conversationId: string; threadId: string; userId: string; lastReadSeq: number; markedCount: number }];
  message_edited: [event: Audience & { message: Message }];
  /** `version`: the conversation's change counter after the delete; null when nothing changed. */
  message_deleted: [event: Audience & { conversationId: string; messageId: string; forEveryone: boolean; deletedBy: string; version: number | null; /** Set when the message is a thread reply. */ threadId?: string }];
  reaction_updated: [
    event: Audience & {
      conversationId: string;
      messageId: string;
      reactions: ReactionSummary[];
      userId: string;
      emoji: string;
      action: 'added' | 'removed';
      /** The message's version after the change. */
      version: number;
    },
  ];
  /** A message was pinned, or its pin was replaced (another expiry, by another member). */
  message_pinned: [event: Audience & { conversationId: string; pin: Pin }];
  /** A pin was removed by a member. A delete for everyone removes a pin too, announced as `message_deleted` only. */
  message_unpinned: [event: Audience & { conversationId: string; messageId: string; unpinnedBy: string }];
  messages_read: [event: Audience & { conversationId: string; userId: string; lastReadSeq: number; markedCount: number }];
  /** A member moved their read position back ("mark as unread"); only their own devices hear of it. */
  read_position_changed: [event: Audience & { conversationId: string; userId: string; lastReadSeq: number }];
  conversation_updated: [event: Audience & { conversationId: string; updateType: ConversationUpdateType; data: Record<string, unknown> }];
  /** Membership changed: caches and room subscriptions must follow. */
  membership_changed: [event: { conversationId: string; added: string[]; removed: string[] }];
}

/**
 * The services' typed event bus; the realtime hub and hosts subscribe to it (the "after"
 * side of the hooks). It is emitted once a change is stored, so a listener that throws, or an
 * async one that rejects, is logged and never fails the request that caused the change.
 */
export class ChatEvents extends EventEmitter<ChatEventMap> {
  constructor(private readonly logger: Logger = silentLogger) {
    super();
  }

  override emit<E extends keyof ChatEventMap>(event: E, ...args: EventEmitter.ArgumentMap<ChatEventMap>[Extract<E, keyof ChatEventMap>]): boolean {
    const listeners = this.listeners(event);
    for (const listener of listeners) {
      try {
        const result = (listener as (...a: unknown[]) => unknown)(...args);
        if (result instanceof Promise) result.catch((error: unknown) => this.failed(event, error));
      } catch (error) {
        this.failed(event, error);
      }
    }
    return listeners.length > 0;
  }

  /** `emit` above calls listeners itself, so one-time listeners remove themselves here. */
  override once<E extends keyof ChatEventMap>(event: E, listener: EventEmitter.EventListener<ChatEventMap, E>, context?: unknown): this {
    const once = ((...args: unknown[]) => {
      this.off(event, once);
      return (listener as (...a: unknown[]) => unknown).apply(context, args);
    }) as EventEmitter.EventListener<ChatEventMap, E>;
    return this.on(event, once);
  }

  private failed(event: string, error: unknown): void {
    this.logger.error('a chat event listener failed', { event, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}
