import { aroundSplit, type ChangesSince, type MessagePage, type MessageRange } from '@parley/core';
import type { Statement } from 'better-sqlite3';
import type { MessageRow, ReactionLoader } from './rows.js';

/** Not hidden (deleted for me) for `@viewer`. */
export const VISIBLE = 'NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.message_id = m.id AND h.user_id = @viewer)';
const BASE = `SELECT * FROM messages m WHERE m.conversation_id = @conversationId AND ${VISIBLE}`;

/** Changes reported by one catch-up call; older ones come again on the next call. */
const MAX_CHANGES = 1_000;

/** The seq-ordered reads: pages by cursor and the catch-up query, as one viewer sees them. */
export class MessageReads {
  constructor(
    private readonly sql: (text: string) => Statement,
    private readonly reactions: ReactionLoader,
  ) {}

  /** Rows of one page, ascending, with whether more visible rows lie on either side. */
  page(conversationId: string, viewer: string, range: MessageRange): MessagePage {
    const params = { conversationId, viewer };
    const below = (bound: number | null, inclusive: boolean, limit: number) =>
      (this.sql(`${BASE} ${bound === null ? '' : `AND m.seq ${inclusive ? '<=' : '<'} @bound`} ORDER BY m.seq DESC LIMIT @limit`)
        .all({ ...params, bound, limit }) as MessageRow[]).reverse();
    const above = (bound: number, limit: number) =>
      this.sql(`${BASE} AND m.seq > @bound ORDER BY m.seq LIMIT @limit`).all({ ...params, bound, limit }) as MessageRow[];
    let rows: MessageRow[];
    if (range.after !== undefined) rows = above(range.after, range.limit);
    else if (range.around !== undefined) {
      const lower = below(range.around, true, range.limit);
      const upper = above(range.around, range.limit);
      const split = aroundSplit(lower.length, upper.length, range.limit);
      rows = [...lower.slice(lower.length - split.below), ...upper.slice(0, split.above)];
    } else rows = below(range.before ?? null, false, range.limit);
    const exists = (condition: string, bound: number) =>
      (this.sql(`SELECT EXISTS (${BASE} AND ${condition}) AS e`).get({ ...params, bound }) as { e: number }).e === 1;
    const first = rows[0];
    const last = rows[rows.length - 1];
    let hasMoreBefore = false;
    let hasMoreAfter = false;
    if (first !== undefined && last !== undefined) {
      hasMoreBefore = exists('m.seq < @bound', first.seq);
      hasMoreAfter = exists('m.seq > @bound', last.seq);
    } else if (range.before !== undefined) hasMoreAfter = exists('m.seq >= @bound', range.before);
    else if (range.after !== undefined) hasMoreBefore = exists('m.seq <= @bound', range.after);
    return { messages: this.reactions.messages(rows), hasMoreBefore, hasMoreAfter };
  }

  /** New messages after `since` (at most `limit`), and older ones whose version moved past it. */
  changesSince(conversationId: string, viewer: string, since: number, limit: number, lastSeq: number): ChangesSince {
    const params = { conversationId, viewer, since };
    const fresh = this.sql(`${BASE} AND m.seq > @since ORDER BY m.seq LIMIT @limit`).all({ ...params, limit: limit + 1 }) as MessageRow[];
    const changed = this.sql(`${BASE} AND m.seq <= @since AND m.version > @since ORDER BY m.version LIMIT @limit`).all({
      ...params,
      limit: MAX_CHANGES,
    }) as MessageRow[];
    const hiddenIds = (
      this.sql(
        `SELECT h.message_id FROM hidden_messages h JOIN messages m ON m.id = h.message_id
         WHERE h.user_id = @viewer AND h.version > @since AND m.conversation_id = @conversationId ORDER BY h.version`,
      ).all(params) as Array<{ message_id: string }>
    ).map((r) => r.message_id);
    return {
      conversationId,
      messages: this.reactions.messages(fresh.slice(0, limit)),
      changes: this.reactions.messages(changed),
      hiddenIds,
      lastSeq,
      hasMore: fresh.length > limit,
    };
  }
}
