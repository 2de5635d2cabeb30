import type { NewWebhookDelivery, OutboxEntry, WebhookDelivery } from '../adapters/chat-store.js';
import { countsAsUnread, mentions } from '../adapter-kit/unread.js';
import type { MessageVersion } from '../domain/edit-history.js';
import type { PinRecord } from '../domain/pins.js';
import type { AttachmentRecord, AuditEntry, Ban, Conversation, Member, Message, Report, ThreadSummary } from '../domain/types.js';

export interface ConversationRow extends Omit<Conversation, 'lastMessage'> {
  directKey: string | null;
  lastMessageId: string | null;
  /** Retention removed every message up to this seq (0: none); the timeline starts after it. */
  purgedThroughSeq: number;
}

export type MessageRow = Omit<Message, 'reactions'>;

export interface AttachmentRow extends AttachmentRecord {
  /** While a purge holds it: until when. */
  purgeLeaseUntil: string | null;
}

export interface OutboxRow extends OutboxEntry {
  status: 'pending' | 'dead';
  nextAttemptAt: string;
  lastError: string | null;
}

/**
 * The tables of the in-memory store. Several stores may share one, as several connections
 * share one database: `createMemoryStore({ database })`. Every store method runs to
 * completion without awaiting, so each is atomic with respect to all others on the same
 * database — the reference for what a transaction must guarantee.
 */
export interface MemoryDatabase {
  conversations: Map<string, ConversationRow>;
  directKeys: Map<string, string>;
  members: Map<string, Map<string, Member>>;
  userConversations: Map<string, Set<string>>;
  messages: Map<string, MessageRow>;
  /**
   * Messages of a conversation by seq: seq n sits at index n - 1 - purgedThroughSeq (seq has
   * no gaps; retention removes a prefix). Use `MemoryRows.timelineAfter` to slice by seq.
   */
  timeline: Map<string, MessageRow[]>;
  clientIds: Map<string, string>;
  /** messageId → userId → the conversation version when it was hidden. */
  hidden: Map<string, Map<string, number>>;
  /** messageId → reaction rows in the order added (as a table's ids would be). */
  reactions: Map<string, Array<{ userId: string; emoji: string; createdAt: string }>>;
  /** Periodic jobs' leases: job → who holds it until when. */
  jobLeases: Map<string, { holder: string; until: string }>;
  outbox: Map<string, OutboxRow>;
  outboxCounter: number;
  attachments: Map<string, AttachmentRow>;
  /** conversationId → userId → ban. */
  bans: Map<string, Map<string, Ban>>;
  /** userId → blocked userId → when. */
  blocks: Map<string, Map<string, string>>;
  reports: Map<string, Report>;
  audit: AuditEntry[];
  /** Thread root id → its replies, ascending by seq. */
  threadReplies: Map<string, MessageRow[]>;
  /** Thread root id → follower → their read position in the thread. */
  threadReads: Map<string, Map<string, { lastReadSeq: number; lastReadAt: string | null }>>;
  /** conversationId → messageId → pin (expired ones stay until the next pin of the conversation drops them). */
  pins: Map<string, Map<string, PinRecord>>;
  /** messageId → its earlier texts, oldest first. */
  edits: Map<string, MessageVersion[]>;
  /** Webhook deliveries by id; they outlive their conversation, as the tables' rows do. */
  webhooks: Map<string, WebhookDelivery>;
  /** The unique key (event, endpoint) of every delivery row. */
  webhookKeys: Set<string>;
}

export function createMemoryDatabase(): MemoryDatabase {
  return {
    conversations: new Map(),
    directKeys: new Map(),
    members: new Map(),
    userConversations: new Map(),
    messages: new Map(),
    timeline: new Map(),
    clientIds: new Map(),
    hidden: new Map(),
    reactions: new Map(),
    jobLeases: new Map(),
    outbox: new Map(),
    outboxCounter: 0,
    attachments: new Map(),
    bans: new Map(),
    blocks: new Map(),
    reports: new Map(),
    audit: [],
    threadReplies: new Map(),
    threadReads: new Map(),
    pins: new Map(),
    edits: new Map(),
    webhooks: new Map(),
    webhookKeys: new Set(),
  };
}

/**
 * Adds webhook deliveries, as the tables' unique keys would: a second row for one delivery id,
 * or for one event and one endpoint, throws before anything is written.
 */
export function insertWebhookDeliveries(db: MemoryDatabase, deliveries: NewWebhookDelivery[]): void {
  const fresh = new Set<string>();
  for (const d of deliveries) {
    const key = webhookKey(d);
    if (db.webhooks.has(d.id) || db.webhookKeys.has(key) || fresh.has(key)) throw new Error(`webhook delivery ${d.id} (event ${d.eventId}, endpoint ${d.endpointId}) exists already`);
    fresh.add(key);
  }
  for (const d of deliveries) {
    db.webhooks.set(d.id, { ...d, status: 'pending', attempts: 0, nextAttemptAt: d.createdAt, lastError: null, deliveredAt: null });
    db.webhookKeys.add(webhookKey(d));
  }
}

export function webhookKey(d: { eventId: string; endpointId: string }): string {
  return `${d.eventId}\n${d.endpointId}`;
}

/** Row helpers shared by the memory store's parts. Rows are copied on the way out. */
export class MemoryRows {
  /**
   * Each message's version when it was stored: a message whose version moved since (edit,
   * delete, reaction, thread reply) is a change for catch-up; an untouched one never is —
   * as the SQL stores keep it with their `changed` flag.
   */
  readonly storedVersions = new WeakMap<MessageRow, number>();

  constructor(readonly db: MemoryDatabase) {}

  /** Whether the message's version moved after it was stored. */
  changedSinceStored(row: MessageRow): boolean {
    return this.storedVersions.get(row) !== row.version;
  }

  /** Emoji in the order their earliest current reaction was added; users likewise. */
  reactionsOf(messageId: string): Message['reactions'] {
    const byEmoji = new Map<string, string[]>();
    for (const { userId, emoji } of this.db.reactions.get(messageId) ?? []) {
      const users = byEmoji.get(emoji);
      if (users === undefined) byEmoji.set(emoji, [userId]);
      else users.push(userId);
    }
    return [...byEmoji.entries()].map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds }));
  }

  present(row: MessageRow): Message {
    return {
      ...row,
      attachments: row.attachments.map((a) => ({ ...a })),
      metadata: row.metadata === null ? null : structuredClone(row.metadata),
      reactions: this.reactionsOf(row.id),
      mentions: [...(row.mentions ?? [])],
      thread: row.thread == null ? null : { ...row.thread, participantIds: [...row.thread.participantIds] },
    };
  }

  presentConversation(row: ConversationRow): Conversation {
    const { directKey: _key, lastMessageId, purgedThroughSeq: _purged, ...rest } = row;
    const last = lastMessageId === null ? undefined : this.db.messages.get(lastMessageId);
    return { ...rest, lastMessage: last === undefined ? null : this.present(last) };
  }

  isHidden(messageId: string, viewerId: string): boolean {
    return this.db.hidden.get(messageId)?.has(viewerId) ?? false;
  }

  /** How many messages count as unread for the member, the first of them, and how many of them mention the member. */
  unread(conversationId: string, member: Member): { count: number; first: number | null; mentioned: number } {
    let count = 0;
    let mentioned = 0;
    let first: number | null = null;
    for (const row of this.timelineAfter(conversationId, member.lastReadSeq)) {
      if (!countsAsUnread(row, member.userId, this.isHidden(row.id, member.userId))) continue;
      count += 1;
      if (mentions(row, member.userId)) mentioned += 1;
      first ??= row.seq;
    }
    return { count, first, mentioned };
  }

  /** The conversation's messages with `afterSeq < seq <= toSeq`, in seq order. */
  timelineAfter(conversationId: string, afterSeq: number, toSeq = Number.POSITIVE_INFINITY): MessageRow[] {
    const timeline = this.db.timeline.get(conversationId) ?? [];
    const offset = this.db.conversations.get(conversationId)?.purgedThroughSeq ?? 0;
    return timeline.slice(Math.max(0, afterSeq - offset), Math.max(0, toSeq - offset));
  }

  unreadCount(conversationId: string, member: Member): number {
    return this.unread(conversationId, member).count;
  }

  /** Members of a conversation, created on first use. */
  membersOf(conversationId: string): Map<string, Member> {
    let map = this.db.members.get(conversationId);
    if (map === undefined) {
      map = new Map();
      this.db.members.set(conversationId, map);
    }
    return map;
  }

  sortedMembers(conversationId: string): Member[] {
    return [...(this.db.members.get(conversationId)?.values() ?? [])].map((m) => ({ ...m })).sort(byJoined);
  }

  linkUser(userId: string, conversationId: string, linked: boolean): void {
    let set = this.db.userConversations.get(userId);
    if (set === undefined) {
      set = new Set();
      this.db.userConversations.set(userId, set);
    }
    if (linked) set.add(conversationId);
    else set.delete(conversationId);
  }

  bansOf(conversationId: string): Map<string, Ban> {
    let map = this.db.bans.get(conversationId);
    if (map === undefined) {
      map = new Map();
      this.db.bans.set(conversationId, map);
    }
    return map;
  }

  /** Bans not expired at `at`, by userId. */
  bansInForce(conversationId: string, at: string): Ban[] {
    return [...(this.db.bans.get(conversationId)?.values() ?? [])]
      .filter((ban) => ban.expiresAt === null || ban.expiresAt > at)
      .map((ban) => ({ ...ban }))
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  }

  /** Hands the attachments matching `which` to the purge. */
  purgeAttachments(which: (row: AttachmentRow) => boolean): void {
    for (const row of this.db.attachments.values()) {
      if (!which(row) || row.status === 'purging') continue;
      row.status = 'purging';
      row.purgeLeaseUntil = null;
    }
  }

  /**
   * Files a just-inserted reply under its root: the root's summary moves and takes the
   * reply's version (one change), the sender follows the thread up to the reply, and the
   * root's author follows it from the root. Answers the root's summary.
   */
  addThreadReply(reply: MessageRow): ThreadSummary | undefined {
    const root = this.db.messages.get(reply.threadId!);
    if (root === undefined) return undefined;
    let replies = this.db.threadReplies.get(root.id);
    if (replies === undefined) {
      replies = [];
      this.db.threadReplies.set(root.id, replies);
    }
    replies.push(reply);
    const before = root.thread ?? { replyCount: 0, lastReplyAt: null, participantIds: [] };
    root.thread = {
      replyCount: before.replyCount + 1,
      lastReplyAt: before.lastReplyAt !== null && before.lastReplyAt > reply.createdAt ? before.lastReplyAt : reply.createdAt,
      participantIds: before.participantIds.includes(reply.senderId) ? before.participantIds : [...before.participantIds, reply.senderId],
    };
    root.version = reply.version;
    const reads = this.threadReadsOf(root.id);
    const mine = reads.get(reply.senderId);
    if (mine === undefined || mine.lastReadSeq < reply.seq) reads.set(reply.senderId, { lastReadSeq: reply.seq, lastReadAt: reply.createdAt });
    if (!reads.has(root.senderId) && root.type !== 'system') reads.set(root.senderId, { lastReadSeq: root.seq, lastReadAt: null });
    return { ...root.thread, participantIds: [...root.thread.participantIds] };
  }

  threadReadsOf(rootId: string): Map<string, { lastReadSeq: number; lastReadAt: string | null }> {
    let reads = this.db.threadReads.get(rootId);
    if (reads === undefined) {
      reads = new Map();
      this.db.threadReads.set(rootId, reads);
    }
    return reads;
  }

  /** Moves the conversation's change counter on and stamps the message with it. */
  bumpVersion(row: MessageRow): void {
    const conversation = this.db.conversations.get(row.conversationId);
    if (conversation === undefined) return;
    conversation.version += 1;
    row.version = conversation.version;
  }
}

export function clientKey(m: { conversationId: string; senderId: string; clientMessageId: string | null }): string {
  return JSON.stringify([m.conversationId, m.senderId, m.clientMessageId ?? '']);
}

export function byJoined(a: Member, b: Member): number {
  return a.joinedAt.localeCompare(b.joinedAt) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
}

export function newMember(conversationId: string, userId: string, role: Member['role'], joinedAt: string, lastReadSeq: number): Member {
  return { conversationId, userId, role, joinedAt, lastReadSeq, lastReadAt: null, mutedUntil: null, archivedAt: null, silencedUntil: null };
}
