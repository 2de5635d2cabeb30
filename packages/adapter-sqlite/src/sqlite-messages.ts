import type { ChatStore, InsertResult, MessageStoreMethods, NewMessage, ReactionChange } from '@parley/core';
import { claimCondition, foldText, insertedMessage, unreadCondition, uploadedIds } from '@parley/core/adapter-kit';
import { MessageReads } from './message-reads.js';
import type { ConversationRow, MemberRow, MessageRow } from './rows.js';
import { VISIBLE, type SqliteContext } from './sqlite-context.js';
import { insertWebhookDeliveries } from './sqlite-webhooks.js';

/** Messages, reactions and read state on SQLite. */
export function sqliteMessages(context: SqliteContext): MessageStoreMethods {
  const { db, reactions } = context;
  const reads = new MessageReads(context);
  const q = {
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    visibleMessage: db.prepare<{ id: string; viewer: string }, MessageRow>(`SELECT * FROM messages m WHERE m.id = @id AND ${VISIBLE}`),
    byClientId: db.prepare<[string, string, string], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ?',
    ),
    // One statement settles seq, version, membership and idempotency: it takes the next seq
    // and version from the conversation row, writes nothing when the sender is not a member
    // or is silenced (system messages excepted), and nothing on a known clientMessageId.
    insertMessage: db.prepare<Record<string, unknown>, { rowid: number; seq: number; version: number }>(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, attachments, metadata,
         client_message_id, created_at, version)
       SELECT @id, c.id, c.last_seq + 1, @senderId, @type, @content, @replyToId, @attachments, @metadata,
         @clientMessageId, @createdAt, c.version + 1
       FROM conversations c
       WHERE c.id = @conversationId
         AND (@type = 'system' OR EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = c.id AND mb.user_id = @senderId
                                           AND (mb.silenced_until IS NULL OR mb.silenced_until <= @createdAt)))
       ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING
       RETURNING rowid, seq, version`,
    ),
    advance: db.prepare('UPDATE conversations SET last_seq = ?, version = ?, last_message_id = ?, updated_at = ? WHERE id = ?'),
    bumpVersion: db.prepare<[string], { version: number }>('UPDATE conversations SET version = version + 1 WHERE id = ? RETURNING version'),
    setMessageVersion: db.prepare('UPDATE messages SET version = ? WHERE id = ?'),
    indexText: db.prepare('INSERT INTO message_search (rowid, body) VALUES (?, ?)'),
    unindexText: db.prepare('DELETE FROM message_search WHERE rowid = ?'),
    insertOutbox: db.prepare(`INSERT INTO outbox (kind, message_id, conversation_id, next_attempt_at, created_at) VALUES ('message', ?, ?, ?, ?)`),
    editMessage: db.prepare('UPDATE messages SET content = ?, edited_at = ? WHERE id = ? AND deleted_for_everyone = 0'),
    eraseMessage: db.prepare(
      `UPDATE messages SET content = NULL, attachments = '[]', metadata = NULL, deleted_at = ?, deleted_for_everyone = 1 WHERE id = ?`,
    ),
    isHidden: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM hidden_messages WHERE message_id = ? AND user_id = ?'),
    hide: db.prepare('INSERT INTO hidden_messages (message_id, user_id, version) VALUES (?, ?, ?)'),
    reaction: db.prepare<[string, string, string], { id: number }>('SELECT id FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?'),
    emojiUsed: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM reactions WHERE message_id = ? AND emoji = ? LIMIT 1'),
    distinctEmoji: db.prepare<[string], { n: number }>('SELECT COUNT(DISTINCT emoji) AS n FROM reactions WHERE message_id = ?'),
    addReaction: db.prepare('INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)'),
    deleteReaction: db.prepare('DELETE FROM reactions WHERE id = ?'),
    clearReactions: db.prepare('DELETE FROM reactions WHERE message_id = ?'),
    keepEdit: db.prepare('INSERT INTO message_edits (message_id, content, created_at, replaced_at) VALUES (?, ?, ?, ?)'),
    clearEdits: db.prepare('DELETE FROM message_edits WHERE message_id = ?'),
    clearPin: db.prepare('DELETE FROM pins WHERE message_id = ?'),
    member: db.prepare<[string, string], MemberRow>('SELECT * FROM members WHERE conversation_id = ? AND user_id = ?'),
    conversation: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
    unreadBetween: db.prepare<{ conversationId: string; userId: string; from: number; to: number }, { n: number }>(
      `SELECT COUNT(*) AS n FROM messages m
       WHERE m.conversation_id = @conversationId AND m.seq > @from AND m.seq <= @to
         AND ${unreadCondition({ message: 'm', viewer: '@userId', falseValue: '0' })}`,
    ),
    setRead: db.prepare('UPDATE members SET last_read_seq = ?, last_read_at = ? WHERE conversation_id = ? AND user_id = ?'),
    claimable: db.prepare<[string, string, string], { one: number }>(
      `SELECT 1 AS one FROM attachments WHERE id = ? AND ${claimCondition({ sender: '?', conversation: '?' })}`,
    ),
    claim: db.prepare('UPDATE attachments SET message_id = ? WHERE id = ?'),
    purgeAttachments: db.prepare(`UPDATE attachments SET status = 'purging', purge_lease_until = NULL WHERE message_id = ? AND status <> 'purging'`),
  };

  const readMessage = (id: string) => reactions.message(q.message.get(id));
  const bump = (conversationId: string, messageId: string) => {
    const { version } = q.bumpVersion.get(conversationId)!;
    q.setMessageVersion.run(version, messageId);
  };

  const insertOne = (input: NewMessage): InsertResult => {
    // The transaction holds the write lock, so what these reads see is what the claim finds.
    const uploads = uploadedIds(input);
    if (uploads.length > 0 && !uploads.every((id) => q.claimable.get(id, input.senderId, input.conversationId) !== undefined)) {
      const existing = input.clientMessageId === null ? undefined : q.byClientId.get(input.conversationId, input.senderId, input.clientMessageId);
      return existing === undefined ? { status: 'refused', message: null, reason: 'attachment' } : { status: 'duplicate', message: reactions.message(existing)! };
    }
    const stored = q.insertMessage.get({
      ...input,
      attachments: JSON.stringify(input.attachments),
      metadata: input.metadata === null ? null : JSON.stringify(input.metadata),
    });
    if (stored === undefined) {
      const existing = input.clientMessageId === null ? undefined : q.byClientId.get(input.conversationId, input.senderId, input.clientMessageId);
      return existing === undefined ? { status: 'refused', message: null, reason: 'not_member' } : { status: 'duplicate', message: reactions.message(existing)! };
    }
    for (const id of uploads) q.claim.run(input.id, id);
    q.advance.run(stored.seq, stored.version, input.id, input.createdAt, input.conversationId);
    if (input.content !== null && input.type !== 'system') q.indexText.run(stored.rowid, foldText(input.content));
    if (input.notify) q.insertOutbox.run(input.id, input.conversationId, input.createdAt, input.createdAt);
    const message = insertedMessage(input, stored.seq, stored.version);
    if (input.webhooks !== undefined) insertWebhookDeliveries(db, input.webhooks(message));
    return { status: 'created', message };
  };
  const insertBatch = db.transaction((batch: NewMessage[]) => batch.map(insertOne));

  const changeReaction = db.transaction((messageId: string, userId: string, emoji: string, at: string, decide: Parameters<ChatStore['changeReaction']>[4]): ReactionChange => {
    const row = q.message.get(messageId);
    if (row === undefined) {
      decide(null);
      return { action: 'unchanged', message: null };
    }
    const mine = q.reaction.get(messageId, userId, emoji);
    const verdict = decide({
      deletedForEveryone: row.deleted_for_everyone === 1,
      mine: mine !== undefined,
      emojiUsed: q.emojiUsed.get(messageId, emoji) !== undefined,
      distinctEmoji: q.distinctEmoji.get(messageId)!.n,
    });
    if (verdict === 'add' && mine === undefined) {
      q.addReaction.run(messageId, userId, emoji, at);
      bump(row.conversation_id, messageId);
      return { action: 'added', message: readMessage(messageId) };
    }
    if (verdict === 'remove' && mine !== undefined) {
      q.deleteReaction.run(mine.id);
      bump(row.conversation_id, messageId);
      return { action: 'removed', message: readMessage(messageId) };
    }
    return { action: 'unchanged', message: reactions.message(row) };
  });

  return {
    async insertMessages(batch) {
      return insertBatch.immediate(batch);
    },

    async getMessageByClientId(conversationId, senderId, clientMessageId) {
      return reactions.message(q.byClientId.get(conversationId, senderId, clientMessageId));
    },

    async getMessage(messageId, viewerId) {
      const row = viewerId === undefined ? q.message.get(messageId) : q.visibleMessage.get({ id: messageId, viewer: viewerId });
      return reactions.message(row);
    },

    async listMessages(conversationId, viewerId, range) {
      return reads.page(conversationId, viewerId, range);
    },

    async updateMessageContent(messageId, content, editedAt, webhooks) {
      return db
        .transaction(() => {
          const row = q.message.get(messageId);
          if (row === undefined || q.editMessage.run(content, editedAt, messageId).changes === 0) return null;
          q.keepEdit.run(messageId, row.content, row.edited_at ?? row.created_at, editedAt);
          q.unindexText.run(row.rowid);
          if (row.type !== 'system') q.indexText.run(row.rowid, foldText(content));
          bump(row.conversation_id, messageId);
          const edited = readMessage(messageId);
          if (edited !== null && webhooks !== undefined) insertWebhookDeliveries(db, webhooks(edited));
          return edited;
        })
        .immediate();
    },

    async deleteMessageForEveryone(messageId, deletedAt, webhooks) {
      return db
        .transaction(() => {
          const row = q.message.get(messageId);
          if (row === undefined) return null;
          if (row.deleted_for_everyone === 0) {
            q.eraseMessage.run(deletedAt, messageId);
            q.purgeAttachments.run(messageId);
            q.unindexText.run(row.rowid);
            q.clearReactions.run(messageId);
            q.clearEdits.run(messageId);
            q.clearPin.run(messageId);
            bump(row.conversation_id, messageId);
            if (webhooks !== undefined) insertWebhookDeliveries(db, webhooks(readMessage(messageId)!));
          }
          return readMessage(messageId);
        })
        .immediate();
    },

    async hideMessageForUser(messageId, userId) {
      return db
        .transaction(() => {
          const row = q.message.get(messageId);
          if (row === undefined || q.isHidden.get(messageId, userId) !== undefined) return null;
          const { version } = q.bumpVersion.get(row.conversation_id)!;
          q.hide.run(messageId, userId, version);
          return { version };
        })
        .immediate();
    },

    async changeReaction(messageId, userId, emoji, at, decide) {
      return changeReaction.immediate(messageId, userId, emoji, at, decide);
    },

    async markRead(conversationId, userId, upToSeq, at) {
      return db
        .transaction(() => {
          const member = q.member.get(conversationId, userId);
          const conversation = q.conversation.get(conversationId);
          if (member === undefined || conversation === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
          const previousReadSeq = member.last_read_seq;
          const target = Math.min(upToSeq ?? conversation.last_seq, conversation.last_seq);
          if (target <= previousReadSeq) return { previousReadSeq, lastReadSeq: previousReadSeq, markedCount: 0 };
          const { n } = q.unreadBetween.get({ conversationId, userId, from: previousReadSeq, to: target })!;
          q.setRead.run(target, at, conversationId, userId);
          return { previousReadSeq, lastReadSeq: target, markedCount: n };
        })
        .immediate();
    },

    async setReadPosition(conversationId, userId, seq, at) {
      return db
        .transaction(() => {
          const member = q.member.get(conversationId, userId);
          const conversation = q.conversation.get(conversationId);
          if (member === undefined || conversation === undefined) return { previousReadSeq: 0, lastReadSeq: 0, markedCount: 0 };
          const target = Math.max(0, Math.min(seq, conversation.last_seq));
          q.setRead.run(target, at, conversationId, userId);
          return { previousReadSeq: member.last_read_seq, lastReadSeq: target, markedCount: 0 };
        })
        .immediate();
    },

    async getChangesSince(conversationId, viewerId, since, limit) {
      return reads.changesSince(conversationId, viewerId, since, limit);
    },
  };
}
