import type { ChatStore, InsertResult, MessageStoreMethods, NewMessage, ReactionChange } from '@parley/core';
import { claimCondition, foldText, insertedMessage, unreadCondition, uploadedIds } from '@parley/core/adapter-kit';
import { MessageReads } from './message-reads.js';
import type { ConversationRow, MemberRow, MessageRow } from './rows.js';
import { VISIBLE, type SqliteContext } from './sqlite-context.js';
import { TIMELINE } from './message-reads.js';
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
    // The conversation's next seq and version, read once per conversation per batch.
    head: db.prepare<[string], { last_seq: number; version: number }>('SELECT last_seq, version FROM conversations WHERE id = ?'),
    // One statement settles membership and idempotency: it writes nothing when the sender is
    // not a member or is silenced (system messages excepted), and nothing on a known
    // clientMessageId. The batch holds the write lock, so the head read above is still true.
    insertMessage: db.prepare<Record<string, unknown>, { rowid: number }>(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, attachments, metadata,
         client_message_id, created_at, version, thread_id, also_to_conversation, mentions, mention_everyone, changed)
       SELECT @id, @conversationId, @seq, @senderId, @type, @content, @replyToId, @attachments, @metadata,
         @clientMessageId, @createdAt, @version, @threadId, @alsoToConversation, @mentions, @mentionEveryone, 0
       WHERE @type = 'system' OR EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = @conversationId AND mb.user_id = @senderId
                                          AND (mb.silenced_until IS NULL OR mb.silenced_until <= @createdAt))
       ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING
       RETURNING rowid`,
    ),
    advance: db.prepare('UPDATE conversations SET last_seq = ?, version = ?, last_message_id = ?, updated_at = ? WHERE id = ?'),
    // A reply kept in its thread moves the counters only: it is not the conversation's latest activity.
    advanceCounters: db.prepare('UPDATE conversations SET last_seq = ?, version = ? WHERE id = ?'),
    // The root's summary and version move with the reply, in the insert's transaction.
    addReply: db.prepare<Record<string, unknown>, { reply_count: number; last_reply_at: string; thread_participants: string; sender_id: string; seq: number; type: string }>(
      `UPDATE messages SET reply_count = reply_count + 1, version = @version,
         last_reply_at = CASE WHEN last_reply_at IS NULL OR last_reply_at < @createdAt THEN @createdAt ELSE last_reply_at END,
         thread_participants = CASE
           WHEN EXISTS (SELECT 1 FROM json_each(COALESCE(thread_participants, '[]')) j WHERE j.value = @senderId) THEN thread_participants
           ELSE json_insert(COALESCE(thread_participants, '[]'), '$[#]', @senderId) END
       WHERE id = @threadId AND conversation_id = @conversationId
       RETURNING reply_count, last_reply_at, thread_participants, sender_id, seq, type`,
    ),
    followThread: db.prepare(
      `INSERT INTO thread_reads (thread_id, user_id, conversation_id, last_read_seq, last_read_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (thread_id, user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq, last_read_at = excluded.last_read_at
       WHERE excluded.last_read_seq > thread_reads.last_read_seq`,
    ),
    followOwnRoot: db.prepare(
      `INSERT INTO thread_reads (thread_id, user_id, conversation_id, last_read_seq, last_read_at) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (thread_id, user_id) DO NOTHING`,
    ),
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

  /** A conversation's head during one batch: what its row will say once the batch is done. */
  interface Head {
    seq: number;
    version: number;
    lastMessageId: string | null;
    updatedAt: string | null;
    /** A message was stored in the batch (its counters moved). */
    moved: boolean;
  }

  const insertOne = (input: NewMessage, heads: Map<string, Head | null>): InsertResult => {
    // The transaction holds the write lock, so what these reads see is what the claim finds.
    const uploads = uploadedIds(input);
    const duplicateOr = (reason: 'attachment' | 'not_member'): InsertResult => {
      const existing = input.clientMessageId === null ? undefined : q.byClientId.get(input.conversationId, input.senderId, input.clientMessageId);
      return existing === undefined ? { status: 'refused', message: null, reason } : { status: 'duplicate', message: reactions.message(existing)! };
    };
    if (uploads.length > 0 && !uploads.every((id) => q.claimable.get(id, input.senderId, input.conversationId) !== undefined)) return duplicateOr('attachment');
    let head = heads.get(input.conversationId);
    if (head === undefined) {
      const row = q.head.get(input.conversationId);
      head = row === undefined ? null : { seq: row.last_seq, version: row.version, lastMessageId: null, updatedAt: null, moved: false };
      heads.set(input.conversationId, head);
    }
    if (head === null) return duplicateOr('not_member');
    const seq = head.seq + 1;
    const version = head.version + 1;
    const threadId = input.threadId ?? null;
    const stored = q.insertMessage.get({
      ...input,
      seq,
      version,
      attachments: JSON.stringify(input.attachments),
      metadata: input.metadata === null ? null : JSON.stringify(input.metadata),
      threadId,
      alsoToConversation: threadId !== null && input.alsoToConversation === true ? 1 : 0,
      mentions: (input.mentions ?? []).length === 0 ? null : JSON.stringify(input.mentions),
      mentionEveryone: input.mentionEveryone === true ? 1 : 0,
    });
    if (stored === undefined) return duplicateOr('not_member');
    for (const id of uploads) q.claim.run(input.id, id);
    // A reply kept in its thread moves the counters, not the conversation's last message or time.
    Object.assign(head, { seq, version, moved: true });
    if (threadId === null || input.alsoToConversation === true) Object.assign(head, { lastMessageId: input.id, updatedAt: input.createdAt });
    if (input.notify) q.insertOutbox.run(input.id, input.conversationId, input.createdAt, input.createdAt);
    const message = insertedMessage(input, seq, version);
    if (input.webhooks !== undefined) insertWebhookDeliveries(db, input.webhooks(message));
    if (threadId === null) return { status: 'created', message };
    const root = q.addReply.get({ threadId, conversationId: input.conversationId, version, createdAt: input.createdAt, senderId: input.senderId });
    if (root === undefined) return { status: 'created', message };
    q.followThread.run(threadId, input.senderId, input.conversationId, seq, input.createdAt);
    if (root.type !== 'system') q.followOwnRoot.run(threadId, root.sender_id, input.conversationId, root.seq);
    const thread = { replyCount: root.reply_count, lastReplyAt: root.last_reply_at, participantIds: JSON.parse(root.thread_participants) as string[] };
    return { status: 'created', message, thread };
  };
  // One UPDATE of each conversation row per batch, not one per message; the search index
  // follows after the commit (SearchIndexer).
  const insertBatch = db.transaction((batch: NewMessage[]) => {
    const heads = new Map<string, Head | null>();
    const results = batch.map((input) => insertOne(input, heads));
    for (const [conversationId, head] of heads) {
      if (head?.lastMessageId != null) q.advance.run(head.seq, head.version, head.lastMessageId, head.updatedAt, conversationId);
      else if (head?.moved === true) q.advanceCounters.run(head.seq, head.version, conversationId);
    }
    return results;
  });

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
      const results = insertBatch.immediate(batch);
      if (results.some((r) => r.status === 'created')) context.search.schedule();
      return results;
    },

    async getMessageByClientId(conversationId, senderId, clientMessageId) {
      return reactions.message(q.byClientId.get(conversationId, senderId, clientMessageId));
    },

    async getMessage(messageId, viewerId) {
      const row = viewerId === undefined ? q.message.get(messageId) : q.visibleMessage.get({ id: messageId, viewer: viewerId });
      return reactions.message(row);
    },

    async listMessages(conversationId, viewerId, range) {
      return reads.page({ where: TIMELINE, params: { conversationId } }, viewerId, range);
    },

    async updateMessageContent(messageId, content, editedAt, webhooks) {
      return db
        .transaction(() => {
          const row = q.message.get(messageId);
          if (row === undefined || q.editMessage.run(content, editedAt, messageId).changes === 0) return null;
          // Index what is pending first: the row is then in the index exactly when it was before the edit.
          context.search.catchUp();
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
            context.search.catchUp();
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
