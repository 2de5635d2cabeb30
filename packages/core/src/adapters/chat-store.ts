import type {
  ChangesSince,
  Conversation,
  ConversationListItem,
  ConversationStats,
  ConversationType,
  Member,
  MemberRole,
  Message,
  MessagePage,
  MessageStats,
  MessageType,
  SearchResult,
} from '../domain/types.js';

/**
 * Storage contract. Every method is atomic on its own (one transaction where the adapter has
 * them), so services never need a transaction handle. Stores do no permission checks: the
 * services do, and then call exactly the write they need.
 */
export interface ChatStore {
  /** Creates a conversation with its first members. A direct conversation with the same
   * `directKey` is returned instead when it exists (`created: false`). */
  createConversation(input: NewConversation): Promise<{ conversation: Conversation; created: boolean }>;
  getConversation(conversationId: string): Promise<Conversation | null>;
  findDirectConversation(directKey: string): Promise<Conversation | null>;
  updateConversation(conversationId: string, patch: ConversationPatch, updatedAt: string): Promise<Conversation | null>;
  /** Removes a conversation with its members, messages, reactions and outbox rows. */
  deleteConversation(conversationId: string): Promise<void>;
  /** Ordered by last activity (updatedAt desc, id desc), starting after `after`. */
  listConversations(userId: string, query: ConversationListQuery): Promise<ConversationListItem[]>;
  getConversationStats(userId: string, now: string): Promise<ConversationStats>;
  /** Messages of others after the member's lastReadSeq, not deleted, not hidden, not system. */
  countUnread(conversationId: string, userId: string): Promise<number>;
  listUserConversationIds(userId: string): Promise<string[]>;

  getMember(conversationId: string, userId: string): Promise<Member | null>;
  /** Ordered by joinedAt, then userId: the first is the oldest member. */
  listMembers(conversationId: string): Promise<Member[]>;
  /** Adds those not yet members, their read state starting at the conversation's lastSeq. Returns the added. */
  addMembers(conversationId: string, members: MemberSeed[], joinedAt: string): Promise<Member[]>;
  /** Removes one member and, in the same transaction, applies `roleChanges` (owner hand-over). */
  removeMember(conversationId: string, userId: string, roleChanges?: MemberSeed[]): Promise<boolean>;
  /** Applies several role changes at once (transfer of ownership is two rows). */
  setMemberRoles(conversationId: string, changes: MemberSeed[]): Promise<void>;
  updateMember(conversationId: string, userId: string, patch: MemberPatch): Promise<Member | null>;

  /**
   * Stores a batch of messages in order, in one transaction. Each gets the conversation's next
   * `seq` and its next `version` (the change counter, bumped by inserts and by every change, so
   * it never falls below lastSeq); lastMessage and updatedAt move with it. A message whose (conversationId, senderId, clientMessageId) is
   * stored already is returned as stored with `created: false`, and nothing is written.
   * `notify: true` also writes a notification outbox row in the same transaction.
   */
  insertMessages(batch: NewMessage[]): Promise<InsertedMessage[]>;
  /** The message stored under this idempotency key, if any. */
  getMessageByClientId(conversationId: string, senderId: string, clientMessageId: string): Promise<Message | null>;
  /** The message as `viewerId` sees it: null when missing or hidden for that viewer. */
  getMessage(messageId: string, viewerId?: string): Promise<Message | null>;
  listMessages(conversationId: string, viewerId: string, query: MessageRange): Promise<MessagePage>;
  /** Sets content and editedAt unless the message was deleted for everyone (then null). */
  updateMessageContent(messageId: string, content: string, editedAt: string): Promise<Message | null>;
  /** Clears content, attachments, metadata and reactions; keeps the row as a tombstone. */
  deleteMessageForEveryone(messageId: string, deletedAt: string): Promise<Message | null>;
  /** Hides the message for one user; bumps the conversation's version so catch-up reports it. */
  hideMessageForUser(messageId: string, userId: string): Promise<void>;
  /** Adds the reaction, or removes it when present; refuses a new emoji past `maxDistinct`. */
  toggleReaction(messageId: string, userId: string, emoji: string, maxDistinct: number, at: string): Promise<ReactionChange>;
  removeReaction(messageId: string, userId: string, emoji: string): Promise<ReactionChange>;
  /** Moves lastReadSeq forward only, to `upToSeq` or the latest message, capped at lastSeq. */
  markRead(conversationId: string, userId: string, upToSeq: number | null, at: string): Promise<{ lastReadSeq: number; markedCount: number }>;
  getChangesSince(conversationId: string, viewerId: string, since: number, limit: number): Promise<ChangesSince>;
  searchMessages(userId: string, query: SearchQuery): Promise<SearchResult>;
  getMessageStats(conversationId: string): Promise<MessageStats>;

  claimOutbox(now: string, limit: number, leaseMs: number): Promise<OutboxEntry[]>;
  completeOutbox(ids: string[]): Promise<void>;
  /** Schedules another attempt at `nextAttemptAt`, or parks the entry as dead when null. */
  failOutbox(id: string, error: string, nextAttemptAt: string | null): Promise<void>;
  /** Counts by status, for health and tests. */
  outboxStats(): Promise<{ pending: number; dead: number }>;

  /** Resolves when the store can serve requests. */
  ping(): Promise<void>;
  close?(): Promise<void>;
}

export interface MemberSeed {
  userId: string;
  role: MemberRole;
}

export interface NewConversation {
  id: string;
  type: ConversationType;
  name: string | null;
  description: string | null;
  avatarUrl: string | null;
  createdBy: string;
  createdAt: string;
  /** For direct conversations: the sorted pair, unique across the store. */
  directKey: string | null;
  members: MemberSeed[];
}

export interface ConversationPatch {
  name?: string;
  description?: string | null;
  avatarUrl?: string | null;
}

export interface MemberPatch {
  role?: MemberRole;
  mutedUntil?: string | null;
  archivedAt?: string | null;
}

export interface ConversationListQuery {
  type?: ConversationType;
  /** true: only archived; false: only not archived; undefined: both. */
  archived?: boolean;
  /** Case-insensitive substring of name or description, taken literally. */
  search?: string;
  limit: number;
  after?: { updatedAt: string; id: string };
  /** For `muted`: mutedUntil later than now. */
  now: string;
}

/** A message as a service hands it to the store: the store adds seq, version and the rest. */
export type NewMessage = Pick<
  Message,
  'id' | 'conversationId' | 'senderId' | 'type' | 'content' | 'replyToId' | 'attachments' | 'metadata' | 'clientMessageId' | 'createdAt'
> & {
  /** Also write a notification outbox row, in the same transaction. */
  notify: boolean;
};

export interface InsertedMessage {
  message: Message;
  created: boolean;
}

export interface MessageRange {
  before?: number;
  after?: number;
  around?: number;
  limit: number;
}

export interface ReactionChange {
  action: 'added' | 'removed' | 'unchanged' | 'limit_reached';
  message: Message | null;
}

export interface SearchQuery {
  /** Words to match, already folded (lower case, no diacritics) and split by the service. */
  terms: string[];
  /** The raw text, for adapters that fall back to a substring match when `terms` is empty. */
  text: string;
  conversationId?: string;
  senderId?: string;
  type?: MessageType;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface OutboxEntry {
  id: string;
  kind: 'message';
  messageId: string;
  conversationId: string;
  attempts: number;
  createdAt: string;
}
