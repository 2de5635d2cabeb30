import type { Conversation, ConversationRecord, Member, MemberRole, Message, MessageType, ReactionSummary } from '@parley/core';
import type { Database, Statement } from 'better-sqlite3';

/** Columns as stored. */
export interface MessageRow {
  rowid: number;
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  type: MessageType;
  content: string | null;
  reply_to_id: string | null;
  attachments: string;
  metadata: string | null;
  client_message_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
  deleted_for_everyone: number;
  version: number;
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

export function toMessage(row: MessageRow, reactions: ReactionSummary[]): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    type: row.type,
    content: row.content,
    replyToId: row.reply_to_id,
    attachments: JSON.parse(row.attachments) as Message['attachments'],
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    clientMessageId: row.client_message_id,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    deletedForEveryone: row.deleted_for_everyone === 1,
    reactions,
    version: row.version,
  };
}

/**
 * Reads reactions for many messages in one query (ids passed as a JSON array) and attaches
 * them: emoji in the order first added, users likewise.
 */
export class ReactionLoader {
  private readonly statement: Statement<[string], { message_id: string; emoji: string; user_id: string }>;

  constructor(db: Database) {
    this.statement = db.prepare(
      `SELECT message_id, emoji, user_id FROM reactions
       WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    );
  }

  messages(rows: MessageRow[]): Message[] {
    if (rows.length === 0) return [];
    const byMessage = new Map<string, Map<string, string[]>>();
    for (const r of this.statement.all(JSON.stringify(rows.map((row) => row.id)))) {
      let byEmoji = byMessage.get(r.message_id);
      if (byEmoji === undefined) {
        byEmoji = new Map();
        byMessage.set(r.message_id, byEmoji);
      }
      const users = byEmoji.get(r.emoji);
      if (users === undefined) byEmoji.set(r.emoji, [r.user_id]);
      else users.push(r.user_id);
    }
    return rows.map((row) =>
      toMessage(
        row,
        [...(byMessage.get(row.id)?.entries() ?? [])].map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds })),
      ),
    );
  }

  message(row: MessageRow | undefined): Message | null {
    return row === undefined ? null : this.messages([row])[0]!;
  }
}
