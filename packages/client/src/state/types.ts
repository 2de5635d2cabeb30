import type { ConversationListItem, Message, Pin } from '@parley/core/protocol';
import type { ConnectionStatus } from '../connection.js';
import type { OutboxRecord } from '../storage/outbox-storage.js';

/**
 * - `queued`: waiting for a socket (or for its turn);
 * - `sending`: sent, no answer yet;
 * - `waiting`: the server asked to wait (rate limit) or could not store it yet; resent by itself;
 * - `failed`: refused for good (`error` says why): `retry()` or `discard()` it.
 */
export type OutboxState = 'queued' | 'sending' | 'waiting' | 'failed';

/** A send not yet stored, shown after the stored messages of its conversation. */
export interface OutboxEntry extends OutboxRecord {
  state: OutboxState;
  /** Times it was put on a socket. */
  attempts: number;
  /** With `waiting`: when it goes out again (epoch ms). */
  retryAt: number | null;
  /** With `waiting`: the server's code that made it wait (`RATE_LIMITED`, `UNAVAILABLE`…), for the UI to say why. */
  waitReason: string | null;
}

/** One conversation as a list renders it. Counters come from the server, never counted here. */
export interface ConversationView {
  id: string;
  /** The row from `GET /conversations` kept up to date, or null until the list was loaded. */
  info: ConversationListItem | null;
  /** From `unread_changed` (or the list): absolute, as the server counts. */
  unreadCount: number;
  /** The seq of the first unread message ("jump to first unread"), or null. */
  firstUnreadSeq: number | null;
  /** Of the unread messages, those mentioning this user or everyone (from the server). */
  mentionCount: number;
  lastMessage: Message | null;
  lastSeq: number;
  /** This user's read position. */
  lastReadSeq: number;
  /** Read positions of members, from `messages_read` (for read receipts). */
  readPositions: Readonly<Record<string, number>>;
  /** Last activity (ISO), for ordering the list. */
  updatedAt: string | null;
}

/** Where the next catch-up starts: the highest seq held without a gap, and the change cursor. */
export interface Cursor {
  seq: number;
  version: number;
}

/** The messages held for one conversation: a contiguous run of seqs, oldest first. */
export interface MessageWindow {
  conversationId: string;
  /** Stored messages, ascending by seq, each once. */
  messages: readonly Message[];
  /** This conversation's sends not yet stored, in the order they were made. */
  pending: readonly OutboxEntry[];
  /** Older messages exist before the first one held (load them with `loadOlderMessages`). */
  hasMoreBefore: boolean;
  cursor: Cursor;
  /** Caught up with the server since the last (re)connect. */
  synced: boolean;
}

/**
 * One open thread: its root and the replies held, a run of the thread's replies ascending by
 * seq (thread seqs are the conversation's, so they have gaps; `hasMoreBefore` / `hasMoreAfter`
 * say whether the server has more on either side).
 */
export interface ThreadWindow {
  threadId: string;
  conversationId: string;
  /** The root as last seen (its `thread` summary is kept up to date), or null until loaded. */
  root: Message | null;
  messages: readonly Message[];
  /** Replies to this thread not yet stored. */
  pending: readonly OutboxEntry[];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
}

/** This user's read state in a thread they follow, from `thread_unread_changed` (absolute values). */
export interface ThreadUnread {
  conversationId: string;
  unreadCount: number;
  lastReadSeq: number;
}

export interface ParleyState {
  status: ConnectionStatus;
  /** Who the server says we are, once connected. */
  userId: string | null;
  /** Why the client gave up (`status: 'closed'`), or the last connection error. */
  error: { code: string; message: string } | null;
  conversations: Readonly<Record<string, ConversationView>>;
  /** Conversation ids by last activity, newest first. */
  conversationIds: readonly string[];
  /** Unread messages over all conversations not archived, from `unread_changed`. */
  totalUnread: number;
  /** Message windows of the conversations opened or tracked. */
  windows: Readonly<Record<string, MessageWindow>>;
  /** Who is typing, per conversation (others only; expires by itself). */
  typing: Readonly<Record<string, readonly string[]>>;
  /** Users known to be online. */
  online: Readonly<Record<string, true>>;
  /** Every send not yet stored, in order. */
  outbox: readonly OutboxEntry[];
  /** Open threads, by root id. */
  threads: Readonly<Record<string, ThreadWindow>>;
  /** Followed threads' unread counts, by root id. */
  threadUnread: Readonly<Record<string, ThreadUnread>>;
  /**
   * Pinned messages in force, newest first, of the conversations whose pins were loaded
   * (`loadPins`); kept live by `message_pinned`, `message_unpinned`, deletes and expiry.
   */
  pins: Readonly<Record<string, readonly Pin[]>>;
}

export const initialState: ParleyState = {
  status: 'closed',
  userId: null,
  error: null,
  conversations: {},
  conversationIds: [],
  totalUnread: 0,
  windows: {},
  typing: {},
  online: {},
  outbox: [],
  threads: {},
  threadUnread: {},
  pins: {},
};
