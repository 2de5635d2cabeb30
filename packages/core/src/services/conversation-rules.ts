import type { ConversationDecision, ConversationPatch, ConversationState, MemberSeed, ReactionDecision } from '../adapters/chat-store.js';
import { ChatError } from '../domain/errors.js';
import type { Capabilities } from '../domain/capabilities.js';
import type { AuditEntry, Capability, Member, MemberRole } from '../domain/types.js';

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

function requireCapability(caps: Capabilities, state: ConversationState, actor: Member, capability: Capability, message: string): void {
  caps.require(state.conversation.type, actor.role, capability, message);
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

/** Adding members (`manageMembers`: admins and the owner); those already in are skipped; the cap holds; banned users stay out. */
export function addMembersDecision(actorId: string, userIds: string[], maxMembers: number, caps: Capabilities): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'add members to');
    requireCapability(caps, state, actor, 'manageMembers', 'Only an admin or the owner can add members');
    const banned = userIds.filter((id) => state.bans.some((b) => b.userId === id));
    if (banned.length > 0) {
      throw new ChatError('FORBIDDEN', `${banned.join(', ')} ${banned.length === 1 ? 'is' : 'are'} banned from this group; lift the ban first`, { field: 'memberIds', userIds: banned });
    }
    const present = new Set(state.members.map((m) => m.userId));
    const fresh = userIds.filter((id) => !present.has(id));
    if (present.size + fresh.length > maxMembers) throw ChatError.validation('memberIds', `a group has at most ${maxMembers} members`);
    return { plan: { add: fresh.map((userId): MemberSeed => ({ userId, role: 'member' })) }, value: undefined };
  };
}

/**
 * Who `actor` may act on as a moderator or manager: another member, never the owner, and an
 * admin only with `manageAdmins`. Returns the target.
 */
function targetOf(caps: Capabilities, state: ConversationState, actor: Member, targetId: string, field = 'memberId'): Member {
  if (targetId === actor.userId) throw ChatError.validation(field, 'must be another member than yourself');
  const target = state.members.find((m) => m.userId === targetId);
  if (target === undefined) throw ChatError.notFound('Member', field);
  if (target.role === 'owner') throw ChatError.forbidden('The owner cannot be removed or restricted');
  if (target.role === 'admin') requireCapability(caps, state, actor, 'manageAdmins', 'Only the owner can remove or restrict an admin');
  return target;
}

/** Removing a member (`manageMembers`). Nobody removes the owner; removing an admin takes `manageAdmins` (the owner). */
export function removeMemberDecision(actorId: string, targetId: string, caps: Capabilities): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'remove members from');
    if (targetId === actorId) throw ChatError.validation('memberId', 'use leaveConversation to leave a conversation');
    requireCapability(caps, state, actor, 'manageMembers', 'Only an admin or the owner can remove members');
    targetOf(caps, state, actor, targetId);
    return { plan: { remove: [targetId] }, value: undefined };
  };
}

/**
 * Changing a role (the owner only). Making someone owner transfers ownership: the old owner
 * becomes an admin, so there is always exactly one owner.
 */
export function roleChangeDecision(actorId: string, targetId: string, role: MemberRole, caps: Capabilities): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'change roles in');
    requireCapability(caps, state, actor, 'changeRoles', 'Only the owner can change roles');
    // Ownership moves only from the owner: "exactly one owner" is structure, not a capability.
    if (role === 'owner' && actor.role !== 'owner') throw ChatError.forbidden('Only the owner can hand over ownership');
    if (targetId === actorId) throw ChatError.validation('memberId', 'the owner hands over ownership by making another member owner');
    const target = state.members.find((m) => m.userId === targetId);
    if (target === undefined) throw ChatError.notFound('Member', 'memberId');
    if (target.role === 'owner') throw ChatError.forbidden("The owner's role changes only when they hand over ownership");
    const roles: MemberSeed[] = [{ userId: targetId, role }];
    if (role === 'owner') roles.push({ userId: actorId, role: 'admin' });
    return { plan: { roles }, value: undefined };
  };
}

/** Group name, description or avatar (`changeInfo`: admins and the owner). Returns who made the change. */
export function profileDecision(actorId: string, patch: ConversationPatch, caps: Capabilities): ConversationDecision<Member> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'edit');
    requireCapability(caps, state, actor, 'changeInfo', 'Only an admin or the owner can edit the group');
    return { plan: { profile: patch }, value: actor };
  };
}

/** What a moderation decision records with its change. */
export interface AuditStamp {
  id: string;
  at: string;
  data?: Record<string, unknown>;
}

const audit = (state: ConversationState, actorId: string, action: AuditEntry['action'], stamp: AuditStamp, targetUserId: string | null): AuditEntry => ({
  id: stamp.id,
  conversationId: state.conversation.id,
  actorId,
  action,
  targetUserId,
  messageId: null,
  data: stamp.data ?? null,
  createdAt: stamp.at,
});

/** Banning (`moderate`): the user is removed if a member, and cannot be added again until lifted. Answers whether they were a member. */
export function banDecision(actorId: string, targetId: string, ban: { reason: string | null; expiresAt: string | null }, caps: Capabilities, stamp: AuditStamp): ConversationDecision<{ removed: boolean }> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'ban from');
    requireCapability(caps, state, actor, 'moderate', 'Only a moderator can ban');
    const isMember = state.members.some((m) => m.userId === targetId);
    if (isMember) targetOf(caps, state, actor, targetId, 'userId');
    else if (targetId === actorId) throw ChatError.validation('userId', 'must be another user than yourself');
    return {
      plan: {
        ...(isMember ? { remove: [targetId] } : {}),
        ban: [{ userId: targetId, bannedBy: actorId, reason: ban.reason, createdAt: stamp.at, expiresAt: ban.expiresAt }],
        audit: [audit(state, actorId, 'member_banned', stamp, targetId)],
      },
      value: { removed: isMember },
    };
  };
}

/** Lifting a ban (`moderate`). NOT_FOUND when the user is not banned. */
export function unbanDecision(actorId: string, targetId: string, caps: Capabilities, stamp: AuditStamp): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireCapability(caps, state, actor, 'moderate', 'Only a moderator can lift a ban');
    if (!state.bans.some((b) => b.userId === targetId)) throw ChatError.notFound('Ban', 'userId');
    return { plan: { unban: [targetId], audit: [audit(state, actorId, 'member_unbanned', stamp, targetId)] }, value: undefined };
  };
}

/** Muting a member (`moderate`): they read but cannot send until `until` (null lifts it). */
export function silenceDecision(actorId: string, targetId: string, until: string | null, caps: Capabilities, stamp: AuditStamp): ConversationDecision<Member> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'mute members of');
    requireCapability(caps, state, actor, 'moderate', 'Only a moderator can mute a member');
    const target = targetOf(caps, state, actor, targetId, 'userId');
    return {
      plan: { silence: [{ userId: targetId, until }], audit: [audit(state, actorId, until === null ? 'member_unsilenced' : 'member_silenced', stamp, targetId)] },
      value: { ...target, silencedUntil: until },
    };
  };
}

/** Slow mode (`moderate`): at most one message per `seconds` per member; 0 turns it off. */
export function slowModeDecision(actorId: string, seconds: number, caps: Capabilities, stamp: AuditStamp): ConversationDecision<void> {
  return (current) => {
    const { state, actor } = actorOf(current, actorId);
    requireGroup(state, 'set slow mode in');
    requireCapability(caps, state, actor, 'moderate', 'Only a moderator can set slow mode');
    return { plan: { profile: { slowModeSeconds: seconds }, audit: [audit(state, actorId, 'slow_mode_changed', stamp, null)] }, value: undefined };
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
