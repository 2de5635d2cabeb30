import type { ConversationRecord, NewMessage, UnreadState, UnreadSummary } from '../adapters/chat-store.js';
import type { PinRecord } from '../domain/pins.js';
import type { AttachmentRecord, AttachmentStatus, AuditAction, AuditEntry, Ban, Report, ReportResolution, ReportStatus, Conversation, Member, MemberRole, Message, MessageType, ReactionSummary, ThreadReadState } from '../domain/types.js';

/**
 * Rows as Parley's SQL stores name their columns, and the domain objects they become. A
 * store decodes what its database cannot hand back as is (JSON text, 0/1 booleans, bigints
 * as text, timestamps) before mapping; the mapping itself is written once.
 */
export interface ConversationRow {
  id: string;
  type: 'direct' | 'group';
  name: string | null;
  description: string | null;
  avatar_url: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  last_seq: number;
  version: number;
  slow_mode_seconds: number;
  /** Added by a later migration: absent from rows read before it. */
  retention_seconds?: number | null;
  last_message_id: string | null;
}

export interface MemberRow {
  conversation_id: string;
  user_id: string;
  role: MemberRole;
  joined_at: string;
  last_read_seq: number;
  last_read_at: string | null;
  muted_until: string | null;
  archived_at: string | null;
  silenced_until: string | null;
}

/** A message row with its JSON decoded and its flag a boolean. */
export interface DecodedMessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  type: MessageType;
  content: string | null;
  reply_to_id: string | null;
  attachments: Message['attachments'];
  metadata: Record<string, unknown> | null;
  client_message_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
  deleted_for_everyone: boolean;
  version: number;
  /** Threads and mentions (optional: a store without them yet reads as no thread, no mention). */
  thread_id?: string | null;
  also_to_conversation?: boolean;
  reply_count?: number;
  last_reply_at?: string | null;
  thread_participants?: string[] | null;
  mentions?: string[] | null;
  mention_everyone?: boolean;
}

export function memberFromRow(row: MemberRow): Member {
  return {
    conversationId: row.conversation_id,
    userId: row.user_id,
    role: row.role,
    joinedAt: row.joined_at,
    lastReadSeq: row.last_read_seq,
    lastReadAt: row.last_read_at,
    mutedUntil: row.muted_until,
    archivedAt: row.archived_at,
    silencedUntil: row.silenced_until,
  };
}

export function conversationRecordFromRow(row: ConversationRow): ConversationRecord {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    description: row.description,
    avatarUrl: row.avatar_url,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSeq: row.last_seq,
    version: row.version,
    slowModeSeconds: Number(row.slow_mode_seconds ?? 0),
    retentionSeconds: row.retention_seconds === undefined || row.retention_seconds === null ? null : Number(row.retention_seconds),
  };
}

export function conversationFromRow(row: ConversationRow, lastMessage: Message | null): Conversation {
  return { ...conversationRecordFromRow(row), lastMessage };
}

export function messageFromRow(row: DecodedMessageRow, reactions: ReactionSummary[]): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    type: row.type,
    content: row.content,
    replyToId: row.reply_to_id,
    attachments: row.attachments,
    metadata: row.metadata,
    clientMessageId: row.client_message_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    deletedForEveryone: row.deleted_for_everyone,
    reactions,
    version: row.version,
    threadId: row.thread_id ?? null,
    alsoToConversation: row.also_to_conversation ?? false,
    thread:
      row.reply_count === undefined || Number(row.reply_count) === 0
        ? null
        : { replyCount: Number(row.reply_count), lastReplyAt: row.last_reply_at ?? null, participantIds: row.thread_participants ?? [] },
    mentions: row.mentions ?? [],
    mentionEveryone: row.mention_everyone ?? false,
  };
}

/** A message just inserted, as the insert's input plus the seq and version the store gave it. */
export function insertedMessage(input: NewMessage, seq: number, version: number): Message {
  return {
    id: input.id,
    conversationId: input.conversationId,
    seq,
    senderId: input.senderId,
    type: input.type,
    content: input.content,
    replyToId: input.replyToId,
    attachments: input.attachments,
    metadata: input.metadata,
    clientMessageId: input.clientMessageId,
    createdAt: input.createdAt,
    editedAt: null,
    deletedAt: null,
    deletedForEveryone: false,
    reactions: [],
    version,
    threadId: input.threadId ?? null,
    alsoToConversation: input.threadId == null ? false : (input.alsoToConversation ?? false),
    thread: null,
    mentions: input.mentions ?? [],
    mentionEveryone: input.mentionEveryone ?? false,
  };
}

/** Summaries in the order asked for, members only, from rows keyed by user. */
export function summariesInOrder(userIds: string[], rows: Array<{ user_id: string; unread: number; first: number | null; total: number; mentioned?: number }>): UnreadSummary[] {
  const byUser = new Map(rows.map((r) => [r.user_id, r]));
  return userIds.flatMap((userId) => {
    const row = byUser.get(userId);
    return row === undefined
      ? []
      : [{ userId, unreadCount: Number(row.unread), firstUnreadSeq: row.first === null ? null : Number(row.first), totalUnread: Number(row.total), mentionCount: Number(row.mentioned ?? 0) }];
  });
}

/** A row of `unreadStates` (both SQL stores hand back numbers and ISO text: Postgres parses bigints and timestamps). */
export interface UnreadStateRow {
  conversation_id: string;
  unread: number;
  first: number | null;
  mentioned: number;
  archived_at: string | null;
  last_seq: number;
}

export function unreadStateFromRow(row: UnreadStateRow): UnreadState {
  return {
    conversationId: row.conversation_id,
    unreadCount: row.unread,
    firstUnreadSeq: row.first,
    mentionCount: row.mentioned,
    archived: row.archived_at !== null,
    lastSeq: row.last_seq,
  };
}

/** A pin row (`pins`), timestamps as ISO text. */
export interface PinRow {
  message_id: string;
  conversation_id: string;
  pinned_by: string;
  pinned_at: string;
  expires_at: string | null;
}

export function pinFromRow(row: PinRow): PinRecord {
  return { conversationId: row.conversation_id, messageId: row.message_id, pinnedBy: row.pinned_by, pinnedAt: row.pinned_at, expiresAt: row.expires_at };
}

/** A follower's thread read state (`thread_reads` with the unread replies counted as `unread`). */
export interface ThreadReadStateRow {
  conversation_id: string;
  thread_id: string;
  user_id: string;
  last_read_seq: number;
  unread: number;
}

export function threadReadStateFromRow(row: ThreadReadStateRow): ThreadReadState {
  return { conversationId: row.conversation_id, threadId: row.thread_id, userId: row.user_id, lastReadSeq: row.last_read_seq, unreadCount: row.unread };
}

/** An attachment row, timestamps as ISO text and `size` a number (Postgres hands back bigint as text). */
export interface AttachmentRow {
  id: string;
  conversation_id: string;
  uploader_id: string;
  storage_key: string;
  name: string;
  declared_type: string;
  mime_type: string | null;
  size: number;
  status: AttachmentStatus;
  message_id: string | null;
  created_at: string;
  completed_at: string | null;
  expires_at: string;
}

export function attachmentFromRow(row: AttachmentRow): AttachmentRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    uploaderId: row.uploader_id,
    storageKey: row.storage_key,
    name: row.name,
    declaredType: row.declared_type,
    mimeType: row.mime_type,
    size: Number(row.size),
    status: row.status,
    messageId: row.message_id,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    expiresAt: row.expires_at,
  };
}

/** The columns of `attachmentFromRow`'s row, in the order `attachmentValues` lists them. */
export const ATTACHMENT_COLUMNS =
  'id, conversation_id, uploader_id, storage_key, name, declared_type, mime_type, size, status, message_id, created_at, completed_at, expires_at';

export function attachmentValues(a: AttachmentRecord): unknown[] {
  return [a.id, a.conversationId, a.uploaderId, a.storageKey, a.name, a.declaredType, a.mimeType, a.size, a.status, a.messageId, a.createdAt, a.completedAt, a.expiresAt];
}

export interface BanRow {
  conversation_id: string;
  user_id: string;
  banned_by: string;
  reason: string | null;
  created_at: string;
  expires_at: string | null;
}

export function banFromRow(row: BanRow): Ban {
  return {
    conversationId: row.conversation_id,
    userId: row.user_id,
    bannedBy: row.banned_by,
    reason: row.reason,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export interface ReportRow {
  id: string;
  conversation_id: string;
  message_id: string;
  reporter_id: string;
  reason: string;
  note: string | null;
  status: ReportStatus;
  created_at: string;
  resolved_by: string | null;
  resolved_at: string | null;
  resolution: ReportResolution | null;
}

export const REPORT_COLUMNS = 'id, conversation_id, message_id, reporter_id, reason, note, status, created_at, resolved_by, resolved_at, resolution';

export function reportFromRow(row: ReportRow): Report {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    reporterId: row.reporter_id,
    reason: row.reason,
    note: row.note,
    status: row.status,
    createdAt: row.created_at,
    resolvedBy: row.resolved_by,
    resolvedAt: row.resolved_at,
    resolution: row.resolution,
  };
}

export function reportValues(r: Report): unknown[] {
  return [r.id, r.conversationId, r.messageId, r.reporterId, r.reason, r.note, r.status, r.createdAt, r.resolvedBy, r.resolvedAt, r.resolution];
}

/** An audit row with its `data` decoded (SQLite keeps JSON text, Postgres jsonb). */
export interface DecodedAuditRow {
  id: string;
  conversation_id: string;
  actor_id: string;
  action: AuditAction;
  target_user_id: string | null;
  message_id: string | null;
  data: Record<string, unknown> | null;
  created_at: string;
}

export const AUDIT_COLUMNS = 'id, conversation_id, actor_id, action, target_user_id, message_id, data, created_at';

export function auditFromRow(row: DecodedAuditRow): AuditEntry {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    actorId: row.actor_id,
    action: row.action,
    targetUserId: row.target_user_id,
    messageId: row.message_id,
    data: row.data,
    createdAt: row.created_at,
  };
}

/** Values in AUDIT_COLUMNS order, `data` as JSON text. */
export function auditValues(e: AuditEntry): unknown[] {
  return [e.id, e.conversationId, e.actorId, e.action, e.targetUserId, e.messageId, e.data === null ? null : JSON.stringify(e.data), e.createdAt];
}
