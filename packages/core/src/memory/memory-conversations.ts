import type { ConversationChange, ConversationStoreMethods, ConversationDecision, ConversationListQuery, ConversationPlan, ConversationRecord, ConversationListRow } from '../adapters/chat-store.js';
import type { ConversationStats, Member } from '../domain/types.js';
import { insertWebhookDeliveries, newMember, type ConversationRow, type MemoryRows } from './memory-database.js';

/** Conversations and members of the memory store. */
export function memoryConversations(rows: MemoryRows): ConversationStoreMethods {
  const { db } = rows;

  const deleteConversation = (conversationId: string) => {
    const row = db.conversations.get(conversationId);
    if (row === undefined) return;
    if (row.directKey !== null) db.directKeys.delete(row.directKey);
    for (const userId of db.members.get(conversationId)?.keys() ?? []) rows.linkUser(userId, conversationId, false);
    db.members.delete(conversationId);
    for (const message of db.timeline.get(conversationId) ?? []) {
      db.messages.delete(message.id);
      db.hidden.delete(message.id);
      db.reactions.delete(message.id);
      db.threadReplies.delete(message.id);
      db.threadReads.delete(message.id);
      db.edits.delete(message.id);
    }
    db.pins.delete(conversationId);
    for (const [key, id] of db.clientIds) if (!db.messages.has(id)) db.clientIds.delete(key);
    for (const [id, entry] of db.outbox) if (entry.conversationId === conversationId) db.outbox.delete(id);
    rows.purgeAttachments((a) => a.conversationId === conversationId);
    db.bans.delete(conversationId);
    for (const [id, report] of db.reports) if (report.conversationId === conversationId) db.reports.delete(id);
    db.audit = db.audit.filter((entry) => entry.conversationId !== conversationId);
    db.timeline.delete(conversationId);
    db.conversations.delete(conversationId);
  };

  /** Applies a decision's plan; the caller has checked that the conversation exists. */
  const apply = (conversationId: string, plan: ConversationPlan, at: string): Member[] => {
    if (plan.delete === true) {
      deleteConversation(conversationId);
      return [];
    }
    const row = db.conversations.get(conversationId)!;
    const map = rows.membersOf(conversationId);
    const added: Member[] = [];
    for (const seed of plan.add ?? []) {
      if (map.has(seed.userId)) continue;
      const member = newMember(conversationId, seed.userId, seed.role, at, row.lastSeq);
      map.set(seed.userId, member);
      rows.linkUser(seed.userId, conversationId, true);
      added.push({ ...member });
    }
    for (const userId of plan.remove ?? []) {
      if (map.delete(userId)) rows.linkUser(userId, conversationId, false);
    }
    for (const change of plan.roles ?? []) {
      const member = map.get(change.userId);
      if (member !== undefined) member.role = change.role;
    }
    if (plan.profile !== undefined) {
      const { name, description, avatarUrl, slowModeSeconds } = plan.profile;
      if (name !== undefined) row.name = name;
      if (description !== undefined) row.description = description;
      if (avatarUrl !== undefined) row.avatarUrl = avatarUrl;
      if (slowModeSeconds !== undefined) row.slowModeSeconds = slowModeSeconds;
      row.updatedAt = at;
    }
    const bans = rows.bansOf(conversationId);
    for (const ban of plan.ban ?? []) bans.set(ban.userId, { conversationId, ...ban });
    for (const userId of plan.unban ?? []) bans.delete(userId);
    for (const { userId, until } of plan.silence ?? []) {
      const member = map.get(userId);
      if (member !== undefined) member.silencedUntil = until;
    }
    for (const entry of plan.audit ?? []) db.audit.push({ ...entry });
    return added;
  };

  const listItem = (conversationId: string, userId: string, now: string): ConversationListRow => {
    const row = db.conversations.get(conversationId)!;
    const member = db.members.get(conversationId)!.get(userId)!;
    const unread = rows.unread(conversationId, member);
    return {
      ...rows.presentConversation(row),
      role: member.role,
      unreadCount: unread.count,
      firstUnreadSeq: unread.first,
      mentionCount: unread.mentioned,
      muted: isMuted(member, now),
      archived: member.archivedAt !== null,
      lastReadSeq: member.lastReadSeq,
    };
  };

  return {
    async createConversation(input) {
      if (input.directKey !== null) {
        const existing = db.directKeys.get(input.directKey);
        if (existing !== undefined) return { conversation: rows.presentConversation(db.conversations.get(existing)!), created: false };
      }
      if (input.webhooks !== undefined) insertWebhookDeliveries(db, input.webhooks);
      if (input.directKey !== null) db.directKeys.set(input.directKey, input.id);
      db.conversations.set(input.id, {
        id: input.id,
        type: input.type,
        name: input.name,
        description: input.description,
        avatarUrl: input.avatarUrl,
        createdBy: input.createdBy,
        createdAt: input.createdAt,
        updatedAt: input.createdAt,
        lastSeq: 0,
        version: 0,
        slowModeSeconds: 0,
        retentionSeconds: null,
        purgedThroughSeq: 0,
        directKey: input.directKey,
        lastMessageId: null,
      });
      db.timeline.set(input.id, []);
      const map = rows.membersOf(input.id);
      for (const seed of input.members) {
        map.set(seed.userId, newMember(input.id, seed.userId, seed.role, input.createdAt, 0));
        rows.linkUser(seed.userId, input.id, true);
      }
      return { conversation: rows.presentConversation(db.conversations.get(input.id)!), created: true };
    },

    async getConversation(conversationId) {
      const row = db.conversations.get(conversationId);
      return row === undefined ? null : rows.presentConversation(row);
    },

    async findDirectConversation(directKey) {
      return db.directKeys.get(directKey) ?? null;
    },

    async changeConversation<T>(conversationId: string, at: string, decide: ConversationDecision<T>) {
      const row = db.conversations.get(conversationId);
      const state = row === undefined ? null : { conversation: recordOf(row), members: rows.sortedMembers(conversationId), bans: rows.bansInForce(conversationId, at) };
      const { plan, value } = decide(state);
      if (row !== undefined && plan.webhooks !== undefined) insertWebhookDeliveries(db, plan.webhooks);
      const added = row === undefined ? [] : apply(conversationId, plan, at);
      const after = db.conversations.get(conversationId);
      const change: ConversationChange<T> = {
        value,
        conversation: after === undefined ? null : rows.presentConversation(after),
        members: after === undefined ? [] : rows.sortedMembers(conversationId),
        added,
      };
      return change;
    },

    async listConversations(userId, query: ConversationListQuery) {
      const needle = query.search === undefined || query.search === '' ? null : query.search.toLowerCase();
      const items: ConversationListRow[] = [];
      for (const conversationId of db.userConversations.get(userId) ?? []) {
        const row = db.conversations.get(conversationId)!;
        const member = db.members.get(conversationId)!.get(userId)!;
        if (query.type !== undefined && row.type !== query.type) continue;
        if (query.archived !== undefined && (member.archivedAt !== null) !== query.archived) continue;
        if (needle !== null && !`${row.name ?? ''}\n${row.description ?? ''}`.toLowerCase().includes(needle)) continue;
        if (query.after !== undefined && !isAfter(row, query.after)) continue;
        items.push(listItem(conversationId, userId, query.now));
      }
      items.sort(byActivity);
      return items.slice(0, query.limit);
    },

    async getConversationStats(userId, now) {
      const stats: ConversationStats = { total: 0, direct: 0, group: 0, archived: 0, muted: 0, unreadConversations: 0, unreadMessages: 0 };
      for (const conversationId of db.userConversations.get(userId) ?? []) {
        const item = listItem(conversationId, userId, now);
        stats.total += 1;
        stats[item.type] += 1;
        if (item.archived) stats.archived += 1;
        if (item.muted) stats.muted += 1;
        if (item.unreadCount > 0) stats.unreadConversations += 1;
        stats.unreadMessages += item.unreadCount;
      }
      return stats;
    },

    async unreadSummary(conversationId, userIds) {
      const members = db.members.get(conversationId);
      return userIds.flatMap((userId) => {
        const member = members?.get(userId);
        if (member === undefined) return [];
        const { count, first, mentioned } = rows.unread(conversationId, member);
        let totalUnread = 0;
        for (const other of db.userConversations.get(userId) ?? []) {
          const membership = db.members.get(other)?.get(userId);
          if (membership !== undefined && membership.archivedAt === null) totalUnread += rows.unreadCount(other, membership);
        }
        return [{ userId, unreadCount: count, firstUnreadSeq: first, totalUnread, mentionCount: mentioned }];
      });
    },

    async unreadStates(userId) {
      return [...(db.userConversations.get(userId) ?? [])].flatMap((conversationId) => {
        const member = db.members.get(conversationId)?.get(userId);
        const conversation = db.conversations.get(conversationId);
        if (member === undefined || conversation === undefined) return [];
        const { count, first, mentioned } = rows.unread(conversationId, member);
        return [{ conversationId, unreadCount: count, firstUnreadSeq: first, mentionCount: mentioned, archived: member.archivedAt !== null, lastSeq: conversation.lastSeq }];
      });
    },

    async listUserConversationIds(userId) {
      return [...(db.userConversations.get(userId) ?? [])];
    },

    async listContacts(userId) {
      const contacts = new Set<string>();
      for (const conversationId of db.userConversations.get(userId) ?? []) {
        for (const other of db.members.get(conversationId)?.keys() ?? []) if (other !== userId) contacts.add(other);
      }
      return [...contacts];
    },

    async getMember(conversationId, userId) {
      const member = db.members.get(conversationId)?.get(userId);
      return member === undefined ? null : { ...member };
    },

    async listMembers(conversationId) {
      return rows.sortedMembers(conversationId);
    },

    async updateMemberSettings(conversationId, userId, patch) {
      const member = db.members.get(conversationId)?.get(userId);
      if (member === undefined) return null;
      if (patch.mutedUntil !== undefined) member.mutedUntil = patch.mutedUntil;
      if (patch.archivedAt !== undefined) member.archivedAt = patch.archivedAt;
      return { ...member };
    },
  };
}

function recordOf(row: ConversationRow): ConversationRecord {
  const { directKey: _key, lastMessageId: _last, ...record } = row;
  return { ...record };
}

function isMuted(member: Member, now: string): boolean {
  return member.mutedUntil !== null && member.mutedUntil > now;
}

function byActivity(a: { updatedAt: string; id: string }, b: { updatedAt: string; id: string }): number {
  return b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id);
}

function isAfter(row: { updatedAt: string; id: string }, after: { updatedAt: string; id: string }): boolean {
  return byActivity(after, row) < 0;
}
