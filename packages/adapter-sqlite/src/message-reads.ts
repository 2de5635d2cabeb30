import type { ChangeCursor, ChangesSince, MessagePage, MessageRange } from '@parley/core';
import { aroundSplit } from '@parley/core/adapter-kit';
import type { MessageRow } from './rows.js';
import { VISIBLE, type SqliteContext } from './sqlite-context.js';

const BASE = `SELECT * FROM messages m WHERE m.conversation_id = @conversationId AND ${VISIBLE}`;

/** A conversation's timeline: written as the partial index `messages_timeline` is, so that it serves the page. */
export const TIMELINE = 'm.conversation_id = @conversationId AND (m.thread_id IS NULL OR m.also_to_conversation = 1)';
/** One thread's replies: the partial index `messages_by_thread` serves the page. */
export const THREAD = 'm.thread_id = @threadId';

/** Which rows a page is cut from, and the parameters that condition names. */
export interface PageScope {
  where: string;
  params: Record<string, string>;
}

/** The seq- and version-ordered reads: pages by cursor and the catch-up query, as one viewer sees them. */
export class MessageReads {
  constructor(private readonly context: SqliteContext) {}

  /** Rows of one page, ascending, with whether more visible rows lie on either side. */
  page(scope: PageScope, viewer: string, range: MessageRange): MessagePage {
    const { sql, reactions } = this.context;
    const BASE = `SELECT * FROM messages m WHERE ${scope.where} AND ${VISIBLE}`;
    const params = { ...scope.params, viewer };
    const below = (bound: number | null, inclusive: boolean, limit: number) =>
      (sql(`${BASE} ${bound === null ? '' : `AND m.seq ${inclusive ? '<=' : '<'} @bound`} ORDER BY m.seq DESC LIMIT @limit`)
        .all({ ...params, bound, limit }) as MessageRow[]).reverse();
    const above = (bound: number, limit: number) =>
      sql(`${BASE} AND m.seq > @bound ORDER BY m.seq LIMIT @limit`).all({ ...params, bound, limit }) as MessageRow[];
    let rows: MessageRow[];
    if (range.after !== undefined) rows = above(range.after, range.limit);
    else if (range.around !== undefined) {
      const lower = below(range.around, true, range.limit);
      const upper = above(range.around, range.limit);
      const split = aroundSplit(lower.length, upper.length, range.limit);
      rows = [...lower.slice(lower.length - split.below), ...upper.slice(0, split.above)];
    } else rows = below(range.before ?? null, false, range.limit);
    const exists = (condition: string, bound: number) =>
      (sql(`SELECT EXISTS (${BASE} AND ${condition}) AS e`).get({ ...params, bound }) as { e: number }).e === 1;
    const first = rows[0];
    const last = rows[rows.length - 1];
    let hasMoreBefore = false;
    let hasMoreAfter = false;
    if (first !== undefined && last !== undefined) {
      hasMoreBefore = exists('m.seq < @bound', first.seq);
      hasMoreAfter = exists('m.seq > @bound', last.seq);
    } else if (range.before !== undefined) hasMoreAfter = exists('m.seq >= @bound', range.before);
    else if (range.after !== undefined) hasMoreBefore = exists('m.seq <= @bound', range.after);
    return { messages: reactions.messages(rows), hasMoreBefore, hasMoreAfter };
  }

  /**
   * New messages after `since.seq`, and changes after `since.version` — changed messages and
   * messages hidden for the viewer, merged in version order — each stream paged on its own.
   * One read transaction, so both streams and the cursors come from one snapshot.
   */
  changesSince(conversationId: string, viewer: string, since: ChangeCursor, limit: number): ChangesSince {
    const { db, sql, reactions } = this.context;
    return db.transaction(() => {
      const params = { conversationId, viewer, seq: since.seq, version: since.version, limit: limit + 1 };
      const fresh = sql(`${BASE} AND m.seq > @seq ORDER BY m.seq LIMIT @limit`).all(params) as MessageRow[];
      const changed = sql(`${BASE} AND m.changed = 1 AND m.seq <= @seq AND m.version > @version ORDER BY m.version LIMIT @limit`).all(params) as MessageRow[];
      const hidden = sql(
        `SELECT h.message_id, h.version FROM hidden_messages h JOIN messages m ON m.id = h.message_id
         WHERE h.user_id = @viewer AND h.version > @version AND m.conversation_id = @conversationId ORDER BY h.version LIMIT @limit`,
      ).all(params) as Array<{ message_id: string; version: number }>;
      const conversation = sql('SELECT last_seq, version, purged_through_seq FROM conversations WHERE id = ?').get(conversationId) as
        | { last_seq: number; version: number; purged_through_seq: number }
        | undefined;
      const merged = [
        ...changed.map((row) => ({ version: row.version, row, hiddenId: null })),
        ...hidden.map((h) => ({ version: h.version, row: null, hiddenId: h.message_id })),
      ].sort((a, b) => a.version - b.version);
      const page = merged.slice(0, limit);
      const hasMoreChanges = merged.length > limit;
      return {
        conversationId,
        messages: reactions.messages(fresh.slice(0, limit)),
        hasMore: fresh.length > limit,
        lastSeq: conversation?.last_seq ?? 0,
        changes: reactions.messages(page.flatMap((c) => (c.row === null ? [] : [c.row]))),
        hiddenIds: page.flatMap((c) => (c.hiddenId === null ? [] : [c.hiddenId])),
        version: hasMoreChanges ? page[page.length - 1]!.version : Math.max(since.version, conversation?.version ?? 0),
        hasMoreChanges,
        truncatedBefore: (conversation?.purged_through_seq ?? 0) + 1,
      };
    })();
  }
}
