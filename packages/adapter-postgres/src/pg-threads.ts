import type { ThreadStoreMethods } from '@parley/core';
import { threadReadStateFromRow, threadUnreadCondition, type ThreadReadStateRow } from '@parley/core/adapter-kit';
import type { Database } from './database.js';
import { messagePage, THREAD } from './pg-reads.js';

/** A follower `tr`'s unread replies (core's rule: adapter-kit's `threadUnreadCondition`). */
const THREAD_UNREAD = `(SELECT count(*) FROM {s}.messages m WHERE m.thread_id = tr.thread_id AND m.seq > tr.last_read_seq
  AND ${threadUnreadCondition({ message: 'm', viewer: 'tr.user_id', falseValue: 'false', hiddenTable: '{s}.hidden_messages' })})`;
const STATE_COLUMNS = `tr.conversation_id, tr.thread_id, tr.user_id, tr.last_read_seq, ${THREAD_UNREAD} AS unread`;

/** Thread pages and per-thread read state on Postgres. */
export function pgThreads(db: Database): ThreadStoreMethods {
  return {
    async listThreadMessages(threadId, viewerId, range) {
      return messagePage(db, threadId, viewerId, range, THREAD);
    },

    async markThreadRead(threadId, userId, upToSeq, at) {
      return db.transaction(async (client) => {
        const root = await db.one<{ seq: number; conversation_id: string; last_seq: number | null }>(
          `SELECT r.seq, r.conversation_id, (SELECT max(m.seq) FROM {s}.messages m WHERE m.thread_id = r.id) AS last_seq
           FROM {s}.messages r WHERE r.id = $1 AND r.thread_id IS NULL`,
          [threadId],
          client,
        );
        if (root === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
        // Follow first (a no-op when following), then lock the row: of two marks at once, one moves it.
        await db.query(
          `INSERT INTO {s}.thread_reads (thread_id, user_id, conversation_id, last_read_seq, last_read_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (thread_id, user_id) DO NOTHING`,
          [threadId, userId, root.conversation_id, root.seq, at],
          client,
        );
        const current = await db.one<{ last_read_seq: number }>('SELECT last_read_seq FROM {s}.thread_reads WHERE thread_id = $1 AND user_id = $2 FOR UPDATE', [threadId, userId], client);
        const previousReadSeq = current!.last_read_seq;
        const last = root.last_seq ?? root.seq;
        const target = Math.min(upToSeq ?? last, last);
        if (target <= previousReadSeq) return { previousReadSeq, lastReadSeq: previousReadSeq, markedCount: 0 };
        const counted = await db.one<{ n: number }>(
          `SELECT count(*) AS n FROM {s}.messages m WHERE m.thread_id = $1 AND m.seq > $3 AND m.seq <= $4
             AND ${threadUnreadCondition({ message: 'm', viewer: '$2', falseValue: 'false', hiddenTable: '{s}.hidden_messages' })}`,
          [threadId, userId, previousReadSeq, target],
          client,
        );
        await db.query('UPDATE {s}.thread_reads SET last_read_seq = $3, last_read_at = $4 WHERE thread_id = $1 AND user_id = $2', [threadId, userId, target, at], client);
        return { previousReadSeq, lastReadSeq: target, markedCount: counted!.n };
      });
    },

    async threadReadStates(threadId, userIds) {
      const rows =
        userIds === undefined
          ? await db.query<ThreadReadStateRow>(`SELECT ${STATE_COLUMNS} FROM {s}.thread_reads tr WHERE tr.thread_id = $1 ORDER BY tr.user_id`, [threadId])
          : await db.query<ThreadReadStateRow>(`SELECT ${STATE_COLUMNS} FROM {s}.thread_reads tr WHERE tr.thread_id = $1 AND tr.user_id = ANY ($2::text[]) ORDER BY tr.user_id`, [
              threadId,
              userIds,
            ]);
      return rows.map(threadReadStateFromRow);
    },

    async listThreadReadStates(userId, conversationId, limit) {
      const rows = await db.query<ThreadReadStateRow>(
        `SELECT ${STATE_COLUMNS} FROM {s}.thread_reads tr JOIN {s}.messages r ON r.id = tr.thread_id
         WHERE tr.user_id = $1 AND tr.conversation_id = $2
         ORDER BY COALESCE(r.last_reply_at, r.created_at) DESC, r.seq DESC LIMIT $3`,
        [userId, conversationId, limit],
      );
      return rows.map(threadReadStateFromRow);
    },
  };
}
