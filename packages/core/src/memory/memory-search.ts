import type { SearchStoreMethods } from '../adapters/chat-store.js';
import type { MessageStats, SearchResult } from '../domain/types.js';
import { countBy, tally } from '../util/collections.js';
import { foldText } from '../util/text.js';
import type { MemoryRows, MessageRow } from './memory-database.js';

/** Search and statistics of the memory store. */
export function memorySearch(rows: MemoryRows): SearchStoreMethods {
  const { db } = rows;
  return {
    async searchMessages(userId, query): Promise<SearchResult> {
      const needle = foldText(query.text.trim());
      const matches: Array<{ row: MessageRow; score: number }> = [];
      for (const conversationId of db.userConversations.get(userId) ?? []) {
        if (query.conversationId !== undefined && conversationId !== query.conversationId) continue;
        for (const row of db.timeline.get(conversationId) ?? []) {
          if (row.deletedForEveryone || row.content === null || row.type === 'system' || rows.isHidden(row.id, userId)) continue;
          if (query.senderId !== undefined && row.senderId !== query.senderId) continue;
          if (query.type !== undefined && row.type !== query.type) continue;
          if (query.from !== undefined && row.createdAt < query.from) continue;
          if (query.to !== undefined && row.createdAt > query.to) continue;
          const score = scoreText(foldText(row.content), query.terms, needle);
          if (score > 0) matches.push({ row, score });
        }
      }
      matches.sort((a, b) => b.score - a.score || b.row.createdAt.localeCompare(a.row.createdAt) || a.row.id.localeCompare(b.row.id));
      const page = matches.slice(query.offset, query.offset + query.limit);
      const matched = matches.map((m) => m.row);
      return {
        items: page.map((m) => ({ message: rows.present(m.row), score: m.score })),
        total: matches.length,
        nextCursor: null,
        facets: {
          conversations: tally(matched, (r) => r.conversationId).map(([conversationId, count]) => ({ conversationId, count })),
          senders: tally(matched, (r) => r.senderId).map(([senderId, count]) => ({ senderId, count })),
          types: tally(matched, (r) => r.type).map(([type, count]) => ({ type, count })),
        },
      };
    },

    async getMessageStats(conversationId): Promise<MessageStats> {
      const live = (db.timeline.get(conversationId) ?? []).filter((r) => !r.deletedForEveryone);
      return {
        conversationId,
        total: live.length,
        byType: countBy(live, (r) => r.type),
        bySender: tally(live, (r) => r.senderId).map(([senderId, count]) => ({ senderId, count })),
        firstMessageAt: live[0]?.createdAt ?? null,
        lastMessageAt: live[live.length - 1]?.createdAt ?? null,
      };
    },
  };
}

/**
 * Every term must start a word of the text (a prefix match, as FTS5's `"term"*`); the score
 * grows with matches and shrinks with length, which orders results as bm25 roughly does.
 * Without terms (an emoji, punctuation only) it falls back to a literal substring match.
 */
function scoreText(folded: string, terms: string[], needle: string): number {
  if (terms.length === 0) return needle !== '' && folded.includes(needle) ? 1 : 0;
  const words = folded.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
  let hits = 0;
  for (const term of terms) {
    const n = words.filter((w) => w.startsWith(term)).length;
    if (n === 0) return 0;
    hits += n;
  }
  return hits / Math.sqrt(words.length + 1);
}
