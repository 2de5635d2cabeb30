import type { RetentionPurged, RetentionStoreMethods, UserReaction } from '../adapters/chat-store.js';
import type { Member, Message } from '../domain/types.js';
import { clientKey, insertWebhookDeliveries, type MemoryRows, type MessageRow } from './memory-database.js';

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Retention and a user's own data (export, erase) in the memory store. */
export function memoryRetention(rows: MemoryRows): RetentionStoreMethods {
  const { db } = rows;

  /** Removes one message with everything hanging off it; its files go to the purge. */
  const removeMessage = (row: MessageRow) => {
    db.messages.delete(row.id);
    db.hidden.delete(row.id);
    db.reactions.delete(row.id);
    if (row.clientMessageId !== null) db.clientIds.delete(clientKey(row));
    for (const [id, entry] of db.outbox) if (entry.messageId === row.id) db.outbox.delete(id);
    rows.purgeAttachments((a) => a.messageId === row.id);
  };

  /** Tombstones a message as a delete for everyone does; false when it was one already. */
  const tombstone = (row: MessageRow, at: string): boolean => {
    if (row.deletedForEveryone) return false;
    row.content = null;
    row.attachments = [];
    row.metadata = null;
    row.deletedAt = at;
    row.deletedForEveryone = true;
    db.reactions.delete(row.id);
    rows.purgeAttachments((a) => a.messageId === row.id);
    rows.bumpVersion(row);
    return true;
  };

  return {
    async setConversationRetention(conversationId, seconds) {
      const row = db.conversations.get(conversationId);
      if (row === undefined) return null;
      row.retentionSeconds = seconds;
      return rows.presentConversation(row);
    },

    async purgeExpiredMessages({ now, defaultSeconds, limit }) {
      const purged: RetentionPurged[] = [];
      let budget = limit;
      for (const conversation of [...db.conversations.values()].sort(byId)) {
        if (budget <= 0) break;
        const seconds = conversation.retentionSeconds ?? defaultSeconds;
        if (seconds === null) continue;
        const cutoff = new Date(Date.parse(now) - seconds * 1000).toISOString();
        const timeline = db.timeline.get(conversation.id) ?? [];
        let count = 0;
        while (count < timeline.length && count < budget && timeline[count]!.createdAt < cutoff) count += 1;
        if (count === 0) continue;
        const gone = timeline.splice(0, count);
        for (const row of gone) removeMessage(row);
        conversation.purgedThroughSeq = gone[gone.length - 1]!.seq;
        if (conversation.lastMessageId !== null && !db.messages.has(conversation.lastMessageId)) conversation.lastMessageId = null;
        budget -= count;
        purged.push({ conversationId: conversation.id, removed: count, truncatedBefore: conversation.purgedThroughSeq + 1 });
      }
      return purged;
    },

    async acquireJobLease(job, holder, now, leaseMs) {
      const current = db.jobLeases.get(job);
      if (current !== undefined && current.holder !== holder && current.until > now) return false;
      db.jobLeases.set(job, { holder, until: new Date(Date.parse(now) + leaseMs).toISOString() });
      return true;
    },

    async releaseJobLease(job, holder) {
      if (db.jobLeases.get(job)?.holder === holder) db.jobLeases.delete(job);
    },

    async listUserMessages(userId, after, limit) {
      return [...db.messages.values()]
        .filter((row) => row.senderId === userId)
        .filter((row) => after === null || row.createdAt > after.createdAt || (row.createdAt === after.createdAt && row.id > after.id))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || byId(a, b))
        .slice(0, limit)
        .map((row) => rows.present(row));
    },

    async listUserReactions(userId, after, limit) {
      const mine: UserReaction[] = [];
      for (const [messageId, list] of db.reactions) {
        const message = db.messages.get(messageId);
        if (message === undefined) continue;
        for (const r of list) if (r.userId === userId) mine.push({ messageId, conversationId: message.conversationId, emoji: r.emoji, createdAt: r.createdAt });
      }
      const key = (r: { messageId: string; emoji: string }) => [r.messageId, r.emoji] as const;
      const compare = (a: { messageId: string; emoji: string }, b: { messageId: string; emoji: string }) => {
        const [am, ae] = key(a);
        const [bm, be] = key(b);
        return am < bm ? -1 : am > bm ? 1 : ae < be ? -1 : ae > be ? 1 : 0;
      };
      return mine
        .filter((r) => after === null || compare(r, after) > 0)
        .sort(compare)
        .slice(0, limit);
    },

    async listUserMemberships(userId) {
      const members: Member[] = [];
      for (const conversationId of db.userConversations.get(userId) ?? []) {
        const member = db.members.get(conversationId)?.get(userId);
        if (member !== undefined) members.push({ ...member });
      }
      return members.sort((a, b) => (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0));
    },

    async eraseUserData(userId, at, limit, webhooks) {
      const live = [...db.messages.values()].filter((row) => row.senderId === userId && !row.deletedForEveryone).sort(byId);
      const tombstoned: Message[] = [];
      for (const row of live.slice(0, limit)) {
        if (!tombstone(row, at)) continue;
        tombstoned.push(rows.present(row));
        if (webhooks !== undefined) insertWebhookDeliveries(db, webhooks(rows.present(row)));
      }

      // Their reaction rows, (messageId, emoji) order: the first `limit` go in this pass.
      const mine: Array<{ messageId: string; emoji: string }> = [];
      for (const [messageId, list] of db.reactions) for (const r of list) if (r.userId === userId) mine.push({ messageId, emoji: r.emoji });
      mine.sort((x, y) => (x.messageId < y.messageId ? -1 : x.messageId > y.messageId ? 1 : x.emoji < y.emoji ? -1 : x.emoji > y.emoji ? 1 : 0));
      const byMessage = new Map<string, string[]>();
      for (const r of mine.slice(0, limit)) byMessage.set(r.messageId, [...(byMessage.get(r.messageId) ?? []), r.emoji]);
      const unreacted: Array<{ message: Message; emoji: string[] }> = [];
      for (const [messageId, emoji] of byMessage) {
        const row = db.messages.get(messageId)!;
        db.reactions.set(messageId, db.reactions.get(messageId)!.filter((r) => r.userId !== userId || !emoji.includes(r.emoji)));
        rows.bumpVersion(row);
        unreacted.push({ message: rows.present(row), emoji });
      }

      for (const conversationId of db.userConversations.get(userId) ?? []) {
        const member = db.members.get(conversationId)?.get(userId);
        if (member === undefined) continue;
        member.lastReadSeq = 0;
        member.lastReadAt = null;
      }
      for (const [id, entry] of db.outbox) if (db.messages.get(entry.messageId)?.senderId === userId) db.outbox.delete(id);
      rows.purgeAttachments((a) => a.uploaderId === userId);
      return { tombstoned, unreacted, done: live.length <= limit && mine.length <= limit };
    },
  };
}
