import type { ThreadStoreMethods } from '../adapters/chat-store.js';
import { countsAsThreadUnread } from '../adapter-kit/unread.js';
import type { ThreadReadState } from '../domain/types.js';
import { pageRange } from '../util/collections.js';
import type { MemoryRows } from './memory-database.js';

/** Thread pages and per-thread read state of the memory store. */
export function memoryThreads(rows: MemoryRows): ThreadStoreMethods {
  const { db } = rows;
  /** A thread's root, when `threadId` names a timeline message. */
  const rootOf = (threadId: string) => {
    const root = db.messages.get(threadId);
    return root === undefined || (root.threadId ?? null) !== null ? undefined : root;
  };
  const unreadAfter = (threadId: string, userId: string, lastReadSeq: number) =>
    (db.threadReplies.get(threadId) ?? []).filter((r) => r.seq > lastReadSeq && countsAsThreadUnread(r, userId, rows.isHidden(r.id, userId))).length;
  const state = (threadId: string, conversationId: string, userId: string, lastReadSeq: number): ThreadReadState => ({
    conversationId,
    threadId,
    userId,
    lastReadSeq,
    unreadCount: unreadAfter(threadId, userId, lastReadSeq),
  });

  return {
    async listThreadMessages(threadId, viewerId, range) {
      const visible = (db.threadReplies.get(threadId) ?? []).filter((row) => !rows.isHidden(row.id, viewerId));
      return pageRange(visible, range, (row) => row.seq, (row) => rows.present(row));
    },

    async markThreadRead(threadId, userId, upToSeq, at) {
      const root = rootOf(threadId);
      if (root === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
      const replies = db.threadReplies.get(threadId) ?? [];
      const last = replies[replies.length - 1]?.seq ?? root.seq;
      const reads = rows.threadReadsOf(threadId);
      const previousReadSeq = reads.get(userId)?.lastReadSeq ?? root.seq;
      const target = Math.min(upToSeq ?? last, last);
      if (target <= previousReadSeq) {
        if (!reads.has(userId)) reads.set(userId, { lastReadSeq: previousReadSeq, lastReadAt: at });
        return { previousReadSeq, lastReadSeq: previousReadSeq, markedCount: 0 };
      }
      const markedCount = unreadAfter(threadId, userId, previousReadSeq) - unreadAfter(threadId, userId, target);
      reads.set(userId, { lastReadSeq: target, lastReadAt: at });
      return { previousReadSeq, lastReadSeq: target, markedCount };
    },

    async threadReadStates(threadId, userIds) {
      const root = rootOf(threadId);
      if (root === undefined) return [];
      const wanted = userIds === undefined ? null : new Set(userIds);
      return [...(db.threadReads.get(threadId) ?? new Map()).entries()]
        .filter(([userId]) => wanted === null || wanted.has(userId))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([userId, read]) => state(threadId, root.conversationId, userId, read.lastReadSeq));
    },

    async listThreadReadStates(userId, conversationId, limit) {
      const followed: Array<{ lastReplyAt: string; seq: number; state: ThreadReadState }> = [];
      for (const [threadId, reads] of db.threadReads) {
        const read = reads.get(userId);
        const root = read === undefined ? undefined : rootOf(threadId);
        if (read === undefined || root === undefined || root.conversationId !== conversationId) continue;
        followed.push({ lastReplyAt: root.thread?.lastReplyAt ?? root.createdAt, seq: root.seq, state: state(threadId, conversationId, userId, read.lastReadSeq) });
      }
      followed.sort((a, b) => b.lastReplyAt.localeCompare(a.lastReplyAt) || b.seq - a.seq);
      return followed.slice(0, limit).map((f) => f.state);
    },
  };
}
