import type { Message, MessageType, ReactionSummary } from '@parley/core';
import { messageFromRow } from '@parley/core/adapter-kit';
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
  thread_id: string | null;
  also_to_conversation: number;
  reply_count: number;
  last_reply_at: string | null;
  thread_participants: string | null;
  mentions: string | null;
  mention_everyone: number;
}

export type { ConversationRow, MemberRow } from '@parley/core/adapter-kit';

/** A stored message as Parley's other stores see it: JSON decoded, the flag a boolean. */
export function toMessage(row: MessageRow, reactions: ReactionSummary[]): Message {
  return messageFromRow(
    {
      ...row,
      attachments: JSON.parse(row.attachments) as Message['attachments'],
      metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
      deleted_for_everyone: row.deleted_for_everyone === 1,
      also_to_conversation: row.also_to_conversation === 1,
      thread_participants: row.thread_participants === null ? null : (JSON.parse(row.thread_participants) as string[]),
      mentions: row.mentions === null ? [] : (JSON.parse(row.mentions) as string[]),
      mention_everyone: row.mention_everyone === 1,
    },
    reactions,
  );
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
