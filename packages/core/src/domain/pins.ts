import type { Message } from './types.js';

/** A pin as the store keeps it: who pinned which message of a conversation, when, and until when. */
export interface PinRecord {
  conversationId: string;
  messageId: string;
  pinnedBy: string;
  pinnedAt: string;
  /** After this instant the pin no longer counts or shows; null: until unpinned. */
  expiresAt: string | null;
}

/** A pin with its message as it is now (members see pins of messages they hid for themselves too). */
export interface Pin extends PinRecord {
  message: Message;
}

/** What `ChatStore.pinMessage` decided, under the conversation's lock. */
export type PinOutcome =
  | { status: 'pinned'; pin: Pin; /** The message was pinned already: who, when and until when were replaced. */ replaced: boolean }
  /** The conversation holds `maxPins` pins in force already. */
  | { status: 'limit' }
  /** No such message in this conversation, or it was deleted for everyone. */
  | { status: 'not_found' };
