import type { ConversationState, MemberSeed, MemberSettings, NewConversation } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { CreateGroupInput, ListConversationsOptions, UpdateConversationInput } from '../domain/schemas.js';
import type { Conversation, ConversationListItem, ConversationStats, Member, MemberRole, Page } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { directKey, newId } from '../util/ids.js';
import type { ActionContext, ConversationUpdateType } from './chat-events.js';
import { nowIso, type ServiceContext, type UserProfile } from './service-context.js';
import {
  addMembersDecision,
  leaveDecision,
  profileDecision,
  removeMemberDecision,
  roleChangeDecision,
} from './conversation-rules.js';
import { announceMembershipChange, announceUpdate } from './announcements.js';
import { displayNames, joinNames, postSystemMessage } from './system-messages.js';

export { MUTED_FOREVER } from '../domain/limits.js';
import { MUTED_FOREVER } from '../domain/limits.js';

export interface MemberWithProfile extends Member {
  user?: UserProfile;
}

type ListCursor = { u: string; i: string };
const isListCursor = (v: unknown): v is ListCursor =>
  typeof v === 'object' && v !== null && typeof (v as ListCursor).u === 'string' && typeof (v as ListCursor).i === 'string';

/**
 * Conversations and their members (SPEC §3, seed §I.2). Every method takes the acting user's
 * id first or second, as the seed does, and checks permission before any write.
 */
export class ConversationService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The user's conversations by last activity, each with unread count, last message and mute state.
   * Archived ones are left out unless `archived: true` asks for them. */
  async getUserConversations(userId: string, options: ListConversationsOptions = {}): Promise<Page<ConversationListItem>> {
    const actor = this.userId(userId);
    const opts = validate(this.ctx.schemas.listConversations, options, 'options');
    const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, 'cursor', isListCursor);
    const rows = await this.ctx.store.listConversations(actor, {
      ...(opts.type === undefined ? {} : { type: opts.type }),
      archived: opts.archived ?? false,
      ...(opts.search === undefined || opts.search === '' ? {} : { search: opts.search }),
      limit: opts.limit + 1,
      ...(after === undefined ? {} : { after: { updatedAt: after.u, id: after.i } }),
      now: nowIso(this.ctx),
    });
    const items = rows.slice(0, opts.limit).map((row) => ({ ...row, capabilities: this.ctx.capabilities.list(row.type, row.role) }));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last !== undefined ? encodeCursor({ u: last.updatedAt, i: last.id }) : null };
  }

  async getConversationById(conversationId: string, userId: string): Promise<ConversationListItem> {
    const { conversation, member } = await this.requireMembership(conversationId, userId);
    return this.listItem(conversation, member);
  }

  /** Returns the existing direct conversation of the pair when there is one. */
  async createDirectConversation(userId: string, recipientId: string, origin: ActionContext = {}): Promise<ConversationListItem> {
    const actor = this.userId(userId);
    const recipient = validate(this.ctx.schemas.id, recipientId, 'recipientId');
    if (recipient === actor) throw ChatError.validation('recipientId', 'must be another user than yourself');
    await this.requireKnownUsers([recipient], 'recipientId');
    const allowed = await this.checkAdditions(actor, 'create_direct', null, [recipient]);
    if (!allowed.includes(recipient)) throw ChatError.forbidden('You cannot start a conversation with this user');
    // A block keeps a new conversation from being opened; an existing one stays readable.
    const existing = await this.ctx.store.findDirectConversation(directKey(actor, recipient));
    if (existing === null && (await this.ctx.store.blocksAmong([actor, recipient])).length > 0) {
      throw ChatError.forbidden('You cannot start a conversation with this user');
    }
    const input: NewConversation = {
      id: newId(),
      type: 'direct',
      name: null,
      description: null,
      avatarUrl: null,
      createdBy: actor,
      createdAt: nowIso(this.ctx),
      directKey: directKey(actor, recipient),
      members: [
        { userId: actor, role: 'member' },
        { userId: recipient, role: 'member' },
      ],
    };
    const { conversation, created } = await this.ctx.store.createConversation({ ...input, webhooks: this.ctx.webhooks.conversationCreated(input) });
    if (created) await this.membershipChanged(conversation.id, [actor, recipient], [], [actor, recipient], 'created', { conversation }, origin);
    return this.getConversationById(conversation.id, actor);
  }

  async createGroupConversation(ownerId: string, input: CreateGroupInput, origin: ActionContext = {}): Promise<ConversationListItem> {
    const owner = this.userId(ownerId, 'ownerId');
    const data = validate(this.ctx.schemas.createGroup, input, 'input');
    const asked = [...new Set(data.memberIds)].filter((id) => id !== owner);
    const others = await this.checkAdditions(owner, 'create_group', null, asked);
    if (others.length + 1 > this.ctx.limits.maxGroupMembers) {
      throw ChatError.validation('memberIds', `a group has at most ${this.ctx.limits.maxGroupMembers} members, its owner included`);
    }
    await this.requireKnownUsers(others, 'memberIds');
    const record: NewConversation = {
      id: newId(),
      type: 'group',
      name: data.name,
      description: data.description ?? null,
      avatarUrl: data.avatarUrl ?? null,
      createdBy: owner,
      createdAt: nowIso(this.ctx),
      directKey: null,
      members: [{ userId: owner, role: 'owner' }, ...others.map((userId): MemberSeed => ({ userId, role: 'member' }))],
    };
    const { conversation } = await this.ctx.store.createConversation({ ...record, webhooks: this.ctx.webhooks.conversationCreated(record) });
    const everyone = [owner, ...others];
    await this.membershipChanged(conversation.id, everyone, [], everyone, 'created', { conversation }, origin);
    const names = await displayNames(this.ctx, [owner]);
    await postSystemMessage(this.ctx, conversation.id, owner, `${names.get(owner)} created the group "${data.name}"`, {
      event: 'group_created',
      userIds: others,
    }, origin);
    return this.getConversationById(conversation.id, owner);
  }

  /** Group name, description or avatar; admins and the owner only. */
  async updateConversation(conversationId: string, userId: string, input: UpdateConversationInput, origin: ActionContext = {}): Promise<Conversation> {
    const { id, actor } = this.ids(conversationId, userId);
    const data = validate(this.ctx.schemas.updateConversation, input, 'input');
    const change = await this.ctx.store.changeConversation(id, nowIso(this.ctx), this.ctx.webhooks.conversationChange(actor, profileDecision(actor, data, this.ctx.capabilities)));
    const updated = change.conversation;
    if (updated === null) throw ChatError.notFound('Conversation', 'conversationId');
    await this.notify(updated.id, 'updated', { conversation: updated, updatedBy: actor }, userIdsOf(change.members), origin);
    return updated;
  }

  async archiveConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<Member> {
    return this.updateOwnSettings(conversationId, userId, { archivedAt: nowIso(this.ctx) }, 'archived', origin);
  }

  async unarchiveConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<Member> {
    return this.updateOwnSettings(conversationId, userId, { archivedAt: null }, 'unarchived', origin);
  }

  /** Mutes notifications until `until` (ISO date-time), or with no end when it is left out. */
  async muteConversation(conversationId: string, userId: string, until?: string | null, origin: ActionContext = {}): Promise<Member> {
    const end = validate(this.ctx.schemas.mutedUntil, until, 'until');
    if (end !== null && end !== undefined && Date.parse(end) <= this.ctx.now()) throw ChatError.validation('until', 'must be in the future');
    const mutedUntil = end === null || end === undefined ? MUTED_FOREVER : new Date(end).toISOString();
    return this.updateOwnSettings(conversationId, userId, { mutedUntil }, 'muted', origin);
  }

  async unmuteConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<Member> {
    return this.updateOwnSettings(conversationId, userId, { mutedUntil: null }, 'unmuted', origin);
  }

  /**
   * Leaves a group. An owner leaving hands ownership to the oldest admin, else the oldest
   * member; the last member leaving ends the group. Decided inside the store's transaction.
   */
  async leaveConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<{ conversationId: string; newOwnerId: string | null; deleted: boolean }> {
    const { id, actor } = this.ids(conversationId, userId);
    const change = await this.ctx.store.changeConversation(id, nowIso(this.ctx), this.ctx.webhooks.conversationChange(actor, leaveDecision(actor)));
    const { newOwnerId, deleted } = change.value;
    if (deleted) {
      this.ctx.onFilesReleased();
      await this.membershipChanged(id, [], [actor], [actor], 'deleted', { conversationId: id }, origin);
      return { conversationId: id, newOwnerId: null, deleted: true };
    }
    const audience = [...userIdsOf(change.members), actor];
    await this.membershipChanged(id, [], [actor], audience, 'member_left', { userId: actor, newOwnerId }, origin);
    const names = await displayNames(this.ctx, newOwnerId === null ? [actor] : [actor, newOwnerId]);
    const handOver = newOwnerId === null ? '' : `; ${names.get(newOwnerId)} is now the owner`;
    await postSystemMessage(this.ctx, id, actor, `${names.get(actor)} left the group${handOver}`, {
      event: 'member_left',
      userIds: [actor],
      newOwnerId,
    }, origin);
    return { conversationId: id, newOwnerId, deleted: false };
  }

  /** Adds users to a group (admins and the owner). Those already in it are skipped; the member cap holds. */
  async addMembers(conversationId: string, userId: string, memberIds: string[], origin: ActionContext = {}): Promise<Member[]> {
    const { id, actor } = this.ids(conversationId, userId);
    const asked = [...new Set(validate(this.ctx.schemas.memberIds, memberIds, 'memberIds', true))];
    // The same decision on a plain read first, so that someone without the right to add
    // learns nothing about the host's users; the store's transaction decides for real.
    addMembersDecision(actor, asked, this.ctx.limits.maxGroupMembers, this.ctx.capabilities)(await this.readState(id));
    await this.requireKnownUsers(asked, 'memberIds');
    const ids = await this.checkAdditions(actor, 'add_members', id, asked);
    if (ids.length === 0) return [];
    const decide = addMembersDecision(actor, ids, this.ctx.limits.maxGroupMembers, this.ctx.capabilities);
    const change = await this.ctx.store.changeConversation(id, nowIso(this.ctx), this.ctx.webhooks.conversationChange(actor, decide));
    const addedIds = change.added.map((m) => m.userId);
    if (addedIds.length === 0) return [];
    await this.membershipChanged(id, addedIds, [], userIdsOf(change.members), 'members_added', { userIds: addedIds, addedBy: actor }, origin);
    const names = await displayNames(this.ctx, [actor, ...addedIds]);
    await postSystemMessage(this.ctx, id, actor, `${names.get(actor)} added ${joinNames(addedIds.map((m) => names.get(m)!))}`, {
      event: 'members_added',
      userIds: addedIds,
    }, origin);
    return change.added;
  }

  /** Removes a member (admins and the owner). Nobody removes the owner; an admin cannot remove an admin. */
  async removeMember(conversationId: string, userId: string, memberId: string, origin: ActionContext = {}): Promise<void> {
    const targetId = validate(this.ctx.schemas.id, memberId, 'memberId');
    const { id, actor } = this.ids(conversationId, userId);
    const change = await this.ctx.store.changeConversation(id, nowIso(this.ctx), this.ctx.webhooks.conversationChange(actor, removeMemberDecision(actor, targetId, this.ctx.capabilities)));
    await this.membershipChanged(id, [], [targetId], [...userIdsOf(change.members), targetId], 'member_removed', { userId: targetId, removedBy: actor }, origin);
    const names = await displayNames(this.ctx, [actor, targetId]);
    await postSystemMessage(this.ctx, id, actor, `${names.get(actor)} removed ${names.get(targetId)}`, {
      event: 'member_removed',
      userIds: [targetId],
    }, origin);
  }

  /**
   * Changes a member's role (the owner only). Making someone owner transfers ownership: the
   * old owner becomes an admin, so there is always exactly one owner.
   */
  async updateMemberRole(conversationId: string, userId: string, memberId: string, role: MemberRole, origin: ActionContext = {}): Promise<Member> {
    const targetId = validate(this.ctx.schemas.id, memberId, 'memberId');
    const newRole = validate(this.ctx.schemas.role, role, 'role');
    const { id, actor } = this.ids(conversationId, userId);
    const change = await this.ctx.store.changeConversation(id, nowIso(this.ctx), this.ctx.webhooks.conversationChange(actor, roleChangeDecision(actor, targetId, newRole, this.ctx.capabilities)));
    // Other nodes cache roles too: a demoted admin must lose their rights there at once.
    await this.membershipChanged(id, [], [], userIdsOf(change.members), 'role_changed', { userId: targetId, role: newRole, changedBy: actor }, origin);
    const names = await displayNames(this.ctx, [actor, targetId]);
    const text = newRole === 'owner' ? `made ${names.get(targetId)} the owner` : `made ${names.get(targetId)} ${newRole === 'admin' ? 'an admin' : 'a member'}`;
    await postSystemMessage(this.ctx, id, actor, `${names.get(actor)} ${text}`, {
      event: newRole === 'owner' ? 'owner_changed' : 'role_changed',
      userIds: [targetId],
      role: newRole,
    }, origin);
    const target = change.members.find((m) => m.userId === targetId);
    if (target === undefined) throw ChatError.notFound('Member', 'memberId');
    return target;
  }

  /** Members by join order, with the host's profiles when `resolveUsers` is configured. */
  async getConversationMembers(conversationId: string, userId: string): Promise<MemberWithProfile[]> {
    const { conversation } = await this.requireMembership(conversationId, userId);
    const members: MemberWithProfile[] = await this.ctx.store.listMembers(conversation.id);
    if (this.ctx.resolveUsers === undefined) return members;
    const profiles = new Map((await this.ctx.resolveUsers(members.map((m) => m.userId))).map((p) => [p.id, p]));
    for (const m of members) {
      const profile = profiles.get(m.userId);
      if (profile !== undefined) m.user = profile;
    }
    return members;
  }

  async getConversationStats(userId: string): Promise<ConversationStats> {
    return this.ctx.store.getConversationStats(this.userId(userId), nowIso(this.ctx));
  }

  async isUserInConversation(conversationId: string, userId: string): Promise<boolean> {
    return (await this.getUserRoleInConversation(conversationId, userId)) !== null;
  }

  /** The user's role, read from the store (not a cache): the answer a permission check needs. */
  async getUserRoleInConversation(conversationId: string, userId: string): Promise<MemberRole | null> {
    const { id, actor } = this.ids(conversationId, userId);
    return (await this.ctx.store.getMember(id, actor))?.role ?? null;
  }

  /** Ids of the user's conversations, through the presence store's 5-minute cache. */
  async getUserConversationIds(userId: string): Promise<string[]> {
    const actor = this.userId(userId);
    try {
      const cached = await this.ctx.presence.getCachedUserConversations(actor);
      if (cached !== null) return cached;
    } catch (error) {
      this.ctx.logger.warn('conversation cache unavailable; reading the store', { error: String(error) });
    }
    const ids = await this.ctx.store.listUserConversationIds(actor);
    this.ctx.presence.cacheUserConversations(actor, ids, this.ctx.conversationCacheTtlMs).catch(() => undefined);
    return ids;
  }

  /** Everyone who shares a conversation with the user (for presence announcements), in one query. */
  async getContacts(userId: string): Promise<string[]> {
    return this.ctx.store.listContacts(this.userId(userId));
  }

  private userId(userId: string, field = 'userId'): string {
    return validate(this.ctx.schemas.id, userId, field);
  }

  private ids(conversationId: string, userId: string): { id: string; actor: string } {
    return { id: validate(this.ctx.schemas.id, conversationId, 'conversationId'), actor: this.userId(userId) };
  }

  /** The conversation and its members as they are now, outside any lock. */
  /**
   * Joining a conversation's room (`join_conversation`): members only, then the host's
   * `beforeJoin` hooks, which may refuse.
   */
  async joinRoom(conversationId: string, userId: string): Promise<MemberRole> {
    const { id, actor } = this.ids(conversationId, userId);
    const role = await this.ctx.membership.require(id, actor);
    if (this.ctx.hooks.beforeJoin.length > 0) {
      let read: Promise<Conversation> | null = null;
      const conversation = () => (read ??= this.ctx.store.getConversation(id).then((c) => c ?? Promise.reject(ChatError.notFound('Conversation', 'conversationId'))));
      await this.ctx.hooks.run('beforeJoin', this.ctx.hooks.beforeJoin, undefined as void, () => ({ userId: actor, conversationId: id, conversation, role }));
    }
    return role;
  }

  /** The users the host's `beforeAddMembers` hooks let in (all of them without hooks); ids they return are checked again. */
  private async checkAdditions(actor: string, action: 'create_group' | 'create_direct' | 'add_members', conversationId: string | null, memberIds: string[]): Promise<string[]> {
    if (this.ctx.hooks.beforeAddMembers.length === 0) return memberIds;
    const kept = await this.ctx.hooks.run('beforeAddMembers', this.ctx.hooks.beforeAddMembers, memberIds, (current) => ({ userId: actor, action, conversationId, memberIds: current }));
    // A hook may narrow the list, never widen it to users nobody asked for.
    const allowed = new Set(Array.isArray(kept) ? kept : []);
    return memberIds.filter((memberId) => allowed.has(memberId));
  }

  private async readState(conversationId: string): Promise<ConversationState | null> {
    const [conversation, members] = await Promise.all([this.ctx.store.getConversation(conversationId), this.ctx.store.listMembers(conversationId)]);
    if (conversation === null) return null;
    const { lastMessage: _last, ...record } = conversation;
    // Bans are left out: this read only spares a refused caller a lookup of the host's users;
    // the store's own transaction sees them and decides.
    return { conversation: record, members, bans: [] };
  }

  private async requireMembership(conversationId: string, userId: string): Promise<{ conversation: Conversation; member: Member }> {
    const { id, actor } = this.ids(conversationId, userId);
    const [conversation, member] = await Promise.all([this.ctx.store.getConversation(id), this.ctx.store.getMember(id, actor)]);
    if (conversation === null || member === null) throw ChatError.notFound('Conversation', 'conversationId');
    return { conversation, member };
  }

  private async requireKnownUsers(userIds: string[], field: string): Promise<void> {
    if (this.ctx.resolveUsers === undefined || userIds.length === 0) return;
    const known = new Set((await this.ctx.resolveUsers(userIds)).map((p) => p.id));
    const unknown = userIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new ChatError('NOT_FOUND', `Unknown user: ${unknown.join(', ')}`, { field, userIds: unknown });
  }

  private async listItem(conversation: Conversation, member: Member): Promise<ConversationListItem> {
    const now = nowIso(this.ctx);
    const [unread] = await this.ctx.store.unreadSummary(conversation.id, [member.userId]);
    return {
      ...conversation,
      role: member.role,
      capabilities: this.ctx.capabilities.list(conversation.type, member.role),
      unreadCount: unread?.unreadCount ?? 0,
      firstUnreadSeq: unread?.firstUnreadSeq ?? null,
      muted: member.mutedUntil !== null && member.mutedUntil > now,
      archived: member.archivedAt !== null,
      lastReadSeq: member.lastReadSeq,
    };
  }

  private async updateOwnSettings(
    conversationId: string,
    userId: string,
    patch: MemberSettings,
    updateType: ConversationUpdateType,
    origin: ActionContext,
  ): Promise<Member> {
    const { id, actor } = this.ids(conversationId, userId);
    const updated = await this.ctx.store.updateMemberSettings(id, actor, patch);
    if (updated === null) throw ChatError.notFound('Conversation', 'conversationId');
    await this.notify(id, updateType, { member: updated }, [actor], origin);
    return updated;
  }

  private async membershipChanged(
    conversationId: string,
    added: string[],
    removed: string[],
    audience: string[],
    updateType: ConversationUpdateType,
    data: Record<string, unknown>,
    origin: ActionContext,
  ): Promise<void> {
    await announceMembershipChange(this.ctx, conversationId, { added, removed }, audience, updateType, data, origin);
  }

  private async notify(conversationId: string, updateType: ConversationUpdateType, data: Record<string, unknown>, audience: string[], origin: ActionContext): Promise<void> {
    announceUpdate(this.ctx, conversationId, updateType, data, audience, origin);
  }
}

const userIdsOf = (members: Member[]) => members.map((m) => m.userId);
