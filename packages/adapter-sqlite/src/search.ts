import type { SearchStoreMethods, MessageStats, MessageType, SearchQuery, SearchResult } from '@parley/core';
import { escapeLike, foldText } from '@parley/core/adapter-kit';
import type { MessageRow } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

/**
 * FTS5 match expression from already-folded words: each word quoted as a string and made a
 * prefix (`"word"*`), all required. Words hold only letters and digits, so no FTS operator,
 * quote or column filter can come from user text.
 */
export function ftsExpression(terms: string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"*`).join(' ');
}

/**
 * Ranked search over the caller's conversations: bm25 on the FTS index when the query has
 * words; otherwise (an emoji, punctuation) a literal substring match on the folded text.
 * Facets are counted over the whole match set, not only the page.
 */
function searchMessages({ db, reactions, search }: SqliteContext, userId: string, query: SearchQuery): SearchResult {
  // Messages committed but not yet indexed are indexed now: a search sees every stored message.
  search.flush();
  const params: Record<string, unknown> = { user: userId };
  const where = [
    'm.deleted_for_everyone = 0',
    "m.type <> 'system'",
    'NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.message_id = m.id AND h.user_id = @user)',
  ];
  let from: string;
  let rank: string;
  if (query.terms.length > 0) {
    from = 'message_search s JOIN messages m ON m.rowid = s.rowid';
    where.push('message_search MATCH @match');
    params.match = ftsExpression(query.terms);
    rank = 'bm25(message_search)';
  } else {
    from = 'messages m';
    where.push(`parley_fold(m.content) LIKE @like ESCAPE '\\'`);
    params.like = `%${escapeLike(foldText(query.text.trim()))}%`;
    rank = '-1.0';
  }
  from += ' JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = @user';
  const filters = [
    ['conversationId', 'm.conversation_id ='],
    ['senderId', 'm.sender_id ='],
    ['type', 'm.type ='],
    ['from', 'm.created_at >='],
    ['to', 'm.created_at <='],
  ] as const;
  for (const [name, condition] of filters) {
    if (query[name] === undefined) continue;
    where.push(`${condition} @${name}`);
    params[name] = query[name];
  }
  const hits = `SELECT m.*, ${rank} AS rank FROM ${from} WHERE ${where.join(' AND ')}`;
  const page = db
    .prepare(`WITH hits AS (${hits}) SELECT * FROM hits ORDER BY rank, created_at DESC, id LIMIT @limit OFFSET @offset`)
    .all({ ...params, limit: query.limit, offset: query.offset }) as Array<MessageRow & { rank: number }>;
  const facet = <K extends string>(column: string) =>
    db
      .prepare(`WITH hits AS (${hits}) SELECT ${column} AS key, COUNT(*) AS count FROM hits GROUP BY ${column} ORDER BY count DESC, key`)
      .all(params) as Array<{ key: K; count: number }>;
  const conversations = facet<string>('conversation_id');
  const messages = reactions.messages(page);
  return {
    items: messages.map((message, i) => ({ message, score: -page[i]!.rank })),
    total: conversations.reduce((n, c) => n + c.count, 0),
    nextCursor: null,
    facets: {
      conversations: conversations.map((c) => ({ conversationId: c.key, count: c.count })),
      senders: facet<string>('sender_id').map((c) => ({ senderId: c.key, count: c.count })),
      types: facet<MessageType>('type').map((c) => ({ type: c.key, count: c.count })),
    },
  };
}

/** Search and per-conversation statistics on SQLite. */
export function sqliteSearch(context: SqliteContext): SearchStoreMethods {
  const { sql } = context;
  return {
    async searchMessages(userId, query) {
      return searchMessages(context, userId, query);
    },

    async getMessageStats(conversationId): Promise<MessageStats> {
      const live = 'FROM messages WHERE conversation_id = ? AND deleted_for_everyone = 0';
      const byType = sql(`SELECT type, COUNT(*) AS n ${live} GROUP BY type`).all(conversationId) as Array<{ type: MessageType; n: number }>;
      const bySender = sql(`SELECT sender_id, COUNT(*) AS n ${live} GROUP BY sender_id ORDER BY n DESC, sender_id`).all(conversationId) as Array<{
        sender_id: string;
        n: number;
      }>;
      const span = sql(`SELECT MIN(created_at) AS first, MAX(created_at) AS last ${live}`).get(conversationId) as { first: string | null; last: string | null };
      return {
        conversationId,
        total: byType.reduce((n, r) => n + r.n, 0),
        byType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
        bySender: bySender.map((r) => ({ senderId: r.sender_id, count: r.n })),
        firstMessageAt: span.first,
        lastMessageAt: span.last,
      };
    },
  };
}
