import type { Message, ReactionSummary } from '@parley/core';
import { messageFromRow, type DecodedMessageRow } from '@parley/core/adapter-kit';

/** Every column of a message, with its reactions summarised (emoji by earliest current reaction, users in order). */
export const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.seq, m.sender_id, m.type, m.content, m.reply_to_id, m.attachments,
  m.metadata, m.client_message_id, m.created_at, m.edited_at, m.deleted_at, m.deleted_for_everyone, m.version,
  m.thread_id, m.also_to_conversation, m.reply_count, m.last_reply_at, m.thread_participants, m.mentions, m.mention_everyone,
  COALESCE((SELECT json_agg(json_build_object('emoji', r.emoji, 'count', r.n, 'userIds', r.users) ORDER BY r.first)
            FROM (SELECT emoji, count(*)::int AS n, array_agg(user_id ORDER BY id) AS users, min(id) AS first
                  FROM {s}.reactions WHERE message_id = m.id GROUP BY emoji) r), '[]'::json) AS reactions`;

export type { ConversationRow, MemberRow } from '@parley/core/adapter-kit';

/** A message row as pg hands it back (JSON already parsed) with its reactions summarised. */
export type MessageRow = DecodedMessageRow & { reactions: ReactionSummary[] };

/** A message read as JSON (row_to_json, json_agg): its timestamps as Postgres writes them, made ISO. */
export function messageFromJson(row: Record<string, unknown>): Message {
  const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string).toISOString());
  return toMessage({ ...(row as unknown as MessageRow), created_at: iso(row.created_at)!, edited_at: iso(row.edited_at), deleted_at: iso(row.deleted_at), last_reply_at: iso(row.last_reply_at) });
}

export function toMessage(row: MessageRow): Message {
  return messageFromRow(row, row.reactions);
}
