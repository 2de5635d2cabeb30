import {
  ChatError,
  escapeLike,
  foldText,
  type ChatStore,
  type ConversationListItem,
  type ConversationStats,
  type InsertedMessage,
  type MemberSeed,
  type Message,
  type MessageStats,
  type MessageType,
  type NewMessage,
  type OutboxEntry,
  type ReactionChange,
} from '@parley/core';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate } from './migrations.js';
import { ReactionLoader, toConversation, toMember, type ConversationRow, type MemberRow, type MessageRow } from './rows.js';
import { MessageReads, VISIBLE } from './message-reads.js';
import { searchMessages } from './search.js';
import { statementCache } from './statement-cache.js';

export interface SqliteStoreOptions {
  /** A database file (created when missing) or `:memory:`. Ignored when `database` is given. */
  filename?: string;
  /** A better-sqlite3 database the host owns; Parley then never closes it. */
  database?: Database;
  /** How long a writer waits for another process's lock before failing. Default 5 s. */
  busyTimeoutMs?: number;
  /**
   * `FULL` (default) syncs the WAL on every commit, so an acknowledged message survives a
   * power loss or OS crash; sends are group-committed, so that is one sync per batch.
   * `NORMAL` is faster and still safe against a process crash, not against power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

export interface SqliteStore extends ChatStore {
  /** The underlying database, for the host's own queries and for tests. */
  readonly database: Database;
}

/** Counts toward unread for member `mb`: another's live, non-system message not hidden for them. */
const UNREAD = `m.sender_id <> mb.user_id AND m.deleted_for_everyone = 0 AND m.type <> 'system'
  AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.message_id = m.id AND h.user_id = mb.user_id)`;
const UNREAD_COUNT = `(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = mb.conversation_id AND m.seq > mb.last_read_seq AND ${UNREAD})`;

/**
 * ChatStore on better-sqlite3: WAL, versioned migrations on open, one transaction around
 * every multi-row change, prepared statements for every hot query, FTS5 search.
 * better-sqlite3 is synchronous, so each method runs to completion inside its promise.
 */
export function createSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  const owned = options.database === undefined;
  const db = options.database ?? new BetterSqlite3(options.filename ?? ':memory:');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5_000}`);
  if (!db.memory) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  // JavaScript's folding, so that search and list filters agree with the other stores.
  db.function('parley_fold', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? foldText(text) : null));
  db.function('parley_lower', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : null));
  migrate(db);

  const reactions = new ReactionLoader(db);
  const sql = statementCache(db);
  const reads = new MessageReads(sql, reactions);
  const q = {
    conversation: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
    conversationByKey: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE direct_key = ?'),
    insertConversation: db.prepare(
      `INSERT INTO conversations (id, type, name, description, avatar_url, created_by, created_at, updated_at, direct_key)
       VALUES (@id, @type, @name, @description, @avatarUrl, @createdBy, @createdAt, @createdAt, @directKey)`,
    ),
    member: db.prepare<[string, string], MemberRow>('SELECT * FROM members WHERE conversation_id = ? AND user_id = ?'),
    members: db.prepare<[string], MemberRow>('SELECT * FROM members WHERE conversation_id = ? ORDER BY joined_at, user_id'),
    insertMember: db.prepare(
      `INSERT OR IGNORE INTO members (conversation_id, user_id, role, joined_at, last_read_seq)
       VALUES (?, ?, ?, ?, (SELECT last_seq FROM conversations WHERE id = ?))`,
    ),
    deleteMember: db.prepare('DELETE FROM members WHERE conversation_id = ? AND user_id = ?'),
    setRole: db.prepare('UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?'),
    userConversationIds: db.prepare<[string], { conversation_id: string }>('SELECT conversation_id FROM members WHERE user_id = ?'),
    unreadCount: db.prepare<[string, string], { n: number }>(
      `SELECT ${UNREAD_COUNT} AS n FROM members mb WHERE mb.conversation_id = ? AND mb.user_id = ?`,
    ),
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    visibleMessage: db.prepare<{ id: string; viewer: string }, MessageRow>(`SELECT * FROM messages m WHERE m.id = @id AND ${VISIBLE}`),
    messagesById: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id IN (SELECT value FROM json_each(?))'),
    byClientId: db.prepare<[string, string, string], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_message_id = ?',
    ),
    // The insert takes the next seq and version from the conversation row and answers
    // idempotency itself: on a known clientMessageId it writes and returns nothing.
    insertMessage: db.prepare<Record<string, unknown>, { rowid: number; seq: number; version: number }>(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, attachments, metadata,
         client_message_id, created_at, version)
       SELECT @id, c.id, c.last_seq + 1, @senderId, @type, @content, @replyToId, @attachments, @metadata,
         @clientMessageId, @createdAt, c.version + 1
       FROM conversations c WHERE c.id = @conversationId
       ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING
       RETURNING rowid, seq, version`,
    ),
    advance: db.prepare('UPDATE conversations SET last_seq = ?, version = ?, last_message_id = ?, updated_at = ? WHERE id = ?'),
    bumpVersion: db.prepare<[string], { version: number }>('UPDATE conversations SET version = version + 1 WHERE id = ? RETURNING version'),
    setMessageVersion: db.prepare('UPDATE messages SET version = ? WHERE id = ?'),
    indexText: db.prepare('INSERT INTO message_search (rowid, body) VALUES (?, ?)'),
    unindexText: db.prepare('DELETE FROM message_search WHERE rowid = ?'),
    insertOutbox: db.prepare(
      `INSERT INTO outbox (kind, message_id, conversation_id, next_attempt_at, created_at) VALUES ('message', ?, ?, ?, ?)`,
    ),
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
    unreadBetween: db.prepare<{ conversationId: string; userId: string; from: number; to: number }, { n: number }>(
      `SELECT COUNT(*) AS n FROM messages m, (SELECT @userId AS user_id) mb
       WHERE m.conversation_id = @conversationId AND m.seq > @from AND m.seq <= @to AND ${UNREAD}`,
    ),
    setRead: db.prepare('UPDATE members SET last_read_seq = ?, last_read_at = ? WHERE conversation_id = ? AND user_id = ?'),
    dueOutbox: db.prepare<[string, number], { id: number; message_id: string; conversation_id: string; attempts: number; created_at: string }>(
      `SELECT id, message_id, conversation_id, attempts, created_at FROM outbox
       WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    ),
    leaseOutbox: db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?'),
    completeOutbox: db.prepare('DELETE FROM outbox WHERE id = ?'),
    retryOutbox: db.prepare('UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?'),
    killOutbox: db.prepare(`UPDATE outbox SET last_error = ?, status = 'dead' WHERE id = ?`),
    outboxStats: db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status'),
  };

  const readMessage = (id: string) => reactions.message(q.message.get(id));
  const lastMessages = (rows: ConversationRow[]) => {
    const ids = rows.map((r) => r.last_message_id).filter((id): id is string => id !== null);
    const messages = ids.length === 0 ? [] : reactions.messages(q.messagesById.all(JSON.stringify(ids)));
    return new Map(messages.map((m) => [m.id, m]));
  };
  const conversationOf = (row: ConversationRow | undefined) => {
    if (row === undefined) return null;
    return toConversation(row, row.last_message_id === null ? null : readMessage(row.last_message_id));
  };
  const bump = (conversationId: string, messageId: string) => {
    const { version } = q.bumpVersion.get(conversationId)!;
    q.setMessageVersion.run(version, messageId);
  };
  const applyRoles = (conversationId: string, changes: MemberSeed[]) => {
    for (const change of changes) q.setRole.run(change.role, conversationId, change.userId);
  };

  const insertBatch = db.transaction((batch: NewMessage[]): InsertedMessage[] =>
    batch.map((input) => {
      const stored = q.insertMessage.get({
        ...input,
        attachments: JSON.stringify(input.attachments),
        metadata: input.metadata === null ? null : JSON.stringify(input.metadata),
      });
      if (stored === undefined) {
        const existing = input.clientMessageId === null ? undefined : q.byClientId.get(input.conversationId, input.senderId, input.clientMessageId);
        if (existing === undefined) throw ChatError.notFound('Conversation', 'conversationId');
        return { message: reactions.message(existing)!, created: false };
      }
      q.advance.run(stored.seq, stored.version, input.id, input.createdAt, input.conversationId);
      if (input.content !== null && input.type !== 'system') q.indexText.run(stored.rowid, foldText(input.content));
      if (input.notify) q.insertOutbox.run(input.id, input.conversationId, input.createdAt, input.createdAt);
      const message: Message = {
        id: input.id,
        conversationId: input.conversationId,
        seq: stored.seq,
        senderId: input.senderId,
        type: input.type,
        content: input.content,
        replyToId: input.replyToId,
        attachments: input.attachments,
        metadata: input.metadata,
        clientMessageId: input.clientMessageId,
        createdAt: input.createdAt,
        editedAt: null,
        deletedAt: null,
        deletedForEveryone: false,
        reactions: [],
        version: stored.version,
      };
      return { message, created: true };
    }),
  );

  const store: SqliteStore = {
    database: db,

    async createConversation(input) {
      return db
        .transaction(() => {
          if (input.directKey !== null) {
            const existing = q.conversationByKey.get(input.directKey);
            if (existing !== undefined) return { conversation: conversationOf(existing)!, created: false };
          }
          q.insertConversation.run(input);
          for (const m of input.members) q.insertMember.run(input.id, m.userId, m.role, input.createdAt, input.id);
          return { conversation: conversationOf(q.conversation.get(input.id))!, created: true };
        })
        .immediate();
    },

    async getConversation(conversationId) {
      return conversationOf(q.conversation.get(conversationId));
    },

    async findDirectConversation(key) {
      return conversationOf(q.conversationByKey.get(key));
    },

    async updateConversation(conversationId, patch, updatedAt) {
      const sets: string[] = ['updated_at = @updatedAt'];
      if (patch.name !== undefined) sets.push('name = @name');
      if (patch.description !== undefined) sets.push('description = @description');
      if (patch.avatarUrl !== undefined) sets.push('avatar_url = @avatarUrl');
      sql(`UPDATE conversations SET ${sets.join(', ')} WHERE id = @id`).run({
        name: null,
        description: null,
        avatarUrl: null,
        ...patch,
        updatedAt,
        id: conversationId,
      });
      return conversationOf(q.conversation.get(conversationId));
    },

    async deleteConversation(conversationId) {
      db.transaction(() => {
        sql('DELETE FROM message_search WHERE rowid IN (SELECT rowid FROM messages WHERE conversation_id = ?)').run(conversationId);
        sql('DELETE FROM conversations WHERE id = ?').run(conversationId);
      }).immediate();
    },

    async listConversations(userId, query) {
      const where = ['mb.user_id = @userId'];
      if (query.type !== undefined) where.push('c.type = @type');
      if (query.archived !== undefined) where.push(query.archived ? 'mb.archived_at IS NOT NULL' : 'mb.archived_at IS NULL');
      if (query.search !== undefined) {
        where.push(`(parley_lower(c.name) LIKE @like ESCAPE '\\' OR parley_lower(c.description) LIKE @like ESCAPE '\\')`);
      }
      if (query.after !== undefined) where.push('(c.updated_at < @afterAt OR (c.updated_at = @afterAt AND c.id < @afterId))');
      const rows = sql(
          `SELECT c.*, mb.role, mb.last_read_seq, mb.muted_until, mb.archived_at, ${UNREAD_COUNT} AS unread_count
           FROM members mb JOIN conversations c ON c.id = mb.conversation_id
           WHERE ${where.join(' AND ')} ORDER BY c.updated_at DESC, c.id DESC LIMIT @limit`,
        )
        .all({
          userId,
          type: query.type,
          like: query.search === undefined ? undefined : `%${escapeLike(query.search.toLowerCase())}%`,
          afterAt: query.after?.updatedAt,
          afterId: query.after?.id,
          limit: query.limit,
        }) as Array<ConversationRow & MemberRow & { unread_count: number }>;
      const last = lastMessages(rows);
      return rows.map(
        (row): ConversationListItem => ({
          ...toConversation(row, row.last_message_id === null ? null : (last.get(row.last_message_id) ?? null)),
          role: row.role,
          unreadCount: row.unread_count,
          muted: row.muted_until !== null && row.muted_until > query.now,
          archived: row.archived_at !== null,
          lastReadSeq: row.last_read_seq,
        }),
      );
    },

    async getConversationStats(userId, now) {
      const rows = sql(
          `SELECT c.type, mb.archived_at, mb.muted_until, ${UNREAD_COUNT} AS unread
           FROM members mb JOIN conversations c ON c.id = mb.conversation_id WHERE mb.user_id = ?`,
        )
        .all(userId) as Array<{ type: 'direct' | 'group'; archived_at: string | null; muted_until: string | null; unread: number }>;
      const stats: ConversationStats = { total: 0, direct: 0, group: 0, archived: 0, muted: 0, unreadConversations: 0, unreadMessages: 0 };
      for (const row of rows) {
        stats.total += 1;
        stats[row.type] += 1;
        if (row.archived_at !== null) stats.archived += 1;
        if (row.muted_until !== null && row.muted_until > now) stats.muted += 1;
        if (row.unread > 0) stats.unreadConversations += 1;
        stats.unreadMessages += row.unread;
      }
      return stats;
    },

    async countUnread(conversationId, userId) {
      return q.unreadCount.get(conversationId, userId)?.n ?? 0;
    },

    async listUserConversationIds(userId) {
      return q.userConversationIds.all(userId).map((r) => r.conversation_id);
    },

    async getMember(conversationId, userId) {
      const row = q.member.get(conversationId, userId);
      return row === undefined ? null : toMember(row);
    },

    async listMembers(conversationId) {
      return q.members.all(conversationId).map(toMember);
    },

    async addMembers(conversationId, seeds, joinedAt) {
      return db
        .transaction(() => {
          if (q.conversation.get(conversationId) === undefined) return [];
          const added = seeds.filter((s) => q.insertMember.run(conversationId, s.userId, s.role, joinedAt, conversationId).changes === 1);
          return added.map((s) => toMember(q.member.get(conversationId, s.userId)!));
        })
        .immediate();
    },

    async removeMember(conversationId, userId, roleChanges = []) {
      return db
        .transaction(() => {
          if (q.deleteMember.run(conversationId, userId).changes === 0) return false;
          applyRoles(conversationId, roleChanges);
          return true;
        })
        .immediate();
    },

    async setMemberRoles(conversationId, changes) {
      db.transaction(() => applyRoles(conversationId, changes)).immediate();
    },

    async updateMember(conversationId, userId, patch) {
      const sets: string[] = [];
      if (patch.role !== undefined) sets.push('role = @role');
      if (patch.mutedUntil !== undefined) sets.push('muted_until = @mutedUntil');
      if (patch.archivedAt !== undefined) sets.push('archived_at = @archivedAt');
      if (sets.length > 0) {
        sql(`UPDATE members SET ${sets.join(', ')} WHERE conversation_id = @conversationId AND user_id = @userId`).run({
          role: null,
          mutedUntil: null,
          archivedAt: null,
          ...patch,
          conversationId,
          userId,
        });
      }
      const row = q.member.get(conversationId, userId);
      return row === undefined ? null : toMember(row);
    },

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

    async updateMessageContent(messageId, content, editedAt) {
      return db
        .transaction(() => {
          const row = q.message.get(messageId);
          if (row === undefined || q.editMessage.run(content, editedAt, messageId).changes === 0) return null;
          q.unindexText.run(row.rowid);
          if (row.type !== 'system') q.indexText.run(row.rowid, foldText(content));
          bump(row.conversation_id, messageId);
          return readMessage(messageId);
        })
        .immediate();
    },

    async deleteMessageForEveryone(messageId, deletedAt) {
      return db
        .transaction(() => {
          const row = q.message.get(messageId);
          if (row === undefined) return null;
          if (row.deleted_for_everyone === 0) {
            q.eraseMessage.run(deletedAt, messageId);
            q.unindexText.run(row.rowid);
            q.clearReactions.run(messageId);
            bump(row.conversation_id, messageId);
          }
          return readMessage(messageId);
        })
        .immediate();
    },

    async hideMessageForUser(messageId, userId) {
      db.transaction(() => {
        const row = q.message.get(messageId);
        if (row === undefined || q.isHidden.get(messageId, userId) !== undefined) return;
        const { version } = q.bumpVersion.get(row.conversation_id)!;
        q.hide.run(messageId, userId, version);
      }).immediate();
    },

    async toggleReaction(messageId, userId, emoji, maxDistinct, at) {
      return db
        .transaction((): ReactionChange => {
          const row = q.message.get(messageId);
          if (row === undefined) return { action: 'unchanged', message: null };
          const existing = q.reaction.get(messageId, userId, emoji);
          if (existing !== undefined) {
            q.deleteReaction.run(existing.id);
            bump(row.conversation_id, messageId);
            return { action: 'removed', message: readMessage(messageId) };
          }
          if (q.emojiUsed.get(messageId, emoji) === undefined && q.distinctEmoji.get(messageId)!.n >= maxDistinct) {
            return { action: 'limit_reached', message: reactions.message(row) };
          }
          q.addReaction.run(messageId, userId, emoji, at);
          bump(row.conversation_id, messageId);
          return { action: 'added', message: readMessage(messageId) };
        })
        .immediate();
    },

    async removeReaction(messageId, userId, emoji) {
      return db
        .transaction((): ReactionChange => {
          const row = q.message.get(messageId);
          if (row === undefined) return { action: 'unchanged', message: null };
          const existing = q.reaction.get(messageId, userId, emoji);
          if (existing === undefined) return { action: 'unchanged', message: reactions.message(row) };
          q.deleteReaction.run(existing.id);
          bump(row.conversation_id, messageId);
          return { action: 'removed', message: readMessage(messageId) };
        })
        .immediate();
    },

    async markRead(conversationId, userId, upToSeq, at) {
      return db
        .transaction(() => {
          const member = q.member.get(conversationId, userId);
          const conversation = q.conversation.get(conversationId);
          if (member === undefined || conversation === undefined) return { lastReadSeq: 0, markedCount: 0 };
          const target = Math.min(upToSeq ?? conversation.last_seq, conversation.last_seq);
          if (target <= member.last_read_seq) return { lastReadSeq: member.last_read_seq, markedCount: 0 };
          const { n } = q.unreadBetween.get({ conversationId, userId, from: member.last_read_seq, to: target })!;
          q.setRead.run(target, at, conversationId, userId);
          return { lastReadSeq: target, markedCount: n };
        })
        .immediate();
    },

    async getChangesSince(conversationId, viewerId, since, limit) {
      return reads.changesSince(conversationId, viewerId, since, limit, q.conversation.get(conversationId)?.last_seq ?? 0);
    },

    async searchMessages(userId, query) {
      return searchMessages(db, reactions, userId, query);
    },

    async getMessageStats(conversationId): Promise<MessageStats> {
      const live = 'FROM messages WHERE conversation_id = ? AND deleted_for_everyone = 0';
      const byType = sql(`SELECT type, COUNT(*) AS n ${live} GROUP BY type`).all(conversationId) as Array<{ type: MessageType; n: number }>;
      const bySender = sql(`SELECT sender_id, COUNT(*) AS n ${live} GROUP BY sender_id ORDER BY n DESC, sender_id`)
        .all(conversationId) as Array<{ sender_id: string; n: number }>;
      const span = sql(`SELECT MIN(created_at) AS first, MAX(created_at) AS last ${live}`).get(conversationId) as {
        first: string | null;
        last: string | null;
      };
      return {
        conversationId,
        total: byType.reduce((n, r) => n + r.n, 0),
        byType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
        bySender: bySender.map((r) => ({ senderId: r.sender_id, count: r.n })),
        firstMessageAt: span.first,
        lastMessageAt: span.last,
      };
    },

    async claimOutbox(now, limit, leaseMs) {
      return db
        .transaction((): OutboxEntry[] => {
          const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
          return q.dueOutbox.all(now, limit).map((row) => {
            q.leaseOutbox.run(leaseUntil, row.id);
            return {
              id: String(row.id),
              kind: 'message',
              messageId: row.message_id,
              conversationId: row.conversation_id,
              attempts: row.attempts + 1,
              createdAt: row.created_at,
            };
          });
        })
        .immediate();
    },

    async completeOutbox(ids) {
      db.transaction(() => {
        for (const id of ids) q.completeOutbox.run(Number(id));
      }).immediate();
    },

    async failOutbox(id, error, nextAttemptAt) {
      if (nextAttemptAt === null) q.killOutbox.run(error, Number(id));
      else q.retryOutbox.run(error, nextAttemptAt, Number(id));
    },

    async outboxStats() {
      const counts = new Map(q.outboxStats.all().map((r) => [r.status, r.n]));
      return { pending: counts.get('pending') ?? 0, dead: counts.get('dead') ?? 0 };
    },

    async ping() {
      sql('SELECT 1').get();
    },

    async close() {
      if (owned && db.open) db.close();
    },
  };
  return store;
}
