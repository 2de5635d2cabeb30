import type { MessageStats, MessageType, SearchResult, SearchStoreMethods } from '@parley/core';
import { escapeLike, foldText } from '@parley/core/adapter-kit';
import type { Database } from './database.js';
import { MESSAGE_COLUMNS, messageFromJson } from './rows.js';

/**
 * The query as tsquery: each word (already split by the service into letters and digits)
 * folded by the database's own `fold` — the same function that built the index — stripped
 * of anything but letters and digits, quoted as a lexeme and made a prefix, all required. No
 * user text ever reaches tsquery syntax.
 */
const TSQUERY = `to_tsquery('simple', (
  SELECT string_agg(quote_literal(w) || ':*', ' & ')
  FROM (SELECT regexp_replace({s}.fold(t), '[^[:alnum:]]+', '', 'g') AS w FROM unnest($2::text[]) t) words
  WHERE w <> ''))`;

/** Full-text search (tsvector + GIN, ranked) and per-conversation statistics on Postgres. */
export function pgSearch(db: Database): SearchStoreMethods {
  return {
    async searchMessages(userId, query): Promise<SearchResult> {
      const values: unknown[] = [userId, query.terms];
      const param = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      const where = [
        'NOT m.deleted_for_everyone',
        "m.type <> 'system'",
        'NOT EXISTS (SELECT 1 FROM {s}.hidden_messages h WHERE h.message_id = m.id AND h.user_id = $1)',
      ];
      let rank: string;
      if (query.terms.length > 0) {
        where.push('m.search @@ q.query');
        rank = 'ts_rank(m.search, q.query)';
      } else {
        // No words (an emoji, punctuation): a literal substring of the folded text.
        where.push(`{s}.fold(m.content) LIKE ${param(`%${escapeLike(foldText(query.text.trim()))}%`)} ESCAPE '\\'`);
        rank = '1.0';
      }
      for (const [name, condition] of [
        ['conversationId', 'm.conversation_id ='],
        ['senderId', 'm.sender_id ='],
        ['type', 'm.type ='],
        ['from', 'm.created_at >='],
        ['to', 'm.created_at <='],
      ] as const) {
        if (query[name] !== undefined) where.push(`${condition} ${param(query[name])}`);
      }
      const limit = param(query.limit);
      const offset = param(query.offset);
      const row = await db.one<{
        page: Array<Record<string, unknown> & { rank: number }> | null;
        conversations: Array<{ key: string; count: number }> | null;
        senders: Array<{ key: string; count: number }> | null;
        types: Array<{ key: MessageType; count: number }> | null;
      }>(
        `WITH q AS (SELECT ${query.terms.length > 0 ? TSQUERY : 'NULL::tsquery'} AS query, $2::text[] AS terms),
         hits AS (
           SELECT ${MESSAGE_COLUMNS}, ${rank} AS rank FROM {s}.messages m
           JOIN {s}.members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = $1, q
           WHERE ${where.join(' AND ')}
         ),
         page AS (SELECT * FROM hits ORDER BY rank DESC, created_at DESC, id LIMIT ${limit} OFFSET ${offset}),
         facet AS (SELECT conversation_id, sender_id, type FROM hits)
         SELECT (SELECT json_agg(p ORDER BY p.rank DESC, p.created_at DESC, p.id) FROM page p) AS page,
                (SELECT json_agg(json_build_object('key', k, 'count', n) ORDER BY n DESC, k) FROM (SELECT conversation_id AS k, count(*) AS n FROM facet GROUP BY 1) f) AS conversations,
                (SELECT json_agg(json_build_object('key', k, 'count', n) ORDER BY n DESC, k) FROM (SELECT sender_id AS k, count(*) AS n FROM facet GROUP BY 1) f) AS senders,
                (SELECT json_agg(json_build_object('key', k, 'count', n) ORDER BY n DESC, k) FROM (SELECT type AS k, count(*) AS n FROM facet GROUP BY 1) f) AS types`,
        values,
      );
      const conversations = row?.conversations ?? [];
      return {
        items: (row?.page ?? []).map((hit) => ({ message: messageFromJson(hit), score: hit.rank })),
        total: conversations.reduce((n, c) => n + c.count, 0),
        nextCursor: null,
        facets: {
          conversations: conversations.map((c) => ({ conversationId: c.key, count: c.count })),
          senders: (row?.senders ?? []).map((c) => ({ senderId: c.key, count: c.count })),
          types: (row?.types ?? []).map((c) => ({ type: c.key, count: c.count })),
        },
      };
    },

    async getMessageStats(conversationId): Promise<MessageStats> {
      const row = await db.one<{ by_type: Record<string, number> | null; by_sender: Array<{ senderId: string; count: number }> | null; first: string | null; last: string | null }>(
        `WITH live AS (SELECT type, sender_id, created_at FROM {s}.messages WHERE conversation_id = $1 AND NOT deleted_for_everyone)
         SELECT (SELECT json_object_agg(type, n) FROM (SELECT type, count(*) AS n FROM live GROUP BY type) t) AS by_type,
                (SELECT json_agg(json_build_object('senderId', sender_id, 'count', n) ORDER BY n DESC, sender_id)
                   FROM (SELECT sender_id, count(*) AS n FROM live GROUP BY sender_id) s) AS by_sender,
                (SELECT min(created_at) FROM live) AS first, (SELECT max(created_at) FROM live) AS last`,
        [conversationId],
      );
      const byType = row?.by_type ?? {};
      return {
        conversationId,
        total: Object.values(byType).reduce((n, c) => n + c, 0),
        byType,
        bySender: row?.by_sender ?? [],
        firstMessageAt: row?.first ?? null,
        lastMessageAt: row?.last ?? null,
      };
    },
  };
}
