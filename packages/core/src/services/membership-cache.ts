import type { ChatStore } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { ConversationType, MemberRole } from '../domain/types.js';

/** What a send needs to know about a conversation besides its members, cached with them. */
export interface ConversationFacts {
  type: ConversationType;
  slowModeSeconds: number;
  /** A direct conversation whose two members block each other in either direction. */
  blocked: boolean;
}

interface Entry {
  roles: Map<string, MemberRole>;
  facts: ConversationFacts | null;
  expires: number;
}

/**
 * Member roles per conversation, kept in memory for the hot path: who receives an event
 * (the audience of every broadcast), and the first check of a send or a typing event — with
 * what a send checks besides (the type for capabilities, slow mode, blocks in a direct one). The
 * services invalidate an entry whenever they change membership; the realtime hub
 * invalidates on other nodes' changes; the TTL bounds staleness should an invalidation ever
 * be missed. Nothing that must not outlive a removal relies on it: the store checks
 * membership inside sends, and other operations read the member from the store.
 */
export class MembershipCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, { generation: number; promise: Promise<Entry> }>();
  private generation = 0;

  constructor(
    private readonly store: ChatStore,
    private readonly options: { ttlMs: number; maxEntries: number; now: () => number },
  ) {}

  /** Roles by user id; an empty map when the conversation does not exist. */
  async roles(conversationId: string): Promise<ReadonlyMap<string, MemberRole>> {
    return (await this.entry(conversationId)).roles;
  }

  /** Its type, slow mode and blocks; null when the conversation does not exist. */
  async facts(conversationId: string): Promise<ConversationFacts | null> {
    return (await this.entry(conversationId)).facts;
  }

  private async entry(conversationId: string): Promise<Entry> {
    const hit = this.entries.get(conversationId);
    if (hit !== undefined && hit.expires > this.options.now()) return hit;
    const pending = this.loading.get(conversationId);
    if (pending !== undefined) return pending.promise;
    const generation = this.generation;
    const promise = this.load(conversationId, generation);
    this.loading.set(conversationId, { generation, promise });
    try {
      return await promise;
    } finally {
      if (this.loading.get(conversationId)?.promise === promise) this.loading.delete(conversationId);
    }
  }

  async role(conversationId: string, userId: string): Promise<MemberRole | null> {
    return (await this.roles(conversationId)).get(userId) ?? null;
  }

  /**
   * The caller's role, or NOT_FOUND: a non-member learns nothing about whether the
   * conversation exists. A "no" from the cache is checked against the store, since it may
   * predate an add made through another process; a "yes" is trusted, so callers whose write
   * must not outlive a removal check membership in the write itself (sends do).
   */
  async require(conversationId: string, userId: string): Promise<MemberRole> {
    const role = await this.role(conversationId, userId);
    if (role !== null) return role;
    const member = await this.store.getMember(conversationId, userId);
    if (member === null) throw ChatError.notFound('Conversation', 'conversationId');
    this.invalidate(conversationId);
    return member.role;
  }

  /** The member ids when they are cached and fresh, without loading anything. */
  peek(conversationId: string): string[] | undefined {
    const hit = this.entries.get(conversationId);
    return hit !== undefined && hit.expires > this.options.now() && !this.loading.has(conversationId) ? [...hit.roles.keys()] : undefined;
  }

  async memberIds(conversationId: string): Promise<string[]> {
    return [...(await this.roles(conversationId)).keys()];
  }

  invalidate(conversationId: string): void {
    this.entries.delete(conversationId);
    const pending = this.loading.get(conversationId);
    // A load that started before this change may return the old roles: forget it.
    if (pending !== undefined) this.loading.delete(conversationId);
    this.generation += 1;
  }

  clear(): void {
    this.entries.clear();
    this.loading.clear();
    this.generation += 1;
  }

  private async load(conversationId: string, generation: number): Promise<Entry> {
    const [members, conversation] = await Promise.all([this.store.listMembers(conversationId), this.store.getConversation(conversationId)]);
    const roles = new Map(members.map((m) => [m.userId, m.role] as const));
    const blocked = conversation?.type === 'direct' && members.length === 2 && (await this.store.blocksAmong(members.map((m) => m.userId))).length > 0;
    const facts = conversation === null ? null : { type: conversation.type, slowModeSeconds: conversation.slowModeSeconds, blocked };
    const entry = { roles, facts, expires: this.options.now() + this.options.ttlMs };
    if (generation === this.generation) {
      if (this.entries.size >= this.options.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(conversationId, entry);
    }
    return entry;
  }
}
