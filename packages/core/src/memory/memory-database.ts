import type { NewWebhookDelivery, OutboxEntry, WebhookDelivery } from '../adapters/chat-store.js';
import { countsAsUnread } from '../adapter-kit/unread.js';
import type { MessageVersion } from '../domain/edit-history.js';
import type { PinRecord } from '../domain/pins.js';
import type { AttachmentRecord, AuditEntry, Ban, Conversation, Member, Message, Report } from '../domain/types.js';

export interface ConversationRow extends Omit<Conversation, 'lastMessage'> {
  directKey: string | null;
  lastMessageId: string | null;
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
  /** Messages of a conversation by seq: seq n sits at index n - 1 (seq has no gaps). */
  timeline: Map<string, MessageRow[]>;
  clientIds: Map<string, string>;
  /** messageId → userId → the conversation version when it was hidden. */
  hidden: Map<string, Map<string, number>>;
  /** messageId → reaction rows in the order added (as a table's ids would be). */
  reactions: Map<string, Array<{ userId: string; emoji: string }>>;
  outbox: Map<string, OutboxRow>;
  outboxCounter: number;
  attachments: Map<string, AttachmentRow>;
  /** conversationId → userId → ban. */
  bans: Map<string, Map<string, Ban>>;
  /** userId → blocked userId → when. */
  blocks: Map<string, Map<string, string>>;
  reports: Map<string, Report>;
  audit: AuditEntry[];
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
    outbox: new Map(),
    outboxCounter: 0,
    attachments: new Map(),
    bans: new Map(),
    blocks: new Map(),
    reports: new Map(),
    audit: [],
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
  constructor(readonly db: MemoryDatabase) {}

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
    };
  }

  presentConversation(row: ConversationRow): Conversation {
    const { directKey: _key, lastMessageId, ...rest } = row;
    const last = lastMessageId === null ? undefined : this.db.messages.get(lastMessageId);
    return { ...rest, lastMessage: last === undefined ? null : this.present(last) };
  }

  isHidden(messageId: string, viewerId: string): boolean {
    return this.db.hidden.get(messageId)?.has(viewerId) ?? false;
  }

  /** How many messages count as unread for the member, and the first of them. */
  unread(conversationId: string, member: Member): { count: number; first: number | null } {
    const rows = this.db.timeline.get(conversationId) ?? [];
    let count = 0;
    let first: number | null = null;
    for (const row of rows.slice(member.lastReadSeq)) {
      if (!countsAsUnread(row, member.userId, this.isHidden(row.id, member.userId))) continue;
      count += 1;
      first ??= row.seq;
    }
    return { count, first };
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
