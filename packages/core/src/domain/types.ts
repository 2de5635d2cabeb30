/**
 * Domain types of SPEC §2. Timestamps are ISO-8601 strings so that every object here is
 * JSON as it stands: the same shape goes to the database adapters, REST and the wire.
 */
export type ConversationType = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';
export const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'file', 'sticker', 'location', 'contact', 'system'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** What a role may do in a conversation (see `capabilities.ts`). */
export const CAPABILITIES = [
  'send',
  'upload',
  'react',
  'editOwn',
  'deleteOwn',
  'deleteOthers',
  'pin',
  'mentionEveryone',
  'changeInfo',
  'manageMembers',
  'manageAdmins',
  'changeRoles',
  'moderate',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** What the host's `authenticate` returns. Parley stores only the id. */
export interface ChatUser {
  id: string;
  name: string;
  avatar?: string;
  status: string;
  /**
   * When the credential behind this user expires (ISO text, a Date or epoch ms): a socket is
   * closed then (4401) unless the client sends a fresh token first. `jwtAuthenticator` sets it
   * from the token's `exp`.
   */
  expiresAt?: string | number | Date;
}

/**
 * A file on a message. Either the host's own (`url`, an http(s) address Parley only stores), or
 * uploaded through Parley (`id`): then its bytes live in the `AttachmentStore`, `mimeType` was
 * sniffed from them, and members fetch a signed, expiring `url` with `getAttachmentDownload`.
 */
export interface Attachment {
  /** Set for files uploaded through Parley. */
  id?: string;
  /** Set for the host's own files: an http(s) URL. */
  url?: string;
  name: string;
  mimeType: string;
  size: number;
}

export type AttachmentStatus = 'pending' | 'complete' | 'purging';

/** An uploaded file's row in the `ChatStore`: who uploaded it, for where, and its state. */
export interface AttachmentRecord {
  id: string;
  conversationId: string;
  uploaderId: string;
  /** The key of its bytes in the `AttachmentStore`. */
  storageKey: string;
  /** Sanitised: no path, no control or bidi characters. */
  name: string;
  /** What the uploader said it is. */
  declaredType: string;
  /** What the bytes are, sniffed on completion; null while pending. */
  mimeType: string | null;
  size: number;
  /**
   * `pending` until its bytes are checked; `complete` once they are (a send may use it then);
   * `purging` once it is to be deleted (unused past `expiresAt`, or its message deleted).
   */
  status: AttachmentStatus;
  /** The message using it; each attachment belongs to at most one. */
  messageId: string | null;
  createdAt: string;
  completedAt: string | null;
  /** Deleted after this unless a message uses it by then. */
  expiresAt: string;
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  userIds: string[];
}

export interface Message {
  id: string;
  conversationId: string;
  /** Per-conversation counter: strictly increasing, no gaps as stored. All cursors use it. */
  seq: number;
  senderId: string;
  type: MessageType;
  content: string | null;
  replyToId: string | null;
  attachments: Attachment[];
  metadata: Record<string, unknown> | null;
  clientMessageId: string | null;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  deletedForEveryone: boolean;
  reactions: ReactionSummary[];
  /** The conversation's change counter at this message's last change (its seq when new). */
  version: number;
  /**
   * Set on a thread reply: the id of the thread's root (a message of the timeline). A reply
   * stays out of the conversation's timeline unless `alsoToConversation`. Every store sets
   * it (null when not a reply); optional only so that older stores keep compiling.
   */
  threadId?: string | null;
  /** A thread reply also shown in the conversation's timeline ("also send to the conversation"). */
  alsoToConversation?: boolean;
  /** On a thread's root: its replies' count, last reply time and who replied; null before the first reply. */
  thread?: ThreadSummary | null;
  /** Members mentioned by the sender (validated members, no repeats). */
  mentions?: string[];
  /** `@everyone`: every member is mentioned (needs the `mentionEveryone` capability). */
  mentionEveryone?: boolean;
}

/** What a thread's root carries, updated in the same transaction as each reply's insert. */
export interface ThreadSummary {
  replyCount: number;
  lastReplyAt: string | null;
  /** Who replied, in the order of their first reply. */
  participantIds: string[];
}

/**
 * One user's read state in one thread they follow. A user follows a thread once they reply
 * in it, start it (its root is theirs and it has a reply) or mark it read.
 */
export interface ThreadReadState {
  conversationId: string;
  threadId: string;
  userId: string;
  /** Replies up to this seq (the conversation's seq) are read. */
  lastReadSeq: number;
  /** Replies of others after lastReadSeq, not deleted and not hidden for the user. */
  unreadCount: number;
}

export interface Conversation {
  id: string;
  type: ConversationType;
  name: string | null;
  description: string | null;
  avatarUrl: string | null;
  createdBy: string;
  createdAt: string;
  /** Last activity: creation, a new message or an update of the conversation itself. */
  updatedAt: string;
  lastSeq: number;
  /** Bumped by every change to a message; `seq > N or version > N` is "changed since N". */
  version: number;
  /** Slow mode: a member (moderators excepted) sends at most one message per this many seconds; 0 is off. */
  slowModeSeconds: number;
  /**
   * The conversation's own retention: messages older than this many seconds are removed by
   * the retention job. Null: the host's global retention applies (none by default). Set by
   * the host only (`services.retention.setConversationRetention`).
   */
  retentionSeconds: number | null;
  lastMessage: Message | null;
}

export interface Member {
  conversationId: string;
  userId: string;
  role: MemberRole;
  joinedAt: string;
  lastReadSeq: number;
  lastReadAt: string | null;
  /** Their own notification mute. */
  mutedUntil: string | null;
  archivedAt: string | null;
  /** Muted by a moderator: reads, cannot send until then (`MUTED_FOREVER` for no end); null when not. */
  silencedUntil: string | null;
}

/** One row of a user's conversation list. */
export interface ConversationListItem extends Conversation {
  role: MemberRole;
  /** What the user may do here, from the capability table: a UI hides the rest. */
  capabilities: Capability[];
  unreadCount: number;
  /** The seq of the first message counting as unread ("jump to first unread"); null when none. */
  firstUnreadSeq: number | null;
  /** Unread messages (as `unreadCount` counts them) that mention the user, or everyone. */
  mentionCount?: number;
  muted: boolean;
  archived: boolean;
  lastReadSeq: number;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back as `cursor` for the next page. Null on the last page. */
  nextCursor: string | null;
}

export interface MessagePage {
  /** Ascending by seq. */
  messages: Message[];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
}

export interface ChangesSince {
  conversationId: string;
  /** New messages (seq > since.seq), ascending, one page. */
  messages: Message[];
  /** More new messages follow: ask again from the last one's seq. */
  hasMore: boolean;
  /** The conversation's latest seq. */
  lastSeq: number;
  /** Older messages (seq <= since.seq) changed since `since.version`: edits, deletes, reactions. By version. */
  changes: Message[];
  /** Messages this viewer deleted for themselves since (on another device, say): drop them. */
  hiddenIds: string[];
  /** The change cursor to send next time (with the seq of the last message held). */
  version: number;
  /** More changes follow: ask again at once from `version`. */
  hasMoreChanges: boolean;
  /**
   * Retention removed every message with a lower seq (1 when it never removed any). A client
   * drops what it holds below it; when its cursor's seq is below `truncatedBefore - 1` it fell
   * behind retention: messages it never saw are gone, so it reloads the conversation.
   */
  truncatedBefore: number;
}

export interface SearchHit {
  message: Message;
  /** Higher is better; comparable only within one result set. */
  score: number;
}

export interface SearchFacets {
  conversations: Array<{ conversationId: string; count: number }>;
  senders: Array<{ senderId: string; count: number }>;
  types: Array<{ type: MessageType; count: number }>;
}

export interface SearchResult extends Page<SearchHit> {
  total: number;
  facets: SearchFacets;
}

export interface ConversationStats {
  total: number;
  direct: number;
  group: number;
  archived: number;
  muted: number;
  unreadConversations: number;
  unreadMessages: number;
}

export interface MessageStats {
  conversationId: string;
  total: number;
  byType: Partial<Record<MessageType, number>>;
  bySender: Array<{ senderId: string; count: number }>;
  firstMessageAt: string | null;
  lastMessageAt: string | null;
}

export interface ReactionStats {
  messageId: string;
  total: number;
  reactions: ReactionSummary[];
}

export interface ReadReceiptStats {
  messageId: string;
  readCount: number;
  /** Members other than the sender. */
  memberCount: number;
  percentage: number;
  readers: Array<{ userId: string; readAt: string | null }>;
}

/** A user banned from a conversation: removed, and cannot be added again until lifted. */
export interface Ban {
  conversationId: string;
  userId: string;
  bannedBy: string;
  reason: string | null;
  createdAt: string;
  /** Null: until lifted. */
  expiresAt: string | null;
}

export type ReportStatus = 'open' | 'resolved';
export type ReportResolution = 'dismissed' | 'deleted' | 'banned';

/** A message flagged by a member, waiting in the review queue. */
export interface Report {
  id: string;
  conversationId: string;
  messageId: string;
  reporterId: string;
  reason: string;
  note: string | null;
  status: ReportStatus;
  createdAt: string;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolution: ReportResolution | null;
}

/** One moderation action: who did what to whom, and when. */
export interface AuditEntry {
  id: string;
  conversationId: string;
  actorId: string;
  action: AuditAction;
  targetUserId: string | null;
  messageId: string | null;
  data: Record<string, unknown> | null;
  createdAt: string;
}

export type AuditAction =
  | 'member_banned'
  | 'member_unbanned'
  | 'member_silenced'
  | 'member_unsilenced'
  | 'slow_mode_changed'
  | 'message_deleted'
  | 'report_resolved';
