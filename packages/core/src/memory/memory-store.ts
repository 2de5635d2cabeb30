import type {
  ChatStore,
  ConversationListQuery,
  ConversationPatch,
  InsertedMessage,
  MemberPatch,
  MemberSeed,
  MessageRange,
  NewConversation,
  NewMessage,
  OutboxEntry,
  ReactionChange,
  SearchQuery,
} from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type {
  ChangesSince,
  Conversation,
  ConversationListItem,
  ConversationStats,
  Member,
  Message,
  MessagePage,
  MessageStats,
  SearchResult,
} from '../domain/types.js';
import { countBy, pageRange, tally } from '../util/collections.js';
import { foldText } from '../util/text.js';

interface ConversationRow extends Omit<Conversation, 'lastMessage'> {
  directKey: string | null;
  lastMessageId: string | null;
}

type MessageRow = Omit<Message, 'reactions'>;

interface OutboxRow extends OutboxEntry {
  status: 'pending' | 'dead';
  nextAttemptAt: string;
  lastError: string | null;
}

/**
 * The reference ChatStore: plain maps, no I/O. Every method completes synchronously inside
 * its promise, so each is atomic with respect to the others, as a transaction would be.
 * Rows are copied on the way in and out so callers can never mutate stored state.
 */
export function createMemoryStore(): ChatStore {
  const conversations = new Map<string, ConversationRow>();
  const directKeys = new Map<string, string>();
  const members = new Map<string, Map<string, Member>>();
  const userConversations = new Map<string, Set<string>>();
  const messages = new Map<string, MessageRow>();
  /** Messages of a conversation by seq: seq n sits at index n - 1 (seq has no gaps). */
  const timeline = new Map<string, MessageRow[]>();
  const clientIds = new Map<string, string>();
  /** messageId → userId → the conversation version when it was hidden. */
  const hidden = new Map<string, Map<string, number>>();
  /** messageId → reaction rows in the order added (as a table's ids would be). */
  const reactions = new Map<string, Array<{ userId: string; emoji: string }>>();
  const outbox = new Map<string, OutboxRow>();
  let outboxCounter = 0;

  /** Emoji in the order their earliest current reaction was added; users likewise. */
  const reactionsOf = (messageId: string) => {
    const byEmoji = new Map<string, string[]>();
    for (const { userId, emoji } of reactions.get(messageId) ?? []) {
      const users = byEmoji.get(emoji);
      if (users === undefined) byEmoji.set(emoji, [userId]);
      else users.push(userId);
    }
    return [...byEmoji.entries()].map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds }));
  };
  const present = (row: MessageRow): Message => ({
    ...row,
    attachments: row.attachments.map((a) => ({ ...a })),
    metadata: row.metadata === null ? null : structuredClone(row.metadata),
    reactions: reactionsOf(row.id),
  });
  const isHidden = (messageId: string, viewerId: string) => hidden.get(messageId)?.has(viewerId) ?? false;
  const visibleTo = (viewerId: string) => (row: MessageRow) => !isHidden(row.id, viewerId);
  /** Counts toward unread: another's live, non-system message the viewer has not hidden. */
  const countsAsUnread = (viewerId: string) => (row: MessageRow) =>
    row.senderId !== viewerId && !row.deletedForEveryone && row.type !== 'system' && !isHidden(row.id, viewerId);

  const presentConversation = (row: ConversationRow): Conversation => {
    const { directKey: _key, lastMessageId, ...rest } = row;
    const last = lastMessageId === null ? undefined : messages.get(lastMessageId);
    return { ...rest, lastMessage: last === undefined ? null : present(last) };
  };
  const membersOf = (conversationId: string) => {
    let map = members.get(conversationId);
    if (map === undefined) {
      map = new Map();
      members.set(conversationId, map);
    }
    return map;
  };
  const linkUser = (userId: string, conversationId: string, linked: boolean) => {
    let set = userConversations.get(userId);
    if (set === undefined) {
      set = new Set();
      userConversations.set(userId, set);
    }
    if (linked) set.add(conversationId);
    else set.delete(conversationId);
  };
  const unreadCount = (conversationId: string, member: Member) => {
    const rows = timeline.get(conversationId) ?? [];
    return rows.slice(member.lastReadSeq).filter(countsAsUnread(member.userId)).length;
  };
  const bumpVersion = (conversationId: string, row: MessageRow) => {
    const conversation = conversations.get(conversationId);
    if (conversation === undefined) return;
    conversation.version += 1;
    row.version = conversation.version;
  };
  const isMuted = (member: Member, now: string) => member.mutedUntil !== null && member.mutedUntil > now;

  const store: ChatStore = {
    async createConversation(input: NewConversation) {
      if (input.directKey !== null) {
        const existing = directKeys.get(input.directKey);
        if (existing !== undefined) return { conversation: presentConversation(conversations.get(existing)!), created: false };
        directKeys.set(input.directKey, input.id);
      }
      conversations.set(input.id, {
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
        directKey: input.directKey,
        lastMessageId: null,
      });
      timeline.set(input.id, []);
      const map = membersOf(input.id);
      for (const seed of input.members) {
        map.set(seed.userId, newMember(input.id, seed, input.createdAt, 0));
        linkUser(seed.userId, input.id, true);
      }
      return { conversation: presentConversation(conversations.get(input.id)!), created: true };
    },

    async getConversation(conversationId) {
      const row = conversations.get(conversationId);
      return row === undefined ? null : presentConversation(row);
    },

    async findDirectConversation(key) {
      const id = directKeys.get(key);
      return id === undefined ? null : presentConversation(conversations.get(id)!);
    },

    async updateConversation(conversationId, patch: ConversationPatch, updatedAt) {
      const row = conversations.get(conversationId);
      if (row === undefined) return null;
      if (patch.name !== undefined) row.name = patch.name;
      if (patch.description !== undefined) row.description = patch.description;
      if (patch.avatarUrl !== undefined) row.avatarUrl = patch.avatarUrl;
      row.updatedAt = updatedAt;
      return presentConversation(row);
    },

    async deleteConversation(conversationId) {
      const row = conversations.get(conversationId);
      if (row === undefined) return;
      if (row.directKey !== null) directKeys.delete(row.directKey);
      for (const userId of members.get(conversationId)?.keys() ?? []) linkUser(userId, conversationId, false);
      members.delete(conversationId);
      for (const message of timeline.get(conversationId) ?? []) {
        messages.delete(message.id);
        hidden.delete(message.id);
        reactions.delete(message.id);
        if (message.clientMessageId !== null) clientIds.delete(clientKey(message));
      }
      for (const [id, entry] of outbox) if (entry.conversationId === conversationId) outbox.delete(id);
      timeline.delete(conversationId);
      conversations.delete(conversationId);
    },

    async listConversations(userId, query: ConversationListQuery) {
      const needle = query.search === undefined || query.search === '' ? null : query.search.toLowerCase();
      const items: ConversationListItem[] = [];
      for (const conversationId of userConversations.get(userId) ?? []) {
        const row = conversations.get(conversationId)!;
        const member = members.get(conversationId)!.get(userId)!;
        if (query.type !== undefined && row.type !== query.type) continue;
        if (query.archived !== undefined && (member.archivedAt !== null) !== query.archived) continue;
        if (needle !== null && !`${row.name ?? ''}\n${row.description ?? ''}`.toLowerCase().includes(needle)) continue;
        if (query.after !== undefined && !isAfter(row, query.after)) continue;
        items.push({
          ...presentConversation(row),
          role: member.role,
          unreadCount: unreadCount(conversationId, member),
          muted: isMuted(member, query.now),
          archived: member.archivedAt !== null,
          lastReadSeq: member.lastReadSeq,
        });
      }
      items.sort(byActivity);
      return items.slice(0, query.limit);
    },

    async getConversationStats(userId, now) {
      const stats: ConversationStats = { total: 0, direct: 0, group: 0, archived: 0, muted: 0, unreadConversations: 0, unreadMessages: 0 };
      for (const conversationId of userConversations.get(userId) ?? []) {
        const row = conversations.get(conversationId)!;
        const member = members.get(conversationId)!.get(userId)!;
        stats.total += 1;
        stats[row.type] += 1;
        if (member.archivedAt !== null) stats.archived += 1;
        if (isMuted(member, now)) stats.muted += 1;
        const unread = unreadCount(conversationId, member);
        if (unread > 0) stats.unreadConversations += 1;
        stats.unreadMessages += unread;
      }
      return stats;
    },

    async countUnread(conversationId, userId) {
      const member = members.get(conversationId)?.get(userId);
      return member === undefined ? 0 : unreadCount(conversationId, member);
    },

    async listUserConversationIds(userId) {
      return [...(userConversations.get(userId) ?? [])];
    },

    async getMember(conversationId, userId) {
      const member = members.get(conversationId)?.get(userId);
      return member === undefined ? null : { ...member };
    },

    async listMembers(conversationId) {
      return [...(members.get(conversationId)?.values() ?? [])].map((m) => ({ ...m })).sort(byJoined);
    },

    async addMembers(conversationId, seeds: MemberSeed[], joinedAt) {
      const row = conversations.get(conversationId);
      if (row === undefined) return [];
      const map = membersOf(conversationId);
      const added: Member[] = [];
      for (const seed of seeds) {
        if (map.has(seed.userId)) continue;
        const member = newMember(conversationId, seed, joinedAt, row.lastSeq);
        map.set(seed.userId, member);
        linkUser(seed.userId, conversationId, true);
        added.push({ ...member });
      }
      return added;
    },

    async removeMember(conversationId, userId, roleChanges = []) {
      const map = members.get(conversationId);
      if (map === undefined || !map.delete(userId)) return false;
      linkUser(userId, conversationId, false);
      for (const change of roleChanges) {
        const member = map.get(change.userId);
        if (member !== undefined) member.role = change.role;
      }
      return true;
    },

    async setMemberRoles(conversationId, changes) {
      const map = members.get(conversationId);
      for (const change of changes) {
        const member = map?.get(change.userId);
        if (member !== undefined) member.role = change.role;
      }
    },

    async updateMember(conversationId, userId, patch: MemberPatch) {
      const member = members.get(conversationId)?.get(userId);
      if (member === undefined) return null;
      if (patch.role !== undefined) member.role = patch.role;
      if (patch.mutedUntil !== undefined) member.mutedUntil = patch.mutedUntil;
      if (patch.archivedAt !== undefined) member.archivedAt = patch.archivedAt;
      return { ...member };
    },

    async insertMessages(batch: NewMessage[]) {
      // Check the whole batch first, so that a failure writes nothing (as a rolled-back
      // transaction would).
      for (const input of batch) {
        if (!conversations.has(input.conversationId)) throw ChatError.notFound('Conversation', 'conversationId');
      }
      return batch.map((input): InsertedMessage => {
        if (input.clientMessageId !== null) {
          const existing = clientIds.get(clientKey(input));
          if (existing !== undefined) return { message: present(messages.get(existing)!), created: false };
        }
        const conversation = conversations.get(input.conversationId)!;
        conversation.lastSeq += 1;
        conversation.version += 1;
        const row: MessageRow = {
          id: input.id,
          conversationId: input.conversationId,
          seq: conversation.lastSeq,
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
          version: conversation.version,
        };
        messages.set(row.id, row);
        timeline.get(input.conversationId)!.push(row);
        if (input.clientMessageId !== null) clientIds.set(clientKey(input), row.id);
        conversation.lastMessageId = row.id;
        conversation.updatedAt = input.createdAt;
        if (input.notify) {
          outboxCounter += 1;
          const id = String(outboxCounter);
          outbox.set(id, {
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
        return { message: present(row), created: true };
      });
    },

    async getMessageByClientId(conversationId, senderId, clientMessageId) {
      const id = clientIds.get(clientKey({ conversationId, senderId, clientMessageId }));
      return id === undefined ? null : present(messages.get(id)!);
    },

    async getMessage(messageId, viewerId) {
      const row = messages.get(messageId);
      if (row === undefined || (viewerId !== undefined && isHidden(messageId, viewerId))) return null;
      return present(row);
    },

    async listMessages(conversationId, viewerId, range: MessageRange): Promise<MessagePage> {
      const visible = (timeline.get(conversationId) ?? []).filter(visibleTo(viewerId));
      return pageRange(visible, range, (row) => row.seq, present);
    },

    async updateMessageContent(messageId, content, editedAt) {
      const row = messages.get(messageId);
      if (row === undefined || row.deletedForEveryone) return null;
      row.content = content;
      row.editedAt = editedAt;
      bumpVersion(row.conversationId, row);
      return present(row);
    },

    async deleteMessageForEveryone(messageId, deletedAt) {
      const row = messages.get(messageId);
      if (row === undefined) return null;
      if (!row.deletedForEveryone) {
        row.content = null;
        row.attachments = [];
        row.metadata = null;
        row.deletedAt = deletedAt;
        row.deletedForEveryone = true;
        reactions.delete(messageId);
        bumpVersion(row.conversationId, row);
      }
      return present(row);
    },

    async hideMessageForUser(messageId, userId) {
      const row = messages.get(messageId);
      const conversation = row === undefined ? undefined : conversations.get(row.conversationId);
      if (row === undefined || conversation === undefined) return;
      let byUser = hidden.get(messageId);
      if (byUser === undefined) {
        byUser = new Map();
        hidden.set(messageId, byUser);
      }
      if (byUser.has(userId)) return;
      conversation.version += 1;
      byUser.set(userId, conversation.version);
    },

    async toggleReaction(messageId, userId, emoji, maxDistinct): Promise<ReactionChange> {
      const row = messages.get(messageId);
      if (row === undefined) return { action: 'unchanged', message: null };
      let list = reactions.get(messageId);
      if (list === undefined) {
        list = [];
        reactions.set(messageId, list);
      }
      const index = list.findIndex((r) => r.userId === userId && r.emoji === emoji);
      if (index >= 0) {
        list.splice(index, 1);
        bumpVersion(row.conversationId, row);
        return { action: 'removed', message: present(row) };
      }
      const distinct = new Set(list.map((r) => r.emoji));
      if (!distinct.has(emoji) && distinct.size >= maxDistinct) return { action: 'limit_reached', message: present(row) };
      list.push({ userId, emoji });
      bumpVersion(row.conversationId, row);
      return { action: 'added', message: present(row) };
    },

    async removeReaction(messageId, userId, emoji): Promise<ReactionChange> {
      const row = messages.get(messageId);
      if (row === undefined) return { action: 'unchanged', message: null };
      const list = reactions.get(messageId) ?? [];
      const index = list.findIndex((r) => r.userId === userId && r.emoji === emoji);
      if (index < 0) return { action: 'unchanged', message: present(row) };
      list.splice(index, 1);
      bumpVersion(row.conversationId, row);
      return { action: 'removed', message: present(row) };
    },

    async markRead(conversationId, userId, upToSeq, at) {
      const member = members.get(conversationId)?.get(userId);
      const conversation = conversations.get(conversationId);
      if (member === undefined || conversation === undefined) return { lastReadSeq: 0, markedCount: 0 };
      const target = Math.min(upToSeq ?? conversation.lastSeq, conversation.lastSeq);
      if (target <= member.lastReadSeq) return { lastReadSeq: member.lastReadSeq, markedCount: 0 };
      const rows = timeline.get(conversationId)!.slice(member.lastReadSeq, target);
      member.lastReadSeq = target;
      member.lastReadAt = at;
      return { lastReadSeq: target, markedCount: rows.filter(countsAsUnread(userId)).length };
    },

    async getChangesSince(conversationId, viewerId, since, limit): Promise<ChangesSince> {
      const rows = (timeline.get(conversationId) ?? []).filter(visibleTo(viewerId));
      const fresh = rows.filter((r) => r.seq > since);
      const changes = rows
        .filter((r) => r.seq <= since && r.version > since)
        .sort((a, b) => a.version - b.version)
        .slice(0, MAX_CHANGES);
      const hiddenIds = (timeline.get(conversationId) ?? [])
        .filter((r) => (hidden.get(r.id)?.get(viewerId) ?? 0) > since)
        .map((r) => r.id);
      return {
        conversationId,
        messages: fresh.slice(0, limit).map(present),
        changes: changes.map(present),
        hiddenIds,
        lastSeq: conversations.get(conversationId)?.lastSeq ?? 0,
        hasMore: fresh.length > limit,
      };
    },

    async searchMessages(userId, query: SearchQuery): Promise<SearchResult> {
      const needle = foldText(query.text.trim());
      const matches: Array<{ row: MessageRow; score: number }> = [];
      for (const conversationId of userConversations.get(userId) ?? []) {
        if (query.conversationId !== undefined && conversationId !== query.conversationId) continue;
        for (const row of timeline.get(conversationId) ?? []) {
          if (row.deletedForEveryone || row.content === null || row.type === 'system' || isHidden(row.id, userId)) continue;
          if (query.senderId !== undefined && row.senderId !== query.senderId) continue;
          if (query.type !== undefined && row.type !== query.type) continue;
          if (query.from !== undefined && row.createdAt < query.from) continue;
          if (query.to !== undefined && row.createdAt > query.to) continue;
          const score = scoreText(foldText(row.content), query.terms, needle);
          if (score > 0) matches.push({ row, score });
        }
      }
      matches.sort((a, b) => b.score - a.score || b.row.createdAt.localeCompare(a.row.createdAt) || a.row.id.localeCompare(b.row.id));
      const page = matches.slice(query.offset, query.offset + query.limit);
      const rows = matches.map((m) => m.row);
      return {
        items: page.map((m) => ({ message: present(m.row), score: m.score })),
        total: matches.length,
        nextCursor: null,
        facets: {
          conversations: tally(rows, (r) => r.conversationId).map(([conversationId, count]) => ({ conversationId, count })),
          senders: tally(rows, (r) => r.senderId).map(([senderId, count]) => ({ senderId, count })),
          types: tally(rows, (r) => r.type).map(([type, count]) => ({ type, count })),
        },
      };
    },

    async getMessageStats(conversationId): Promise<MessageStats> {
      const rows = (timeline.get(conversationId) ?? []).filter((r) => !r.deletedForEveryone);
      return {
        conversationId,
        total: rows.length,
        byType: countBy(rows, (r) => r.type),
        bySender: tally(rows, (r) => r.senderId).map(([senderId, count]) => ({ senderId, count })),
        firstMessageAt: rows[0]?.createdAt ?? null,
        lastMessageAt: rows[rows.length - 1]?.createdAt ?? null,
      };
    },

    async claimOutbox(now, limit, leaseMs) {
      const due = [...outbox.values()]
        .filter((e) => e.status === 'pending' && e.nextAttemptAt <= now)
        .sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt) || Number(a.id) - Number(b.id))
        .slice(0, limit);
      const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
      return due.map((entry) => {
        entry.attempts += 1;
        entry.nextAttemptAt = leaseUntil;
        return { id: entry.id, kind: entry.kind, messageId: entry.messageId, conversationId: entry.conversationId, attempts: entry.attempts, createdAt: entry.createdAt };
      });
    },

    async completeOutbox(ids) {
      for (const id of ids) outbox.delete(id);
    },

    async failOutbox(id, error, nextAttemptAt) {
      const entry = outbox.get(id);
      if (entry === undefined) return;
      entry.lastError = error;
      if (nextAttemptAt === null) entry.status = 'dead';
      else entry.nextAttemptAt = nextAttemptAt;
    },

    async outboxStats() {
      let pending = 0;
      let dead = 0;
      for (const entry of outbox.values()) {
        if (entry.status === 'dead') dead += 1;
        else pending += 1;
      }
      return { pending, dead };
    },

    async ping() {},
  };
  return store;
}

/** Changes reported by one catch-up call; older ones come again on the next call. */
export const MAX_CHANGES = 1_000;

function newMember(conversationId: string, seed: MemberSeed, joinedAt: string, lastReadSeq: number): Member {
  return {
    conversationId,
    userId: seed.userId,
    role: seed.role,
    joinedAt,
    lastReadSeq,
    lastReadAt: null,
    mutedUntil: null,
    archivedAt: null,
  };
}

function clientKey(m: { conversationId: string; senderId: string; clientMessageId: string | null }): string {
  return `${m.conversationId}\u0000${m.senderId}\u0000${m.clientMessageId ?? ''}`;
}

function byActivity(a: { updatedAt: string; id: string }, b: { updatedAt: string; id: string }): number {
  return b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id);
}

function isAfter(row: { updatedAt: string; id: string }, after: { updatedAt: string; id: string }): boolean {
  return byActivity(after, row) < 0;
}

function byJoined(a: Member, b: Member): number {
  return a.joinedAt.localeCompare(b.joinedAt) || a.userId.localeCompare(b.userId);
}

/**
 * Every term must start a word of the text (a prefix match, as FTS5's `"term"*`); the score
 * grows with matches and shrinks with length, which orders results as bm25 roughly does.
 * Without terms (an emoji, punctuation only) it falls back to a literal substring match.
 */
function scoreText(folded: string, terms: string[], needle: string): number {
  if (terms.length === 0) return needle !== '' && folded.includes(needle) ? 1 : 0;
  const words = folded.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
  let hits = 0;
  for (const term of terms) {
    const n = words.filter((w) => w.startsWith(term)).length;
    if (n === 0) return 0;
    hits += n;
  }
  return hits / Math.sqrt(words.length + 1);
}
