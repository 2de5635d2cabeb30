import type { Conversation, ConversationRecord, Member, MemberRole, Message, MessageType, ReactionSummary } from '@parley/core';

/** Every column of a message, with its reactions summarised (emoji by earliest current reaction, users in order). */
export const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.seq, m.sender_id, m.type, m.content, m.reply_to_id, m.attachments,
  m.metadata, m.client_message_id, m.created_at, m.edited_at, m.deleted_at, m.deleted_for_everyone, m.version,
  COALESCE((SELECT json_agg(json_build_object('emoji', r.emoji, 'count', r.n, 'userIds', r.users) ORDER BY r.first)
            FROM (SELECT emoji, count(*)::int AS n, array_agg(user_id ORDER BY id) AS users, min(id) AS first
                  FROM {s}.reactions WHERE message_id = m.id GROUP BY emoji) r), '[]'::json) AS reactions`;

export interface MessageRow {
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
  reactions: ReactionSummary[];
}

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
}

/** A message read as JSON (row_to_json, json_agg): its timestamps as Postgres writes them, made ISO. */
export function messageFromJson(row: Record<string, unknown>): Message {
  const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string).toISOString());
  return toMessage({ ...(row as unknown as MessageRow), created_at: iso(row.created_at)!, edited_at: iso(row.edited_at), deleted_at: iso(row.deleted_at) });
}

export function toMessage(row: MessageRow): Message {
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
    reactions: row.reactions,
    version: row.version,
  };
}

export function toConversationRecord(row: ConversationRow): ConversationRecord {
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
  };
}

export function toConversation(row: ConversationRow, lastMessage: Message | null): Conversation {
  return { ...toConversationRecord(row), lastMessage };
}

export function toMember(row: MemberRow): Member {
  return {
    conversationId: row.conversation_id,
    userId: row.user_id,
    role: row.role,
    joinedAt: row.joined_at,
    lastReadSeq: row.last_read_seq,
    lastReadAt: row.last_read_at,
    mutedUntil: row.muted_until,
    archivedAt: row.archived_at,
  };
}
