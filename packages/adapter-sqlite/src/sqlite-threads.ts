import type { ThreadStoreMethods } from '@parley/core';
import { threadReadStateFromRow, threadUnreadCondition, type ThreadReadStateRow } from '@parley/core/adapter-kit';
import { MessageReads, THREAD } from './message-reads.js';
import type { SqliteContext } from './sqlite-context.js';

/** A follower `tr`'s unread replies (core's rule: adapter-kit's `threadUnreadCondition`). */
const THREAD_UNREAD = `(SELECT COUNT(*) FROM messages m WHERE m.thread_id = tr.thread_id AND m.seq > tr.last_read_seq
  AND ${threadUnreadCondition({ message: 'm', viewer: 'tr.user_id', falseValue: '0' })})`;

/** Thread pages and per-thread read state on SQLite. */
export function sqliteThreads(context: SqliteContext): ThreadStoreMethods {
  const { db } = context;
  const reads = new MessageReads(context);
  const q = {
    root: db.prepare<[string], { seq: number; conversation_id: string; last_seq: number | null }>(
      `SELECT r.seq, r.conversation_id, (SELECT MAX(m.seq) FROM messages m WHERE m.thread_id = r.id) AS last_seq
       FROM messages r WHERE r.id = ? AND r.thread_id IS NULL`,
    ),
    readOf: db.prepare<[string, string], { last_read_seq: number }>('SELECT last_read_seq FROM thread_reads WHERE thread_id = ? AND user_id = ?'),
    unreadBetween: db.prepare<{ threadId: string; userId: string; from: number; to: number }, { n: number }>(
      `SELECT COUNT(*) AS n FROM messages m WHERE m.thread_id = @threadId AND m.seq > @from AND m.seq <= @to
         AND ${threadUnreadCondition({ message: 'm', viewer: '@userId', falseValue: '0' })}`,
    ),
    setRead: db.prepare(
      `INSERT INTO thread_reads (thread_id, user_id, conversation_id, last_read_seq, last_read_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (thread_id, user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq, last_read_at = excluded.last_read_at`,
    ),
    follow: db.prepare(
      `INSERT INTO thread_reads (thread_id, user_id, conversation_id, last_read_seq, last_read_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (thread_id, user_id) DO NOTHING`,
    ),
    states: db.prepare<[string], ThreadReadStateRow>(
      `SELECT tr.conversation_id, tr.thread_id, tr.user_id, tr.last_read_seq, ${THREAD_UNREAD} AS unread
       FROM thread_reads tr WHERE tr.thread_id = ? ORDER BY tr.user_id`,
    ),
    statesOf: db.prepare<[string, string], ThreadReadStateRow>(
      `SELECT tr.conversation_id, tr.thread_id, tr.user_id, tr.last_read_seq, ${THREAD_UNREAD} AS unread
       FROM thread_reads tr WHERE tr.thread_id = ? AND tr.user_id IN (SELECT value FROM json_each(?)) ORDER BY tr.user_id`,
    ),
    followed: db.prepare<[string, string, number], ThreadReadStateRow>(
      `SELECT tr.conversation_id, tr.thread_id, tr.user_id, tr.last_read_seq, ${THREAD_UNREAD} AS unread
       FROM thread_reads tr JOIN messages r ON r.id = tr.thread_id
       WHERE tr.user_id = ? AND tr.conversation_id = ?
       ORDER BY COALESCE(r.last_reply_at, r.created_at) DESC, r.seq DESC LIMIT ?`,
    ),
  };

  const markThreadRead = db.transaction((threadId: string, userId: string, upToSeq: number | null, at: string) => {
    const root = q.root.get(threadId);
    if (root === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
    const last = root.last_seq ?? root.seq;
    const previousReadSeq = q.readOf.get(threadId, userId)?.last_read_seq ?? root.seq;
    const target = Math.min(upToSeq ?? last, last);
    if (target <= previousReadSeq) {
      q.follow.run(threadId, userId, root.conversation_id, previousReadSeq, at);
      return { previousReadSeq, lastReadSeq: previousReadSeq, markedCount: 0 };
    }
    const { n } = q.unreadBetween.get({ threadId, userId, from: previousReadSeq, to: target })!;
    q.setRead.run(threadId, userId, root.conversation_id, target, at);
    return { previousReadSeq, lastReadSeq: target, markedCount: n };
  });

  return {
    async listThreadMessages(threadId, viewerId, range) {
      return reads.page({ where: THREAD, params: { threadId } }, viewerId, range);
    },
    async markThreadRead(threadId, userId, upToSeq, at) {
      return markThreadRead.immediate(threadId, userId, upToSeq, at);
    },
    async threadReadStates(threadId, userIds) {
      const rows = userIds === undefined ? q.states.all(threadId) : q.statesOf.all(threadId, JSON.stringify(userIds));
      return rows.map(threadReadStateFromRow);
    },
    async listThreadReadStates(userId, conversationId, limit) {
      return q.followed.all(userId, conversationId, limit).map(threadReadStateFromRow);
    },
  };
}
