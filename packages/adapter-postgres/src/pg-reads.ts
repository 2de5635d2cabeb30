import type { ChangeCursor, ChangesSince, MessagePage, MessageRange } from '@parley/core';
import { aroundSplit } from '@parley/core/adapter-kit';
import type { Database } from './database.js';
import { MESSAGE_COLUMNS, messageFromJson, toMessage, type MessageRow } from './rows.js';

/** Not hidden (deleted for me) for the viewer, `$2` in every query here. */
const VISIBLE = 'NOT EXISTS (SELECT 1 FROM {s}.hidden_messages h WHERE h.message_id = m.id AND h.user_id = $2)';
const BASE = `SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.conversation_id = $1 AND ${VISIBLE}`;

/** A conversation's timeline (`$1`): as the partial index `messages_timeline` is written, so that it serves the page. */
export const TIMELINE = 'm.conversation_id = $1 AND (m.thread_id IS NULL OR m.also_to_conversation)';
/** One thread's replies (`$1` the root): the index `messages_by_thread` serves the page. */
export const THREAD = 'm.thread_id = $1';

/**
 * One page of a conversation's timeline or of a thread (`scope`, with `$1` its key) as the
 * viewer sees it, ascending, with whether more lies on either side.
 */
export async function messagePage(db: Database, key: string, viewer: string, range: MessageRange, scope: string = TIMELINE): Promise<MessagePage> {
  const conversationId = key;
  const BASE = `SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE ${scope} AND ${VISIBLE}`;
  const below = async (bound: number | null, inclusive: boolean, limit: number) =>
    (
      await db.query<MessageRow>(`${BASE} ${bound === null ? 'AND $3::bigint IS NULL' : `AND m.seq ${inclusive ? '<=' : '<'} $3`} ORDER BY m.seq DESC LIMIT $4`, [
        conversationId,
        viewer,
        bound,
        limit,
      ])
    ).reverse();
  const above = (bound: number, limit: number) => db.query<MessageRow>(`${BASE} AND m.seq > $3 ORDER BY m.seq LIMIT $4`, [conversationId, viewer, bound, limit]);
  let rows: MessageRow[];
  if (range.after !== undefined) rows = await above(range.after, range.limit);
  else if (range.around !== undefined) {
    const [lower, upper] = await Promise.all([below(range.around, true, range.limit), above(range.around, range.limit)]);
    const split = aroundSplit(lower.length, upper.length, range.limit);
    rows = [...lower.slice(lower.length - split.below), ...upper.slice(0, split.above)];
  } else rows = await below(range.before ?? null, false, range.limit);
  // Whether visible rows lie before the first and after the last (or around an empty page's cursor).
  const first = rows[0]?.seq ?? (range.after !== undefined ? range.after + 1 : (range.before ?? Number.MAX_SAFE_INTEGER));
  const last = rows[rows.length - 1]?.seq ?? (range.after ?? (range.before !== undefined ? range.before - 1 : Number.MAX_SAFE_INTEGER));
  const more = await db.one<{ before: boolean; after: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM {s}.messages m WHERE ${scope} AND ${VISIBLE} AND m.seq < $3) AS before,
            EXISTS (SELECT 1 FROM {s}.messages m WHERE ${scope} AND ${VISIBLE} AND m.seq > $4) AS after`,
    [conversationId, viewer, first, last],
  );
  const hasRows = rows.length > 0;
  return {
    messages: rows.map(toMessage),
    hasMoreBefore: hasRows || range.after !== undefined ? more!.before : false,
    hasMoreAfter: hasRows || range.before !== undefined ? more!.after : false,
  };
}

/**
 * Catch-up in one statement — so both streams and both cursors come from one snapshot:
 * new messages after `since.seq`, and changes after `since.version` (changed messages and
 * messages hidden for the viewer, merged in version order), each paged on its own.
 */
export async function changesSince(db: Database, conversationId: string, viewer: string, since: ChangeCursor, limit: number): Promise<ChangesSince> {
  const row = await db.one<{ last_seq: number | null; version: number | null; purged_through_seq: number | null; fresh: Array<Record<string, unknown>> | null; changed: Array<Record<string, unknown>> | null; hidden: Array<{ message_id: string; version: number }> | null }>(
    `WITH fresh AS (${BASE} AND m.seq > $3 ORDER BY m.seq LIMIT $5),
          changed AS (${BASE} AND m.changed AND m.seq <= $3 AND m.version > $4 ORDER BY m.version LIMIT $5),
          hidden AS (SELECT h.message_id, h.version FROM {s}.hidden_messages h JOIN {s}.messages m ON m.id = h.message_id
                     WHERE h.user_id = $2 AND h.version > $4 AND m.conversation_id = $1 ORDER BY h.version LIMIT $5)
     SELECT c.last_seq, c.version, c.purged_through_seq,
            (SELECT json_agg(f ORDER BY f.seq) FROM fresh f) AS fresh,
            (SELECT json_agg(x ORDER BY x.version) FROM changed x) AS changed,
            (SELECT json_agg(h ORDER BY h.version) FROM hidden h) AS hidden
     FROM (SELECT 1) one LEFT JOIN {s}.conversations c ON c.id = $1`,
    [conversationId, viewer, since.seq, since.version, limit + 1],
  );
  const fresh = (row?.fresh ?? []).map(messageFromJson);
  const merged = [
    ...(row?.changed ?? []).map((m) => ({ version: Number(m.version), message: messageFromJson(m), hiddenId: null })),
    ...(row?.hidden ?? []).map((h) => ({ version: Number(h.version), message: null, hiddenId: h.message_id })),
  ].sort((a, b) => a.version - b.version);
  const page = merged.slice(0, limit);
  const hasMoreChanges = merged.length > limit;
  return {
    conversationId,
    messages: fresh.slice(0, limit),
    hasMore: fresh.length > limit,
    lastSeq: row?.last_seq ?? 0,
    changes: page.flatMap((c) => (c.message === null ? [] : [c.message])),
    hiddenIds: page.flatMap((c) => (c.hiddenId === null ? [] : [c.hiddenId])),
    version: hasMoreChanges ? page[page.length - 1]!.version : Math.max(since.version, row?.version ?? 0),
    hasMoreChanges,
    truncatedBefore: (row?.purged_through_seq ?? 0) + 1,
  };
}
