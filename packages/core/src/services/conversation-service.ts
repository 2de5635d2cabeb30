import type { MemberSeed } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { CreateGroupInput, ListConversationsOptions, UpdateConversationInput } from '../domain/schemas.js';
import type { Conversation, ConversationListItem, ConversationStats, Member, MemberRole, Page } from '../domain/types.js';
import { validate } from '../domain/validate.js';
import { decodeCursor, encodeCursor } from '../util/cursor.js';
import { directKey, newId } from '../util/ids.js';
import type { ActionContext, ConversationUpdateType } from './chat-events.js';
import { nowIso, type ServiceContext, type UserProfile } from './service-context.js';
import { displayNames, joinNames, postSystemMessage } from './system-messages.js';

/** "Muted with no end": a date no clock reaches, so `mutedUntil > now` stays one comparison. */
export const MUTED_FOREVER = '9999-12-31T23:59:59.999Z';

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
    const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, 'options.cursor', isListCursor);
    const rows = await this.ctx.store.listConversations(actor, {
      ...(opts.type === undefined ? {} : { type: opts.type }),
      archived: opts.archived ?? false,
      ...(opts.search === undefined || opts.search === '' ? {} : { search: opts.search }),
      limit: opts.limit + 1,
      ...(after === undefined ? {} : { after: { updatedAt: after.u, id: after.i } }),
      now: nowIso(this.ctx),
    });
    const items = rows.slice(0, opts.limit);
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
    const key = directKey(actor, recipient);
    const existing = await this.ctx.store.findDirectConversation(key);
    if (existing !== null) return this.getConversationById(existing.id, actor);
    const { conversation, created } = await this.ctx.store.createConversation({
      id: newId(),
      type: 'direct',
      name: null,
      description: null,
      avatarUrl: null,
      createdBy: actor,
      createdAt: nowIso(this.ctx),
      directKey: key,
      members: [
        { userId: actor, role: 'member' },
        { userId: recipient, role: 'member' },
      ],
    });
    if (created) await this.membershipChanged(conversation.id, [actor, recipient], [], 'created', { conversation }, origin);
    return this.getConversationById(conversation.id, actor);
  }

  async createGroupConversation(ownerId: string, input: CreateGroupInput, origin: ActionContext = {}): Promise<ConversationListItem> {
    const owner = this.userId(ownerId, 'ownerId');
    const data = validate(this.ctx.schemas.createGroup, input, 'input');
    const others = [...new Set(data.memberIds)].filter((id) => id !== owner);
    await this.requireKnownUsers(others, 'input.memberIds');
    const { conversation } = await this.ctx.store.createConversation({
      id: newId(),
      type: 'group',
      name: data.name,
      description: data.description ?? null,
      avatarUrl: data.avatarUrl ?? null,
      createdBy: owner,
      createdAt: nowIso(this.ctx),
      directKey: null,
      members: [{ userId: owner, role: 'owner' }, ...others.map((userId): MemberSeed => ({ userId, role: 'member' }))],
    });
    await this.membershipChanged(conversation.id, [owner, ...others], [], 'created', { conversation }, origin);
    const names = await displayNames(this.ctx, [owner]);
    await postSystemMessage(this.ctx, conversation.id, owner, `${names.get(owner)} created the group "${data.name}"`, {
      event: 'group_created',
      userIds: others,
    }, origin);
    return this.getConversationById(conversation.id, owner);
  }

  /** Group name, description or avatar; admins and the owner only. */
  async updateConversation(conversationId: string, userId: string, input: UpdateConversationInput, origin: ActionContext = {}): Promise<Conversation> {
    const data = validate(this.ctx.schemas.updateConversation, input, 'input');
    const { conversation, member } = await this.requireMembership(conversationId, userId);
    this.requireGroup(conversation, 'edit');
    this.requireRole(member.role, ['owner', 'admin'], 'Only an admin or the owner can edit the group');
    const updated = await this.ctx.store.updateConversation(conversation.id, data, nowIso(this.ctx));
    if (updated === null) throw ChatError.notFound('Conversation', 'conversationId');
    await this.notify(updated.id, 'updated', { conversation: updated, updatedBy: member.userId }, await this.ctx.membership.memberIds(updated.id), origin);
    return updated;
  }

  async archiveConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<Member> {
    return this.updateOwnMember(conversationId, userId, { archivedAt: nowIso(this.ctx) }, 'archived', origin);
  }

  async unarchiveConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<Member> {
    return this.updateOwnMember(conversationId, userId, { archivedAt: null }, 'unarchived', origin);
  }

  /** Mutes notifications until `until` (ISO date-time), or with no end when it is left out. */
  async muteConversation(conversationId: string, userId: string, until?: string | null, origin: ActionContext = {}): Promise<Member> {
    const end = validate(this.ctx.schemas.mutedUntil, until, 'until');
    if (end !== null && end !== undefined && Date.parse(end) <= this.ctx.now()) throw ChatError.validation('until', 'must be in the future');
    const mutedUntil = end === null || end === undefined ? MUTED_FOREVER : new Date(end).toISOString();
    return this.updateOwnMember(conversationId, userId, { mutedUntil }, 'muted', origin);
  }

  async unmuteConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<Member> {
    return this.updateOwnMember(conversationId, userId, { mutedUntil: null }, 'unmuted', origin);
  }

  /**
   * Leaves a group. An owner leaving hands ownership to the oldest admin, else the oldest
   * member; the last member leaving ends the group.
   */
  async leaveConversation(conversationId: string, userId: string, origin: ActionContext = {}): Promise<{ conversationId: string; newOwnerId: string | null; deleted: boolean }> {
    const { conversation, member } = await this.requireMembership(conversationId, userId);
    this.requireGroup(conversation, 'leave');
    const members = await this.ctx.store.listMembers(conversation.id);
    const rest = members.filter((m) => m.userId !== member.userId);
    if (rest.length === 0) {
      await this.ctx.store.deleteConversation(conversation.id);
      await this.membershipChanged(conversation.id, [], [member.userId], 'deleted', { conversationId: conversation.id }, origin);
      return { conversationId: conversation.id, newOwnerId: null, deleted: true };
    }
    const successor = member.role === 'owner' ? (rest.find((m) => m.role === 'admin') ?? rest[0]!) : null;
    const roleChanges: MemberSeed[] = successor === null ? [] : [{ userId: successor.userId, role: 'owner' }];
    await this.ctx.store.removeMember(conversation.id, member.userId, roleChanges);
    const newOwnerId = successor?.userId ?? null;
    await this.membershipChanged(conversation.id, [], [member.userId], 'member_left', { userId: member.userId, newOwnerId }, origin);
    const names = await displayNames(this.ctx, newOwnerId === null ? [member.userId] : [member.userId, newOwnerId]);
    const handOver = newOwnerId === null ? '' : `; ${names.get(newOwnerId)} is now the owner`;
    await postSystemMessage(this.ctx, conversation.id, member.userId, `${names.get(member.userId)} left the group${handOver}`, {
      event: 'member_left',
      userIds: [member.userId],
      newOwnerId,
    }, origin);
    return { conversationId: conversation.id, newOwnerId, deleted: false };
  }

  /** Adds users to a group (admins and the owner). Those already in it are skipped. */
  async addMembers(conversationId: string, userId: string, memberIds: string[], origin: ActionContext = {}): Promise<Member[]> {
    const ids = [...new Set(validate(this.ctx.schemas.memberIds, memberIds, 'memberIds'))];
    const { conversation, member } = await this.requireMembership(conversationId, userId);
    this.requireGroup(conversation, 'add members to');
    this.requireRole(member.role, ['owner', 'admin'], 'Only an admin or the owner can add members');
    await this.requireKnownUsers(ids, 'memberIds');
    const current = await this.ctx.membership.memberIds(conversation.id);
    if (current.length + ids.filter((id) => !current.includes(id)).length > this.ctx.limits.maxGroupMembers) {
      throw ChatError.validation('memberIds', `a group has at most ${this.ctx.limits.maxGroupMembers} members`);
    }
    const added = await this.ctx.store.addMembers(
      conversation.id,
      ids.map((id): MemberSeed => ({ userId: id, role: 'member' })),
      nowIso(this.ctx),
    );
    if (added.length === 0) return [];
    const addedIds = added.map((m) => m.userId);
    await this.membershipChanged(conversation.id, addedIds, [], 'members_added', { userIds: addedIds, addedBy: member.userId }, origin);
    const names = await displayNames(this.ctx, [member.userId, ...addedIds]);
    await postSystemMessage(
      this.ctx,
      conversation.id,
      member.userId,
      `${names.get(member.userId)} added ${joinNames(addedIds.map((id) => names.get(id)!))}`,
      { event: 'members_added', userIds: addedIds },
      origin,
    );
    return added;
  }

  /** Removes a member (admins and the owner). Nobody removes the owner; an admin cannot remove an admin. */
  async removeMember(conversationId: string, userId: string, memberId: string, origin: ActionContext = {}): Promise<void> {
    const targetId = validate(this.ctx.schemas.id, memberId, 'memberId');
    const { conversation, member } = await this.requireMembership(conversationId, userId);
    this.requireGroup(conversation, 'remove members from');
    if (targetId === member.userId) throw ChatError.validation('memberId', 'use leaveConversation to leave a conversation');
    this.requireRole(member.role, ['owner', 'admin'], 'Only an admin or the owner can remove members');
    const target = await this.ctx.store.getMember(conversation.id, targetId);
    if (target === null) throw ChatError.notFound('Member', 'memberId');
    if (target.role === 'owner') throw ChatError.forbidden('The owner cannot be removed');
    if (target.role === 'admin' && member.role !== 'owner') throw ChatError.forbidden('Only the owner can remove an admin');
    await this.ctx.store.removeMember(conversation.id, targetId);
    await this.membershipChanged(conversation.id, [], [targetId], 'member_removed', { userId: targetId, removedBy: member.userId }, origin);
    const names = await displayNames(this.ctx, [member.userId, targetId]);
    await postSystemMessage(this.ctx, conversation.id, member.userId, `${names.get(member.userId)} removed ${names.get(targetId)}`, {
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
    const { conversation, member } = await this.requireMembership(conversationId, userId);
    this.requireGroup(conversation, 'change roles in');
    this.requireRole(member.role, ['owner'], 'Only the owner can change roles');
    if (targetId === member.userId) throw ChatError.validation('memberId', 'the owner hands over ownership by making another member owner');
    const target = await this.ctx.store.getMember(conversation.id, targetId);
    if (target === null) throw ChatError.notFound('Member', 'memberId');
    const changes: MemberSeed[] = [{ userId: targetId, role: newRole }];
    if (newRole === 'owner') changes.push({ userId: member.userId, role: 'admin' });
    await this.ctx.store.setMemberRoles(conversation.id, changes);
    this.ctx.membership.invalidate(conversation.id);
    // Other nodes cache roles too: a demoted admin must lose their rights there at once.
    this.ctx.events.emit('membership_changed', { conversationId: conversation.id, added: [], removed: [] });
    const audience = await this.ctx.membership.memberIds(conversation.id);
    await this.notify(conversation.id, 'role_changed', { userId: targetId, role: newRole, changedBy: member.userId }, audience, origin);
    const names = await displayNames(this.ctx, [member.userId, targetId]);
    const text = newRole === 'owner' ? `made ${names.get(targetId)} the owner` : `made ${names.get(targetId)} ${newRole === 'admin' ? 'an admin' : 'a member'}`;
    await postSystemMessage(this.ctx, conversation.id, member.userId, `${names.get(member.userId)} ${text}`, {
      event: newRole === 'owner' ? 'owner_changed' : 'role_changed',
      userIds: [targetId],
      role: newRole,
    }, origin);
    return (await this.ctx.store.getMember(conversation.id, targetId))!;
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

  async getUserRoleInConversation(conversationId: string, userId: string): Promise<MemberRole | null> {
    const id = validate(this.ctx.schemas.id, conversationId, 'conversationId');
    return this.ctx.membership.role(id, this.userId(userId));
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

  private userId(userId: string, field = 'userId'): string {
    return validate(this.ctx.schemas.id, userId, field);
  }

  private async requireMembership(conversationId: string, userId: string): Promise<{ conversation: Conversation; member: Member }> {
    const id = validate(this.ctx.schemas.id, conversationId, 'conversationId');
    const actor = this.userId(userId);
    const [conversation, member] = await Promise.all([this.ctx.store.getConversation(id), this.ctx.store.getMember(id, actor)]);
    if (conversation === null || member === null) throw ChatError.notFound('Conversation', 'conversationId');
    return { conversation, member };
  }

  private requireGroup(conversation: Conversation, action: string): void {
    if (conversation.type !== 'group') throw ChatError.forbidden(`You cannot ${action} a direct conversation`);
  }

  private requireRole(role: MemberRole, allowed: MemberRole[], message: string): void {
    if (!allowed.includes(role)) throw ChatError.forbidden(message);
  }

  private async requireKnownUsers(userIds: string[], field: string): Promise<void> {
    if (this.ctx.resolveUsers === undefined || userIds.length === 0) return;
    const known = new Set((await this.ctx.resolveUsers(userIds)).map((p) => p.id));
    const unknown = userIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new ChatError('NOT_FOUND', `Unknown user: ${unknown.join(', ')}`, { field, userIds: unknown });
  }

  private async listItem(conversation: Conversation, member: Member): Promise<ConversationListItem> {
    const now = nowIso(this.ctx);
    return {
      ...conversation,
      role: member.role,
      unreadCount: await this.ctx.store.countUnread(conversation.id, member.userId),
      muted: member.mutedUntil !== null && member.mutedUntil > now,
      archived: member.archivedAt !== null,
      lastReadSeq: member.lastReadSeq,
    };
  }

  private async updateOwnMember(
    conversationId: string,
    userId: string,
    patch: { archivedAt?: string | null; mutedUntil?: string | null },
    updateType: ConversationUpdateType,
    origin: ActionContext,
  ): Promise<Member> {
    const { conversation, member } = await this.requireMembership(conversationId, userId);
    const updated = await this.ctx.store.updateMember(conversation.id, member.userId, patch);
    if (updated === null) throw ChatError.notFound('Conversation', 'conversationId');
    await this.notify(conversation.id, updateType, { member: updated }, [member.userId], origin);
    return updated;
  }

  /** After a membership change: drop caches, then tell everyone concerned (old and new members). */
  private async membershipChanged(
    conversationId: string,
    added: string[],
    removed: string[],
    updateType: ConversationUpdateType,
    data: Record<string, unknown>,
    origin: ActionContext,
  ): Promise<void> {
    this.ctx.membership.invalidate(conversationId);
    await this.ctx.presence.invalidateUserConversations([...added, ...removed]).catch((error: unknown) => {
      this.ctx.logger.warn('could not invalidate the conversation cache', { error: String(error) });
    });
    this.ctx.events.emit('membership_changed', { conversationId, added, removed });
    const members = updateType === 'deleted' ? [] : await this.ctx.membership.memberIds(conversationId);
    await this.notify(conversationId, updateType, data, [...new Set([...members, ...removed])], origin);
  }

  private async notify(conversationId: string, updateType: ConversationUpdateType, data: Record<string, unknown>, audience: string[], origin: ActionContext): Promise<void> {
    this.ctx.events.emit('conversation_updated', { conversationId, updateType, data, audience, origin });
  }
}
