import type { ConversationDecision, ConversationPatch, ConversationState, MemberSeed, ReactionDecision } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { Member, MemberRole } from '../domain/types.js';

/**
 * The rules that span a read and a write, as pure decisions. The store calls each on the
 * state it read under its lock and applies the plan in the same transaction, so the rules
 * hold under any interleaving of calls from any number of processes (SHARED STYLE §14).
 * Each checks the actor's membership and role on that same state: a permission that was
 * revoked a moment earlier is revoked here too.
 */

/** The acting member, or NOT_FOUND: a non-member learns nothing about the conversation. */
function actorOf(state: ConversationState | null, actorId: string): { state: ConversationState; actor: Member } {
  const actor = state?.members.find((m) => m.userId === actorId);
  if (state === null || actor === undefined) throw ChatError.notFound('Conversation', 'conversationId');
  return { state, actor };
}

function requireGroup(state: ConversationState, action: string): void {
  if (state.conversation.type !== 'group') throw ChatError.forbidden(`You cannot ${action} a direct conversation`);
}

function requireRole(role: MemberRole, allowed: MemberRole[], message: string): void {
  if (!allowed.includes(role)) throw ChatError.forbidden(message);
}

export interface LeaveOutcome {
  newOwnerId: string | null;
  deleted: boolean;
}

/**
 * Leaving a group. An owner leaving hands ownership to the oldest admin, else the oldest
 * member; the last member leaving ends the group (so a group never has 0 members or 2 owners).
 */
export function leaveDecision(actorId: string): ConversationDecision<LeaveOutcome> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'leave');
    const rest = state.members.filter((m) => m.userId !== actorId);
    if (rest.length === 0) return { plan: { delete: true }, value: { newOwnerId: null, deleted: true } };
    const successor = actor.role === 'owner' ? (rest.find((m) => m.role === 'admin') ?? rest[0]!) : null;
    return {
      plan: { remove: [actorId], roles: successor === null ? [] : [{ userId: successor.userId, role: 'owner' }] },
      value: { newOwnerId: successor?.userId ?? null, deleted: false },
    };
  };
}

/** Adding members (admins and the owner); those already in are skipped; the cap holds. */
export function addMembersDecision(actorId: string, userIds: string[], maxMembers: number): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'add members to');
    requireRole(actor.role, ['owner', 'admin'], 'Only an admin or the owner can add members');
    const present = new Set(state.members.map((m) => m.userId));
    const fresh = userIds.filter((id) => !present.has(id));
    if (present.size + fresh.length > maxMembers) throw ChatError.validation('memberIds', `a group has at most ${maxMembers} members`);
    return { plan: { add: fresh.map((userId): MemberSeed => ({ userId, role: 'member' })) }, value: undefined };
  };
}

/** Removing a member (admins and the owner). Nobody removes the owner; an admin cannot remove an admin. */
export function removeMemberDecision(actorId: string, targetId: string): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'remove members from');
    if (targetId === actorId) throw ChatError.validation('memberId', 'use leaveConversation to leave a conversation');
    requireRole(actor.role, ['owner', 'admin'], 'Only an admin or the owner can remove members');
    const target = state.members.find((m) => m.userId === targetId);
    if (target === undefined) throw ChatError.notFound('Member', 'memberId');
    if (target.role === 'owner') throw ChatError.forbidden('The owner cannot be removed');
    if (target.role === 'admin' && actor.role !== 'owner') throw ChatError.forbidden('Only the owner can remove an admin');
    return { plan: { remove: [targetId] }, value: undefined };
  };
}

/**
 * Changing a role (the owner only). Making someone owner transfers ownership: the old owner
 * becomes an admin, so there is always exactly one owner.
 */
export function roleChangeDecision(actorId: string, targetId: string, role: MemberRole): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'change roles in');
    requireRole(actor.role, ['owner'], 'Only the owner can change roles');
    if (targetId === actorId) throw ChatError.validation('memberId', 'the owner hands over ownership by making another member owner');
    if (!state.members.some((m) => m.userId === targetId)) throw ChatError.notFound('Member', 'memberId');
    const roles: MemberSeed[] = [{ userId: targetId, role }];
    if (role === 'owner') roles.push({ userId: actorId, role: 'admin' });
    return { plan: { roles }, value: undefined };
  };
}

/** Group name, description or avatar: admins and the owner only. Returns who made the change. */
export function profileDecision(actorId: string, patch: ConversationPatch): ConversationDecision<Member> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'edit');
    requireRole(actor.role, ['owner', 'admin'], 'Only an admin or the owner can edit the group');
    return { plan: { profile: patch }, value: actor };
  };
}

/** Toggling a reaction: removes the caller's when present, else adds it within the cap. */
export function toggleReactionDecision(maxDistinct: number): ReactionDecision {
  return (state) => {
    if (state === null) throw ChatError.notFound('Message', 'messageId');
    if (state.deletedForEveryone) throw new ChatError('CONFLICT', 'A deleted message cannot be reacted to', { field: 'messageId' });
    if (state.mine) return 'remove';
    if (!state.emojiUsed && state.distinctEmoji >= maxDistinct) {
      throw new ChatError('CONFLICT', `A message can have at most ${maxDistinct} different reactions`, { field: 'emoji' });
    }
    return 'add';
  };
}

/** Removing a reaction: removes the caller's when present; nothing otherwise. */
export const removeReactionDecision: ReactionDecision = (state) => {
  if (state === null) throw ChatError.notFound('Message', 'messageId');
  if (state.deletedForEveryone) throw new ChatError('CONFLICT', 'A deleted message cannot be reacted to', { field: 'messageId' });
  return state.mine ? 'remove' : 'none';
};
