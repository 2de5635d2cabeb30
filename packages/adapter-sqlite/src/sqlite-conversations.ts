import type { ConversationChange, ConversationStoreMethods, ConversationDecision, ConversationListRow, ConversationPlan, ConversationStats, Member } from '@parley/core';
import { banFromRow, conversationFromRow, conversationRecordFromRow, escapeLike, memberFromRow, summariesInOrder, unreadCondition, unreadStateFromRow, type BanRow, type UnreadStateRow } from '@parley/core/adapter-kit';
import { insertAudit } from './sqlite-moderation.js';
import { insertWebhookDeliveries } from './sqlite-webhooks.js';
import type { ConversationRow, MemberRow, MessageRow } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

/** Unread messages of member `mb` (the rule is core's: adapter-kit's `unreadCondition`). */
const UNREAD = `FROM messages m WHERE m.conversation_id = mb.conversation_id AND m.seq > mb.last_read_seq
  AND ${unreadCondition({ message: 'm', viewer: 'mb.user_id', falseValue: '0' })}`;
export const UNREAD_COUNT = `(SELECT COUNT(*) ${UNREAD})`;
/**
 * The first message counting as unread for member `mb`, for "jump to first unread": walks the
 * `(conversation_id, seq)` index upwards and stops at the first match (`MIN()` counted them all).
 */
const FIRST_UNREAD = `(SELECT m.seq ${UNREAD} ORDER BY m.seq LIMIT 1)`;
/**
 * Member `mb`'s unread in their *other* conversations that are not archived; the total adds
 * this one's count, already computed beside it, rather than counting it a second time.
 */
const OTHER_UNREAD = `(SELECT COALESCE(SUM(${UNREAD_COUNT.replaceAll('mb.', 'mine.')}), 0) FROM members mine
  WHERE mine.user_id = mb.user_id AND mine.archived_at IS NULL AND mine.conversation_id <> mb.conversation_id)`;
/** Of those, the ones mentioning member `mb` by name or everyone. */
export const MENTION_COUNT = `(SELECT COUNT(*) ${UNREAD}
  AND (m.mention_everyone = 1 OR (m.mentions IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(m.mentions) j WHERE j.value = mb.user_id))))`;

/** Conversations and members on SQLite. Every write that spans a read runs in one IMMEDIATE transaction. */
export function sqliteConversations({ db, sql, reactions, search }: SqliteContext): ConversationStoreMethods {
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
    unindexConversation: db.prepare('DELETE FROM message_search WHERE rowid IN (SELECT rowid FROM messages WHERE conversation_id = ?)'),
    deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ?'),
    bansInForce: db.prepare<[string, string], BanRow>('SELECT * FROM bans WHERE conversation_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY user_id'),
    ban: db.prepare(
      `INSERT INTO bans (conversation_id, user_id, banned_by, reason, created_at, expires_at) VALUES (@conversationId, @userId, @bannedBy, @reason, @createdAt, @expiresAt)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET banned_by = excluded.banned_by, reason = excluded.reason, created_at = excluded.created_at, expires_at = excluded.expires_at`,
    ),
    unban: db.prepare('DELETE FROM bans WHERE conversation_id = ? AND user_id = ?'),
    silence: db.prepare('UPDATE members SET silenced_until = ? WHERE conversation_id = ? AND user_id = ?'),
    purgeAttachments: db.prepare(`UPDATE attachments SET status = 'purging', purge_lease_until = NULL WHERE conversation_id = ? AND status <> 'purging'`),
    userConversationIds: db.prepare<[string], { conversation_id: string }>('SELECT conversation_id FROM members WHERE user_id = ?'),
    contacts: db.prepare<[string], { user_id: string }>(
      `SELECT DISTINCT other.user_id FROM members mine JOIN members other ON other.conversation_id = mine.conversation_id
       WHERE mine.user_id = ? AND other.user_id <> mine.user_id`,
    ),
    unreadSummary: db.prepare<[string, string], { user_id: string; unread: number; first: number | null; total: number; mentioned: number }>(
      `SELECT user_id, unread, first, mentioned, other + CASE WHEN archived_at IS NULL THEN unread ELSE 0 END AS total FROM (
         SELECT mb.user_id, mb.archived_at, ${UNREAD_COUNT} AS unread, ${FIRST_UNREAD} AS first, ${OTHER_UNREAD} AS other, ${MENTION_COUNT} AS mentioned
         FROM members mb WHERE mb.conversation_id = ? AND mb.user_id IN (SELECT value FROM json_each(?)))`,
    ),
    unreadStates: db.prepare<[string], UnreadStateRow>(
      `SELECT mb.conversation_id, mb.archived_at, c.last_seq, ${UNREAD_COUNT} AS unread, ${FIRST_UNREAD} AS first, ${MENTION_COUNT} AS mentioned
       FROM members mb JOIN conversations c ON c.id = mb.conversation_id WHERE mb.user_id = ?`,
    ),
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    messagesById: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id IN (SELECT value FROM json_each(?))'),
  };

  const conversationOf = (row: ConversationRow | undefined) => {
    if (row === undefined) return null;
    return conversationFromRow(row, row.last_message_id === null ? null : reactions.message(q.message.get(row.last_message_id)));
  };
  const membersOf = (conversationId: string) => q.members.all(conversationId).map(memberFromRow);

  const apply = (conversationId: string, plan: ConversationPlan, at: string): Member[] => {
    // No foreign key: the rows stay when the plan deletes the conversation.
    insertWebhookDeliveries(db, plan.webhooks);
    if (plan.delete === true) {
      q.unindexConversation.run(conversationId);
      q.deleteConversation.run(conversationId); // members, messages, reactions, outbox rows cascade
      search.clampAfterDelete();
      q.purgeAttachments.run(conversationId);
      return [];
    }
    const added = (plan.add ?? []).filter((seed) => q.insertMember.run(conversationId, seed.userId, seed.role, at, conversationId).changes === 1);
    for (const userId of plan.remove ?? []) q.deleteMember.run(conversationId, userId);
    for (const change of plan.roles ?? []) q.setRole.run(change.role, conversationId, change.userId);
    if (plan.profile !== undefined) {
      const sets = ['updated_at = @at'];
      if (plan.profile.name !== undefined) sets.push('name = @name');
      if (plan.profile.description !== undefined) sets.push('description = @description');
      if (plan.profile.avatarUrl !== undefined) sets.push('avatar_url = @avatarUrl');
      if (plan.profile.slowModeSeconds !== undefined) sets.push('slow_mode_seconds = @slowModeSeconds');
      sql(`UPDATE conversations SET ${sets.join(', ')} WHERE id = @id`).run({ name: null, description: null, avatarUrl: null, slowModeSeconds: 0, ...plan.profile, at, id: conversationId });
    }
    for (const ban of plan.ban ?? []) q.ban.run({ conversationId, ...ban });
    for (const userId of plan.unban ?? []) q.unban.run(conversationId, userId);
    for (const { userId, until } of plan.silence ?? []) q.silence.run(until, conversationId, userId);
    for (const entry of plan.audit ?? []) insertAudit(db, entry);
    return added.map((seed) => memberFromRow(q.member.get(conversationId, seed.userId)!));
  };

  const changeConversation = db.transaction(<T>(conversationId: string, at: string, decide: ConversationDecision<T>): ConversationChange<T> => {
    const row = q.conversation.get(conversationId);
    const state =
      row === undefined ? null : { conversation: conversationRecordFromRow(row), members: membersOf(conversationId), bans: q.bansInForce.all(conversationId, at).map(banFromRow) };
    const { plan, value } = decide(state);
    const added = row === undefined ? [] : apply(conversationId, plan, at);
    const after = conversationOf(q.conversation.get(conversationId));
    return { value, conversation: after, members: after === null ? [] : membersOf(conversationId), added };
  });

  return {
    async createConversation(input) {
      return db
        .transaction(() => {
          if (input.directKey !== null) {
            const existing = q.conversationByKey.get(input.directKey);
            if (existing !== undefined) return { conversation: conversationOf(existing)!, created: false };
          }
          q.insertConversation.run(input);
          for (const m of input.members) q.insertMember.run(input.id, m.userId, m.role, input.createdAt, input.id);
          insertWebhookDeliveries(db, input.webhooks);
          return { conversation: conversationOf(q.conversation.get(input.id))!, created: true };
        })
        .immediate();
    },

    async getConversation(conversationId) {
      return conversationOf(q.conversation.get(conversationId));
    },

    async findDirectConversation(directKey) {
      return q.conversationByKey.get(directKey)?.id ?? null;
    },

    async changeConversation<T>(conversationId: string, at: string, decide: ConversationDecision<T>) {
      return changeConversation.immediate(conversationId, at, decide) as ConversationChange<T>;
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
        `SELECT c.*, mb.role, mb.last_read_seq, mb.muted_until, mb.archived_at, ${UNREAD_COUNT} AS unread_count, ${FIRST_UNREAD} AS first_unread,
                ${MENTION_COUNT} AS mention_count
         FROM members mb JOIN conversations c ON c.id = mb.conversation_id
         WHERE ${where.join(' AND ')} ORDER BY c.updated_at DESC, c.id DESC LIMIT @limit`,
      ).all({
        userId,
        type: query.type,
        like: query.search === undefined ? undefined : `%${escapeLike(query.search.toLowerCase())}%`,
        afterAt: query.after?.updatedAt,
        afterId: query.after?.id,
        limit: query.limit,
      }) as Array<ConversationRow & MemberRow & { unread_count: number; first_unread: number | null; mention_count: number }>;
      const lastIds = rows.map((r) => r.last_message_id).filter((id): id is string => id !== null);
      const last = new Map((lastIds.length === 0 ? [] : reactions.messages(q.messagesById.all(JSON.stringify(lastIds)))).map((m) => [m.id, m]));
      return rows.map(
        (row): ConversationListRow => ({
          ...conversationFromRow(row, row.last_message_id === null ? null : (last.get(row.last_message_id) ?? null)),
          role: row.role,
          unreadCount: row.unread_count,
          firstUnreadSeq: row.first_unread,
          mentionCount: row.mention_count,
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
      ).all(userId) as Array<{ type: 'direct' | 'group'; archived_at: string | null; muted_until: string | null; unread: number }>;
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

    async unreadSummary(conversationId, userIds) {
      return summariesInOrder(userIds, q.unreadSummary.all(conversationId, JSON.stringify(userIds)));
    },

    async unreadStates(userId) {
      return q.unreadStates.all(userId).map(unreadStateFromRow);
    },

    async listUserConversationIds(userId) {
      return q.userConversationIds.all(userId).map((r) => r.conversation_id);
    },

    async listContacts(userId) {
      return q.contacts.all(userId).map((r) => r.user_id);
    },

    async getMember(conversationId, userId) {
      const row = q.member.get(conversationId, userId);
      return row === undefined ? null : memberFromRow(row);
    },

    async listMembers(conversationId) {
      return membersOf(conversationId);
    },

    async updateMemberSettings(conversationId, userId, patch) {
      const sets: string[] = [];
      if (patch.mutedUntil !== undefined) sets.push('muted_until = @mutedUntil');
      if (patch.archivedAt !== undefined) sets.push('archived_at = @archivedAt');
      if (sets.length > 0) {
        sql(`UPDATE members SET ${sets.join(', ')} WHERE conversation_id = @conversationId AND user_id = @userId`).run({
          mutedUntil: null,
          archivedAt: null,
          ...patch,
          conversationId,
          userId,
        });
      }
      const row = q.member.get(conversationId, userId);
      return row === undefined ? null : memberFromRow(row);
    },
  };
}
