import type { ConversationChange, ConversationDecision, ConversationListRow, ConversationPlan, ConversationStats, ConversationStoreMethods, Member } from '@parley/core';
import { banFromRow, conversationFromRow, conversationRecordFromRow, escapeLike, memberFromRow, summariesInOrder, unreadCondition, unreadStateFromRow, type BanRow, type UnreadStateRow } from '@parley/core/adapter-kit';
import { insertAudit } from './pg-moderation.js';
import { insertWebhookDeliveries } from './pg-webhooks.js';
import type { PoolClient } from 'pg';
import type { Database } from './database.js';
import { MESSAGE_COLUMNS, messageFromJson, type ConversationRow, type MemberRow } from './rows.js';
import { PURGE_ATTACHMENTS } from './pg-attachments.js';

/** Unread messages of member `mb` (the rule is core's: adapter-kit's `unreadCondition`). */
const UNREAD = `FROM {s}.messages m WHERE m.conversation_id = mb.conversation_id AND m.seq > mb.last_read_seq
  AND ${unreadCondition({ message: 'm', viewer: 'mb.user_id', falseValue: 'false', hiddenTable: '{s}.hidden_messages' })}`;
export const UNREAD_COUNT = `(SELECT count(*) ${UNREAD})`;
/** Of those, the ones mentioning member `mb` by name or everyone. */
const MENTION_COUNT = `(SELECT count(*) ${UNREAD} AND (m.mention_everyone OR mb.user_id = ANY (m.mentions)))`;
/** The first message counting as unread for member `mb`, for "jump to first unread". */
const FIRST_UNREAD = `(SELECT min(m.seq) ${UNREAD})`;
/** Member `mb`'s unread total over their conversations that are not archived. */
const TOTAL_UNREAD = `(SELECT COALESCE(sum(${UNREAD_COUNT.replaceAll('mb.', 'mine.')}), 0) FROM {s}.members mine WHERE mine.user_id = mb.user_id AND mine.archived_at IS NULL)`;

const MEMBERS = 'SELECT * FROM {s}.members WHERE conversation_id = $1 ORDER BY joined_at, user_id';
/** A conversation with its last message, in one query. */
const CONVERSATION = `SELECT c.*, (SELECT row_to_json(x) FROM (SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = c.last_message_id) x) AS last_message
  FROM {s}.conversations c WHERE c.id = $1`;

type ConversationWithLast = ConversationRow & { last_message: Record<string, unknown> | null };

/** Conversations and members on Postgres. A change that depends on a read locks the conversation's row first. */
export function pgConversations(db: Database): ConversationStoreMethods {
  const conversationOf = (row: ConversationWithLast | undefined) => (row === undefined ? null : conversationFromRow(row, row.last_message === null ? null : messageFromJson(row.last_message)));
  const membersOf = async (conversationId: string, on?: PoolClient) => (await db.query<MemberRow>(MEMBERS, [conversationId], on)).map(memberFromRow);

  const apply = async (client: PoolClient, conversationId: string, plan: ConversationPlan, at: string): Promise<Member[]> => {
    // No foreign key: the rows stay when the plan deletes the conversation.
    await insertWebhookDeliveries(db, client, plan.webhooks);
    if (plan.delete === true) {
      await db.query('DELETE FROM {s}.conversations WHERE id = $1', [conversationId], client); // the rest cascades
      await db.query(PURGE_ATTACHMENTS('conversation_id'), [conversationId], client);
      return [];
    }
    const add = plan.add ?? [];
    const added =
      add.length === 0
        ? []
        : await db.query<MemberRow>(
            `INSERT INTO {s}.members (conversation_id, user_id, role, joined_at, last_read_seq)
             SELECT $1, u.user_id, u.role, $4, (SELECT last_seq FROM {s}.conversations WHERE id = $1)
             FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(user_id, role, o)
             ORDER BY u.o
             ON CONFLICT (conversation_id, user_id) DO NOTHING RETURNING *`,
            [conversationId, add.map((m) => m.userId), add.map((m) => m.role), at],
            client,
          );
    if ((plan.remove ?? []).length > 0) {
      await db.query('DELETE FROM {s}.members WHERE conversation_id = $1 AND user_id = ANY ($2::text[])', [conversationId, plan.remove], client);
    }
    const roles = plan.roles ?? [];
    if (roles.length > 0) {
      await db.query(
        `UPDATE {s}.members mb SET role = r.role FROM unnest($2::text[], $3::text[]) AS r(user_id, role)
         WHERE mb.conversation_id = $1 AND mb.user_id = r.user_id`,
        [conversationId, roles.map((r) => r.userId), roles.map((r) => r.role)],
        client,
      );
    }
    if (plan.profile !== undefined) {
      const sets = ['updated_at = $2'];
      const values: unknown[] = [conversationId, at];
      for (const [column, value] of [
        ['name', plan.profile.name],
        ['description', plan.profile.description],
        ['avatar_url', plan.profile.avatarUrl],
        ['slow_mode_seconds', plan.profile.slowModeSeconds],
      ] as const) {
        if (value === undefined) continue;
        values.push(value);
        sets.push(`${column} = $${values.length}`);
      }
      await db.query(`UPDATE {s}.conversations SET ${sets.join(', ')} WHERE id = $1`, values, client);
    }
    for (const ban of plan.ban ?? []) {
      await db.query(
        `INSERT INTO {s}.bans (conversation_id, user_id, banned_by, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET banned_by = excluded.banned_by, reason = excluded.reason, created_at = excluded.created_at, expires_at = excluded.expires_at`,
        [conversationId, ban.userId, ban.bannedBy, ban.reason, ban.createdAt, ban.expiresAt],
        client,
      );
    }
    if ((plan.unban ?? []).length > 0) await db.query('DELETE FROM {s}.bans WHERE conversation_id = $1 AND user_id = ANY ($2::text[])', [conversationId, plan.unban], client);
    for (const { userId, until } of plan.silence ?? []) {
      await db.query('UPDATE {s}.members SET silenced_until = $3 WHERE conversation_id = $1 AND user_id = $2', [conversationId, userId, until], client);
    }
    for (const entry of plan.audit ?? []) await insertAudit(db, entry, client);
    // Returned in the order the plan named them, as stored.
    const byUser = new Map(added.map((row) => [row.user_id, memberFromRow(row)]));
    return add.flatMap((seed) => byUser.get(seed.userId) ?? []);
  };

  return {
    async createConversation(input) {
      return db.transaction(async (client) => {
        const inserted = await db.one<{ id: string }>(
          `INSERT INTO {s}.conversations (id, type, name, description, avatar_url, created_by, created_at, updated_at, direct_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
          [input.id, input.type, input.name, input.description, input.avatarUrl, input.createdBy, input.createdAt, input.directKey],
          client,
        );
        if (inserted === undefined) {
          // The pair's direct conversation exists (perhaps committed a moment ago by another node).
          const existing = await db.one<ConversationWithLast>(
            CONVERSATION.replace('WHERE c.id = $1', 'WHERE c.direct_key = $1'),
            [input.directKey],
            client,
          );
          return { conversation: conversationOf(existing)!, created: false };
        }
        await db.query(
          `INSERT INTO {s}.members (conversation_id, user_id, role, joined_at)
           SELECT $1, u.user_id, u.role, $4 FROM unnest($2::text[], $3::text[]) AS u(user_id, role)`,
          [input.id, input.members.map((m) => m.userId), input.members.map((m) => m.role), input.createdAt],
          client,
        );
        await insertWebhookDeliveries(db, client, input.webhooks);
        return { conversation: conversationOf(await db.one<ConversationWithLast>(CONVERSATION, [input.id], client))!, created: true };
      });
    },

    async getConversation(conversationId) {
      return conversationOf(await db.one<ConversationWithLast>(CONVERSATION, [conversationId]));
    },

    async findDirectConversation(directKey) {
      return (await db.one<{ id: string }>('SELECT id FROM {s}.conversations WHERE direct_key = $1', [directKey]))?.id ?? null;
    },

    async changeConversation<T>(conversationId: string, at: string, decide: ConversationDecision<T>): Promise<ConversationChange<T>> {
      return db.transaction(async (client) => {
        const row = await db.one<ConversationRow>('SELECT * FROM {s}.conversations WHERE id = $1 FOR UPDATE', [conversationId], client);
        const state =
          row === undefined
            ? null
            : {
                conversation: conversationRecordFromRow(row),
                members: await membersOf(conversationId, client),
                bans: (await db.query<BanRow>('SELECT * FROM {s}.bans WHERE conversation_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY user_id', [conversationId, at], client)).map(banFromRow),
              };
        const { plan, value } = decide(state);
        const added = row === undefined ? [] : await apply(client, conversationId, plan, at);
        const after = conversationOf(await db.one<ConversationWithLast>(CONVERSATION, [conversationId], client));
        return { value, conversation: after, members: after === null ? [] : await membersOf(conversationId, client), added };
      });
    },

    async listConversations(userId, query) {
      const where = ['mb.user_id = $1'];
      const values: unknown[] = [userId, query.limit];
      const param = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      if (query.type !== undefined) where.push(`c.type = ${param(query.type)}`);
      if (query.archived !== undefined) where.push(query.archived ? 'mb.archived_at IS NOT NULL' : 'mb.archived_at IS NULL');
      if (query.search !== undefined) {
        const like = param(`%${escapeLike(query.search.toLowerCase())}%`);
        where.push(`(lower(c.name) LIKE ${like} ESCAPE '\\' OR lower(c.description) LIKE ${like} ESCAPE '\\')`);
      }
      if (query.after !== undefined) {
        const at = param(query.after.updatedAt);
        where.push(`(c.updated_at < ${at}::timestamptz OR (c.updated_at = ${at}::timestamptz AND c.id < ${param(query.after.id)}))`);
      }
      const rows = await db.query<ConversationWithLast & MemberRow & { unread_count: number; first_unread: number | null; mention_count: number }>(
        `SELECT c.*, mb.role, mb.last_read_seq, mb.muted_until, mb.archived_at, ${UNREAD_COUNT} AS unread_count, ${FIRST_UNREAD} AS first_unread,
                ${MENTION_COUNT} AS mention_count,
                (SELECT row_to_json(x) FROM (SELECT ${MESSAGE_COLUMNS} FROM {s}.messages m WHERE m.id = c.last_message_id) x) AS last_message
         FROM {s}.members mb JOIN {s}.conversations c ON c.id = mb.conversation_id
         WHERE ${where.join(' AND ')} ORDER BY c.updated_at DESC, c.id DESC LIMIT $2`,
        values,
      );
      return rows.map(
        (row): ConversationListRow => ({
          ...conversationOf(row)!,
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
      const rows = await db.query<{ type: 'direct' | 'group'; archived_at: string | null; muted_until: string | null; unread: number }>(
        `SELECT c.type, mb.archived_at, mb.muted_until, ${UNREAD_COUNT} AS unread
         FROM {s}.members mb JOIN {s}.conversations c ON c.id = mb.conversation_id WHERE mb.user_id = $1`,
        [userId],
      );
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
      if (userIds.length === 0) return [];
      const rows = await db.query<{ user_id: string; unread: number; first: number | null; total: number; mentioned: number }>(
        `SELECT mb.user_id, ${UNREAD_COUNT} AS unread, ${FIRST_UNREAD} AS first, ${TOTAL_UNREAD} AS total, ${MENTION_COUNT} AS mentioned
         FROM {s}.members mb WHERE mb.conversation_id = $1 AND mb.user_id = ANY ($2::text[])`,
        [conversationId, userIds],
      );
      return summariesInOrder(userIds, rows);
    },

    async unreadStates(userId) {
      const rows = await db.query<UnreadStateRow>(
        `SELECT mb.conversation_id, mb.archived_at, c.last_seq, ${UNREAD_COUNT} AS unread, ${FIRST_UNREAD} AS first, ${MENTION_COUNT} AS mentioned
         FROM {s}.members mb JOIN {s}.conversations c ON c.id = mb.conversation_id WHERE mb.user_id = $1`,
        [userId],
      );
      return rows.map(unreadStateFromRow);
    },

    async listUserConversationIds(userId) {
      return (await db.query<{ conversation_id: string }>('SELECT conversation_id FROM {s}.members WHERE user_id = $1', [userId])).map((r) => r.conversation_id);
    },

    async listContacts(userId) {
      const rows = await db.query<{ user_id: string }>(
        `SELECT DISTINCT other.user_id FROM {s}.members mine JOIN {s}.members other ON other.conversation_id = mine.conversation_id
         WHERE mine.user_id = $1 AND other.user_id <> mine.user_id`,
        [userId],
      );
      return rows.map((r) => r.user_id);
    },

    async getMember(conversationId, userId) {
      const row = await db.one<MemberRow>('SELECT * FROM {s}.members WHERE conversation_id = $1 AND user_id = $2', [conversationId, userId]);
      return row === undefined ? null : memberFromRow(row);
    },

    async listMembers(conversationId) {
      return membersOf(conversationId);
    },

    async updateMemberSettings(conversationId, userId, patch) {
      const sets: string[] = [];
      const values: unknown[] = [conversationId, userId];
      if (patch.mutedUntil !== undefined) {
        values.push(patch.mutedUntil);
        sets.push(`muted_until = $${values.length}`);
      }
      if (patch.archivedAt !== undefined) {
        values.push(patch.archivedAt);
        sets.push(`archived_at = $${values.length}`);
      }
      const row =
        sets.length === 0
          ? await db.one<MemberRow>('SELECT * FROM {s}.members WHERE conversation_id = $1 AND user_id = $2', values)
          : await db.one<MemberRow>(`UPDATE {s}.members SET ${sets.join(', ')} WHERE conversation_id = $1 AND user_id = $2 RETURNING *`, values);
      return row === undefined ? null : memberFromRow(row);
    },
  };
}
