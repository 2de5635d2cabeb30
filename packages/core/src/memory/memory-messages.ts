import type { InsertResult, MessageStoreMethods, ReactionChange } from '../adapters/chat-store.js';
import { countsAsUnread, inTimeline } from '../adapter-kit/unread.js';
import type { ChangesSince } from '../domain/types.js';
import { pageRange } from '../util/collections.js';
import { claimable, uploadedIds } from '../adapter-kit/attachments.js';
import { clientKey, insertWebhookDeliveries, type MemoryRows, type MessageRow } from './memory-database.js';

/** Messages, reactions, read state and catch-up of the memory store. */
export function memoryMessages(rows: MemoryRows): MessageStoreMethods {
  const { db } = rows;

  /** The version the next change of this message's conversation will give it. */
  const nextVersion = (row: MessageRow) => (db.conversations.get(row.conversationId)?.version ?? row.version - 1) + 1;

  return {
    async insertMessages(batch) {
      return batch.map((input): InsertResult => {
        if (input.clientMessageId !== null) {
          const existing = db.clientIds.get(clientKey(input));
          if (existing !== undefined) return { status: 'duplicate', message: rows.present(db.messages.get(existing)!) };
        }
        const conversation = db.conversations.get(input.conversationId);
        const sender = db.members.get(input.conversationId)?.get(input.senderId);
        const isMember = sender !== undefined && (sender.silencedUntil === null || sender.silencedUntil <= input.createdAt);
        if (conversation === undefined || (input.type !== 'system' && !isMember)) return { status: 'refused', message: null, reason: 'not_member' };
        const uploads = uploadedIds(input).map((id) => db.attachments.get(id));
        if (!uploads.every((row) => row !== undefined && claimable(row, input))) return { status: 'refused', message: null, reason: 'attachment' };
        const row: MessageRow = {
          id: input.id,
          conversationId: input.conversationId,
          seq: conversation.lastSeq + 1,
          senderId: input.senderId,
          type: input.type,
          content: input.content,
          replyToId: input.replyToId,
          attachments: input.attachments.map((a) => ({ ...a })),
          metadata: input.metadata === null ? null : structuredClone(input.metadata),
          clientMessageId: input.clientMessageId,
          createdAt: input.createdAt,
          editedAt: null,
          deletedAt: null,
          deletedForEveryone: false,
          version: conversation.version + 1,
          threadId: input.threadId ?? null,
          alsoToConversation: (input.threadId ?? null) !== null && input.alsoToConversation === true,
          thread: null,
          mentions: [...(input.mentions ?? [])],
          mentionEveryone: input.mentionEveryone ?? false,
        };
        // Built and checked before anything is written, so a failure leaves no half a send.
        if (input.webhooks !== undefined) insertWebhookDeliveries(db, input.webhooks({ ...rows.present(row), reactions: [] }));
        for (const upload of uploads) upload!.messageId = input.id;
        conversation.lastSeq += 1;
        conversation.version += 1;
        db.messages.set(row.id, row);
        rows.storedVersions.set(row, row.version);
        db.timeline.get(input.conversationId)!.push(row);
        if (input.clientMessageId !== null) db.clientIds.set(clientKey(input), row.id);
        const thread = row.threadId === null ? undefined : rows.addThreadReply(row);
        // A reply kept in its thread is not the conversation's latest activity.
        if (inTimeline(row)) {
          conversation.lastMessageId = row.id;
          conversation.updatedAt = input.createdAt;
        }
        if (input.notify) {
          db.outboxCounter += 1;
          const id = String(db.outboxCounter);
          db.outbox.set(id, {
            id,
            kind: 'message',
            messageId: row.id,
            conversationId: row.conversationId,
            attempts: 0,
            createdAt: input.createdAt,
            status: 'pending',
            nextAttemptAt: input.createdAt,
            lastError: null,
          });
        }
        return thread === undefined ? { status: 'created', message: rows.present(row) } : { status: 'created', message: rows.present(row), thread };
      });
    },

    async getMessageByClientId(conversationId, senderId, clientMessageId) {
      const id = db.clientIds.get(clientKey({ conversationId, senderId, clientMessageId }));
      return id === undefined ? null : rows.present(db.messages.get(id)!);
    },

    async getMessage(messageId, viewerId) {
      const row = db.messages.get(messageId);
      if (row === undefined || (viewerId !== undefined && rows.isHidden(messageId, viewerId))) return null;
      return rows.present(row);
    },

    async listMessages(conversationId, viewerId, range) {
      const visible = (db.timeline.get(conversationId) ?? []).filter((row) => inTimeline(row) && !rows.isHidden(row.id, viewerId));
      return pageRange(visible, range, (row) => row.seq, (row) => rows.present(row));
    },

    async updateMessageContent(messageId, content, editedAt, webhooks) {
      const row = db.messages.get(messageId);
      if (row === undefined || row.deletedForEveryone) return null;
      // Built and checked before anything is written, so a failure changes nothing.
      if (webhooks !== undefined) insertWebhookDeliveries(db, webhooks({ ...rows.present(row), content, editedAt, version: nextVersion(row) }));
      let history = db.edits.get(messageId);
      if (history === undefined) {
        history = [];
        db.edits.set(messageId, history);
      }
      history.push({ messageId, content: row.content, createdAt: row.editedAt ?? row.createdAt, replacedAt: editedAt });
      row.content = content;
      row.editedAt = editedAt;
      rows.bumpVersion(row);
      return rows.present(row);
    },

    async deleteMessageForEveryone(messageId, deletedAt, webhooks) {
      const row = db.messages.get(messageId);
      if (row === undefined) return null;
      if (!row.deletedForEveryone) {
        if (webhooks !== undefined) {
          const tombstone = { ...row, content: null, attachments: [], metadata: null, deletedAt, deletedForEveryone: true, version: nextVersion(row) };
          insertWebhookDeliveries(db, webhooks({ ...tombstone, reactions: [] }));
        }
        row.content = null;
        row.attachments = [];
        row.metadata = null;
        row.deletedAt = deletedAt;
        row.deletedForEveryone = true;
        db.reactions.delete(messageId);
        db.edits.delete(messageId);
        db.pins.get(row.conversationId)?.delete(messageId);
        rows.purgeAttachments((a) => a.messageId === messageId);
        rows.bumpVersion(row);
      }
      return rows.present(row);
    },

    async hideMessageForUser(messageId, userId) {
      const row = db.messages.get(messageId);
      const conversation = row === undefined ? undefined : db.conversations.get(row.conversationId);
      if (row === undefined || conversation === undefined) return null;
      let byUser = db.hidden.get(messageId);
      if (byUser === undefined) {
        byUser = new Map();
        db.hidden.set(messageId, byUser);
      }
      if (byUser.has(userId)) return null;
      conversation.version += 1;
      byUser.set(userId, conversation.version);
      return { version: conversation.version };
    },

    async changeReaction(messageId, userId, emoji, at, decide): Promise<ReactionChange> {
      const row = db.messages.get(messageId);
      if (row === undefined) {
        decide(null);
        return { action: 'unchanged', message: null };
      }
      let list = db.reactions.get(messageId);
      if (list === undefined) {
        list = [];
        db.reactions.set(messageId, list);
      }
      const index = list.findIndex((r) => r.userId === userId && r.emoji === emoji);
      const distinct = new Set(list.map((r) => r.emoji));
      const verdict = decide({ deletedForEveryone: row.deletedForEveryone, mine: index >= 0, emojiUsed: distinct.has(emoji), distinctEmoji: distinct.size });
      if (verdict === 'add' && index < 0) {
        list.push({ userId, emoji, createdAt: at });
        rows.bumpVersion(row);
        return { action: 'added', message: rows.present(row) };
      }
      if (verdict === 'remove' && index >= 0) {
        list.splice(index, 1);
        rows.bumpVersion(row);
        return { action: 'removed', message: rows.present(row) };
      }
      return { action: 'unchanged', message: rows.present(row) };
    },

    async markRead(conversationId, userId, upToSeq, at) {
      const member = db.members.get(conversationId)?.get(userId);
      const conversation = db.conversations.get(conversationId);
      if (member === undefined || conversation === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
      const previousReadSeq = member.lastReadSeq;
      const target = Math.min(upToSeq ?? conversation.lastSeq, conversation.lastSeq);
      if (target <= previousReadSeq) return { previousReadSeq, lastReadSeq: previousReadSeq, markedCount: 0 };
      const covered = rows.timelineAfter(conversationId, previousReadSeq, target);
      member.lastReadSeq = target;
      member.lastReadAt = at;
      return { previousReadSeq, lastReadSeq: target, markedCount: covered.filter((row) => countsAsUnread(row, userId, rows.isHidden(row.id, userId))).length };
    },

    async setReadPosition(conversationId, userId, seq, at) {
      const member = db.members.get(conversationId)?.get(userId);
      const conversation = db.conversations.get(conversationId);
      if (member === undefined || conversation === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
      const previousReadSeq = member.lastReadSeq;
      member.lastReadSeq = Math.max(0, Math.min(seq, conversation.lastSeq));
      member.lastReadAt = at;
      return { previousReadSeq, lastReadSeq: member.lastReadSeq, markedCount: 0 };
    },

    async getChangesSince(conversationId, viewerId, since, limit): Promise<ChangesSince> {
      const all = db.timeline.get(conversationId) ?? [];
      const visible = all.filter((row) => !rows.isHidden(row.id, viewerId));
      const fresh = visible.filter((row) => row.seq > since.seq);
      type Change = { version: number; row?: MessageRow; hiddenId?: string };
      const changes: Change[] = visible.filter((row) => row.seq <= since.seq && row.version > since.version && rows.changedSinceStored(row)).map((row) => ({ version: row.version, row }));
      for (const row of all) {
        const hiddenAt = db.hidden.get(row.id)?.get(viewerId);
        if (hiddenAt !== undefined && hiddenAt > since.version) changes.push({ version: hiddenAt, hiddenId: row.id });
      }
      changes.sort((a, b) => a.version - b.version);
      const page = changes.slice(0, limit);
      const hasMoreChanges = changes.length > limit;
      const conversationVersion = db.conversations.get(conversationId)?.version ?? 0;
      return {
        conversationId,
        messages: fresh.slice(0, limit).map((row) => rows.present(row)),
        hasMore: fresh.length > limit,
        lastSeq: db.conversations.get(conversationId)?.lastSeq ?? 0,
        changes: page.flatMap((c) => (c.row === undefined ? [] : [rows.present(c.row)])),
        hiddenIds: page.flatMap((c) => (c.hiddenId === undefined ? [] : [c.hiddenId])),
        version: hasMoreChanges ? page[page.length - 1]!.version : Math.max(since.version, conversationVersion),
        hasMoreChanges,
        truncatedBefore: (db.conversations.get(conversationId)?.purgedThroughSeq ?? 0) + 1,
      };
    },
  };
}
